package io.rendan.painpoint;

import io.rendan.vocabulary.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The pain points of one EMC: what its end users report, their votes, and the
 * experience side's triage. One board per EMC (persistence id
 * {@code PainPoints|{emcId}}), so that a subject's posts and votes in a period
 * are counted in one place and a merge moves votes between two pain points in
 * one event. Who may triage is decided before the command reaches the board
 * ({@link PainPointApi}); the board applies the rules of the pain points
 * themselves. Every accepted change is one event, stored before the reply and
 * pushed on {@code painpoints/{emcId}} with the board's version as {@code seq}.
 */
public final class PainPointBoard
    extends EventSourcedBehaviorWithEnforcedReplies<PainPointBoard.Command, PainPointBoard.Event, PainPointBoard.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "PainPoints");
  /** Who posts a pain point opened by a rule rather than a user. */
  public static final String SYSTEM = "system";
  /** The category of a pain point opened by the appliance-fault rule. */
  public static final String FAULT_CATEGORY = "appliance-fault";

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

  public enum Action {
    ACKNOWLEDGE,
    MERGE,
    DECLINE
  }

  /** Limits of one board, from {@code rendan.painpoint}. */
  public record Settings(
      int postsPerPeriod, int votesPerPeriod, int maxPainPoints, int maxVoters, int snapshotEvery, Duration backoffMin, Duration backoffMax) {}

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits PostPainPoint, VotePainPoint, TriagePainPoint, OpenCall, ResolveByRound, ReportFault, GetBoard {}

  /** {@code subject}: who posts ({@link #SYSTEM} with {@code bySystem}, which no limit counts). */
  public record PostPainPoint(
      String painPointId, String text, String category, String applianceId, String subject, boolean bySystem, ActorRef<Reply> replyTo)
      implements Command {}

  public record VotePainPoint(String painPointId, String subject, ActorRef<Reply> replyTo) implements Command {}

  /** {@code meId}: the experience-side ME the caller was found to act for. */
  public record TriagePainPoint(String painPointId, Action action, String meId, String into, String reason, ActorRef<Reply> replyTo)
      implements Command {}

  /** The owner's call for resources {@code roundId} answers the pain point (the round is posted first). */
  public record OpenCall(String painPointId, String roundId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the resolution delivery (at least once) when {@code meId} joined the EMC
   * by the award of {@code roundId}: the pain point that call answers is resolved.
   * Nothing changes when no pain point is in that call (any other award) or it is
   * resolved already.
   */
  public record ResolveByRound(String roundId, String meId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the fault delivery ({@link FaultPainPoints}, at least once) for every
   * report of fault {@code code} by {@code applianceId}, device seq {@code seq}:
   * {@code reportsInWindow} reports of that code within the rule's window, and
   * whether that many open a pain point ({@link FaultRule}). A report adds to the
   * live system pain point of that appliance and code; without one it opens one
   * when {@code opens}; a seq counted before changes nothing.
   */
  public record ReportFault(
      String applianceId, String code, String message, long seq, int reportsInWindow, boolean opens, String windowText, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetBoard(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  /** The board as it now is, the pain point the command was about, and whether this command changed it. */
  public record Accepted(State board, String painPointId, boolean changed) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}

  // ---- events ---------------------------------------------------------------------------------

  public sealed interface Event permits PainPointPosted, PainPointVoted, PainPointTriaged, PainPointCallOpened, PainPointResolved, PainPointFaultRepeated {
    String emcId();

    String painPointId();

    Instant at();
  }

  /** {@code period}: the month it counts in against its subject's limit. */
  public record PainPointPosted(
      String emcId,
      String painPointId,
      String text,
      String category,
      String applianceId,
      String postedBy,
      boolean bySystem,
      String period,
      Instant at,
      FaultCount fault)
      implements Event {
    /** A post by a user, or by the system without a fault. */
    public PainPointPosted(
        String emcId, String painPointId, String text, String category, String applianceId, String postedBy, boolean bySystem, String period, Instant at) {
      this(emcId, painPointId, text, category, applianceId, postedBy, bySystem, period, at, null);
    }
  }

  /** The fault of a live system pain point was reported again, at device seq {@code seq}. */
  public record PainPointFaultRepeated(String emcId, String painPointId, long seq, Instant at) implements Event {}

  /**
   * The fault a system pain point counts: its code, the device seq of the last
   * report counted (a report at or below it was counted already) and how many.
   */
  public record FaultCount(String code, long lastSeq, int reports) {
    FaultCount repeated(long seq) {
      return new FaultCount(code, seq, reports + 1);
    }
  }

  public record PainPointVoted(String emcId, String painPointId, String subject, String period, Instant at) implements Event {}

  /** Acknowledged, merged into {@code into}, or declined for {@code reason}, by {@code meId}. */
  public record PainPointTriaged(String emcId, String painPointId, Action action, String meId, String into, String reason, Instant at)
      implements Event {}

  public record PainPointCallOpened(String emcId, String painPointId, String roundId, Instant at) implements Event {}

  public record PainPointResolved(String emcId, String painPointId, String roundId, String meId, Instant at) implements Event {}

  // ---- state ----------------------------------------------------------------------------------

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

  public record State(String emcId, long version, Map<String, PainPoint> painPoints, Map<String, Quota> quotas) {
    public State {
      painPoints = Collections.unmodifiableMap(new TreeMap<>(painPoints));
      quotas = Collections.unmodifiableMap(new TreeMap<>(quotas));
    }

    static State empty(String emcId) {
      return new State(emcId, 0, Map.of(), Map.of());
    }

    public Quota quota(String subject, String period) {
      Quota q = quotas.get(subject);
      return q == null || !q.period().equals(period) ? new Quota(period, 0, 0) : q;
    }

    State apply(Event event) {
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
      return new State(emcId, version + 1, points, counted);
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
  }

  /** Where live changes go; the real one is the topic {@code painpoints/{emcId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State board, String painPointId);
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
    return Behaviors.setup(ctx -> new PainPointBoard(emcId, settings, publisher, clock));
  }

  public static PersistenceId persistenceId(String emcId) {
    return PersistenceId.of(TYPE_KEY.name(), emcId);
  }

  private final String emcId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;

  private PainPointBoard(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
    super(persistenceId(emcId), SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.emcId = emcId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.empty(emcId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(PostPainPoint.class, this::post)
        .onCommand(VotePainPoint.class, this::vote)
        .onCommand(TriagePainPoint.class, this::triage)
        .onCommand(OpenCall.class, this::openCall)
        .onCommand(ResolveByRound.class, this::resolve)
        .onCommand(ReportFault.class, this::reportFault)
        .onCommand(GetBoard.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Accepted(state, null, false)))
        .build();
  }

  private String period() {
    return YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)).toString();
  }

  private ReplyEffect<Event, State> post(State state, PostPainPoint cmd) {
    PainPoint existing = state.painPoints().get(cmd.painPointId());
    if (existing != null) {
      boolean same =
          existing.postedBy().equals(cmd.subject())
              && existing.text().equals(cmd.text())
              && existing.category().equals(cmd.category())
              && Objects.equals(existing.applianceId(), cmd.applianceId());
      return same
          ? Effect().reply(cmd.replyTo(), new Accepted(state, cmd.painPointId(), false))
          : reject(cmd.replyTo(), PainPointCodes.EXISTS, "pain point " + cmd.painPointId() + " exists with other content");
    }
    if (state.painPoints().size() >= settings.maxPainPoints()) {
      return reject(cmd.replyTo(), PainPointCodes.BOARD_FULL, "this EMC holds " + settings.maxPainPoints() + " pain points, the most it may");
    }
    String period = period();
    if (!cmd.bySystem() && state.quota(cmd.subject(), period).posts() >= settings.postsPerPeriod()) {
      return reject(
          cmd.replyTo(), PainPointCodes.POSTS_LIMIT, "at most " + settings.postsPerPeriod() + " pain points per user in " + period);
    }
    return persist(
        new PainPointPosted(
            emcId, cmd.painPointId(), cmd.text(), cmd.category(), cmd.applianceId(), cmd.subject(), cmd.bySystem(), period, clock.instant()),
        "painpoint.posted",
        cmd.replyTo());
  }

  private ReplyEffect<Event, State> vote(State state, VotePainPoint cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    if (p.voters().contains(cmd.subject())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
    }
    if (!p.status().live()) {
      return reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
    }
    if (p.voters().size() >= settings.maxVoters()) {
      return reject(cmd.replyTo(), PainPointCodes.VOTES_FULL, "pain point " + p.painPointId() + " holds the most votes it may");
    }
    String period = period();
    if (state.quota(cmd.subject(), period).votes() >= settings.votesPerPeriod()) {
      return reject(cmd.replyTo(), PainPointCodes.VOTES_LIMIT, "at most " + settings.votesPerPeriod() + " votes per user in " + period);
    }
    return persist(new PainPointVoted(emcId, p.painPointId(), cmd.subject(), period, clock.instant()), "painpoint.voted", cmd.replyTo());
  }

  private ReplyEffect<Event, State> triage(State state, TriagePainPoint cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    boolean untriaged = p.status() == Status.OPEN || p.status() == Status.ACKNOWLEDGED;
    switch (cmd.action()) {
      case ACKNOWLEDGE -> {
        if (p.status() == Status.ACKNOWLEDGED) {
          return Effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
        }
        if (p.status() != Status.OPEN) {
          return reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
        }
      }
      case DECLINE -> {
        if (!untriaged) {
          return reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
        }
      }
      case MERGE -> {
        PainPoint into = state.painPoints().get(cmd.into());
        if (into == null) {
          return reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.into() + " to merge into");
        }
        if (into.painPointId().equals(p.painPointId()) || !untriaged || !into.status().live()) {
          return reject(
              cmd.replyTo(),
              PainPointCodes.MERGE_INVALID,
              "a pain point that is open or acknowledged merges into another that is open, acknowledged or in a call");
        }
      }
    }
    return persist(
        new PainPointTriaged(emcId, p.painPointId(), cmd.action(), cmd.meId(), cmd.into(), cmd.reason(), clock.instant()),
        "painpoint." + switch (cmd.action()) {
          case ACKNOWLEDGE -> "acknowledged";
          case MERGE -> "merged";
          case DECLINE -> "declined";
        },
        cmd.replyTo());
  }

  private ReplyEffect<Event, State> openCall(State state, OpenCall cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    if (cmd.roundId().equals(p.roundId())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
    }
    if (p.status() != Status.OPEN && p.status() != Status.ACKNOWLEDGED) {
      return reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
    }
    return persist(new PainPointCallOpened(emcId, p.painPointId(), cmd.roundId(), clock.instant()), "painpoint.call-opened", cmd.replyTo());
  }

  private ReplyEffect<Event, State> resolve(State state, ResolveByRound cmd) {
    PainPoint p =
        state.painPoints().values().stream()
            .filter(x -> cmd.roundId().equals(x.roundId()) && x.status() == Status.IN_CALL)
            .findFirst()
            .orElse(null);
    if (p == null) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, null, false));
    }
    return persist(new PainPointResolved(emcId, p.painPointId(), cmd.roundId(), cmd.meId(), clock.instant()), "painpoint.resolved", cmd.replyTo());
  }

  /** The id of the pain point a fault report opens: the same for every delivery of that report. */
  static String faultPainPointId(String applianceId, String code, long seq) {
    return "fault-"
        + java.util.UUID.nameUUIDFromBytes(
            ("fault/" + applianceId + "/" + code + "/" + seq).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private ReplyEffect<Event, State> reportFault(State state, ReportFault cmd) {
    long counted =
        state.painPoints().values().stream()
            .filter(p -> p.countsFault(cmd.applianceId(), cmd.code()))
            .mapToLong(p -> p.fault().lastSeq())
            .max()
            .orElse(0);
    if (cmd.seq() <= counted) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, null, false)); // delivered again
    }
    PainPoint live =
        state.painPoints().values().stream()
            .filter(p -> p.countsFault(cmd.applianceId(), cmd.code()) && p.status().live())
            .findFirst()
            .orElse(null);
    if (live != null) {
      return persist(new PainPointFaultRepeated(emcId, live.painPointId(), cmd.seq(), clock.instant()), "painpoint.fault-repeated", cmd.replyTo());
    }
    if (!cmd.opens()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, null, false));
    }
    if (state.painPoints().size() >= settings.maxPainPoints()) {
      return reject(cmd.replyTo(), PainPointCodes.BOARD_FULL, "this EMC holds " + settings.maxPainPoints() + " pain points, the most it may");
    }
    String text =
        "Appliance " + cmd.applianceId() + " reported fault " + cmd.code() + " " + cmd.reportsInWindow() + " times within "
            + cmd.windowText() + (cmd.message().isEmpty() ? "" : ": " + cmd.message());
    return persist(
        new PainPointPosted(
            emcId,
            faultPainPointId(cmd.applianceId(), cmd.code(), cmd.seq()),
            text.length() > PainPointApi.MAX_TEXT ? text.substring(0, PainPointApi.MAX_TEXT) : text,
            FAULT_CATEGORY,
            cmd.applianceId(),
            SYSTEM,
            true,
            period(),
            clock.instant(),
            new FaultCount(cmd.code(), cmd.seq(), cmd.reportsInWindow())),
        "painpoint.posted",
        cmd.replyTo());
  }

  private ReplyEffect<Event, State> persist(Event event, String pushed, ActorRef<Reply> replyTo) {
    return Effect()
        .persist(event)
        .thenRun(next -> publisher.published(pushed, next, event.painPointId()))
        .thenReply(replyTo, next -> new Accepted(next, event.painPointId(), true));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }
}
