package io.rendan.painpoint;

import io.rendan.painpoint.PainPointEvents.Event;
import io.rendan.painpoint.PainPointEvents.FaultCount;
import io.rendan.painpoint.PainPointEvents.PainPointCallOpened;
import io.rendan.painpoint.PainPointEvents.PainPointFaultRepeated;
import io.rendan.painpoint.PainPointEvents.PainPointPosted;
import io.rendan.painpoint.PainPointEvents.PainPointResolved;
import io.rendan.painpoint.PainPointEvents.PainPointTriaged;
import io.rendan.painpoint.PainPointEvents.PainPointVoted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A board as its events left it (and as its snapshot stores it): its pain points and
 * each subject's posts and votes in the current period; {@link #apply} is the event
 * handler.
 */
public record PainPointState(String emcId, long version, Map<String, PainPoint> painPoints, Map<String, Quota> quotas) {
  public PainPointState {
    painPoints = Collections.unmodifiableMap(new TreeMap<>(painPoints));
    quotas = Collections.unmodifiableMap(new TreeMap<>(quotas));
  }

  static PainPointState empty(String emcId) {
    return new PainPointState(emcId, 0, Map.of(), Map.of());
  }

  public Quota quota(String subject, String period) {
    Quota q = quotas.get(subject);
    return q == null || !q.period().equals(period) ? new Quota(period, 0, 0) : q;
  }

  PainPointState apply(Event event) {
    Map<String, PainPoint> points = new TreeMap<>(painPoints);
    Map<String, Quota> counted = new TreeMap<>(quotas);
    if (event instanceof PainPointPosted e) {
      points.put(
          e.painPointId(),
          new PainPoint(
              e.painPointId(), e.text(), e.category(), e.applianceId(), e.postedBy(), e.bySystem(), Status.OPEN, List.of(),
              null, null, null, null, null, e.at(), e.at(), List.of(), version + 1, e.fault()));
      if (!e.bySystem()) {
        count(counted, e.postedBy(), e.period(), 1, 0);
      }
    } else if (event instanceof PainPointVoted e) {
      PainPoint p = points.get(e.painPointId());
      List<String> voters = new ArrayList<>(p.voters());
      voters.add(e.subject());
      points.put(p.painPointId(), p.with(p.status(), voters, p.mergedInto(), p.reason(), p.triagedByMeId(), e.at(), p.mergedFrom()));
      count(counted, e.subject(), e.period(), 0, 1);
    } else if (event instanceof PainPointTriaged e) {
      PainPoint p = points.get(e.painPointId());
      switch (e.action()) {
        case ACKNOWLEDGE -> points.put(p.painPointId(), p.with(Status.ACKNOWLEDGED, p.voters(), null, null, e.meId(), e.at(), p.mergedFrom()));
        case DECLINE -> points.put(p.painPointId(), p.with(Status.DECLINED, p.voters(), null, e.reason(), e.meId(), e.at(), p.mergedFrom()));
        case MERGE -> {
          PainPoint into = points.get(e.into());
          List<String> voters = new ArrayList<>(into.voters());
          voters.addAll(p.voters());
          List<String> from = new ArrayList<>(into.mergedFrom());
          from.add(p.painPointId());
          points.put(into.painPointId(), into.with(into.status(), voters, into.mergedInto(), into.reason(), into.triagedByMeId(), e.at(), from));
          points.put(p.painPointId(), p.with(Status.MERGED, p.voters(), e.into(), null, e.meId(), e.at(), p.mergedFrom()));
        }
      }
    } else if (event instanceof PainPointCallOpened e) {
      PainPoint p = points.get(e.painPointId());
      points.put(p.painPointId(), p.withCall(Status.IN_CALL, e.roundId(), null, e.at()));
    } else if (event instanceof PainPointResolved e) {
      PainPoint p = points.get(e.painPointId());
      points.put(p.painPointId(), p.withCall(Status.RESOLVED, e.roundId(), e.meId(), e.at()));
    } else if (event instanceof PainPointFaultRepeated e) {
      PainPoint p = points.get(e.painPointId());
      points.put(p.painPointId(), p.withFault(p.fault().repeated(e.seq()), e.at()));
    }
    return new PainPointState(emcId, version + 1, points, counted);
  }

  /** Counts against a subject in a period; counts of earlier periods are dropped as later ones come. */
  private static void count(Map<String, Quota> quotas, String subject, String period, int posts, int votes) {
    quotas.values().removeIf(q -> q.period().compareTo(period) < 0);
    Quota q = quotas.get(subject);
    if (q == null || !q.period().equals(period)) {
      q = new Quota(period, 0, 0);
    }
    quotas.put(subject, new Quota(period, q.posts() + posts, q.votes() + votes));
  }

  public enum Status {
    OPEN,
    ACKNOWLEDGED,
    MERGED,
    DECLINED,
    IN_CALL,
    RESOLVED;

    /** Whether users still take part in it: vote, or see it merged into. */
    boolean live() {
      return this == OPEN || this == ACKNOWLEDGED || this == IN_CALL;
    }
  }

  public record PainPoint(
      String painPointId,
      String text,
      String category,
      String applianceId,
      String postedBy,
      boolean bySystem,
      Status status,
      List<String> voters,
      String mergedInto,
      String reason,
      String triagedByMeId,
      String roundId,
      String resolvedByMeId,
      Instant postedAt,
      Instant updatedAt,
      List<String> mergedFrom,
      long order,
      FaultCount fault) {
    public PainPoint {
      voters = List.copyOf(new TreeSet<>(voters));
      mergedFrom = List.copyOf(mergedFrom);
    }

    /** A pain point that counts no fault. */
    public PainPoint(
        String painPointId, String text, String category, String applianceId, String postedBy, boolean bySystem, Status status,
        List<String> voters, String mergedInto, String reason, String triagedByMeId, String roundId, String resolvedByMeId,
        Instant postedAt, Instant updatedAt, List<String> mergedFrom, long order) {
      this(painPointId, text, category, applianceId, postedBy, bySystem, status, voters, mergedInto, reason, triagedByMeId, roundId,
          resolvedByMeId, postedAt, updatedAt, mergedFrom, order, null);
    }

    PainPoint with(Status next, List<String> nextVoters, String into, String why, String by, Instant at, List<String> from) {
      return new PainPoint(
          painPointId, text, category, applianceId, postedBy, bySystem, next, nextVoters, into, why, by, roundId, resolvedByMeId, postedAt, at, from, order, fault);
    }

    PainPoint withCall(Status next, String round, String resolvedBy, Instant at) {
      return new PainPoint(
          painPointId, text, category, applianceId, postedBy, bySystem, next, voters, mergedInto, reason, triagedByMeId, round, resolvedBy, postedAt, at, mergedFrom, order, fault);
    }

    PainPoint withFault(FaultCount next, Instant at) {
      return new PainPoint(
          painPointId, text, category, applianceId, postedBy, bySystem, status, voters, mergedInto, reason, triagedByMeId, roundId, resolvedByMeId, postedAt, at, mergedFrom, order, next);
    }

    /** Whether this is the system's pain point of fault {@code code} of {@code appliance}. */
    boolean countsFault(String appliance, String code) {
      return fault != null && fault.code().equals(code) && appliance.equals(applianceId);
    }
  }

  /** A subject's posts and votes in one period; a later period starts from zero. */
  public record Quota(String period, int posts, int votes) {}
}
