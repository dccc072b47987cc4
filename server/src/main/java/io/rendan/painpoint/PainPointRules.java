package io.rendan.painpoint;

import io.rendan.painpoint.PainPointEvents.Event;
import io.rendan.painpoint.PainPointEvents.FaultCount;
import io.rendan.painpoint.PainPointEvents.PainPointCallOpened;
import io.rendan.painpoint.PainPointEvents.PainPointFaultRepeated;
import io.rendan.painpoint.PainPointEvents.PainPointPosted;
import io.rendan.painpoint.PainPointEvents.PainPointResolved;
import io.rendan.painpoint.PainPointEvents.PainPointTriaged;
import io.rendan.painpoint.PainPointEvents.PainPointVoted;
import io.rendan.painpoint.PainPointProtocol.Accepted;
import io.rendan.painpoint.PainPointProtocol.OpenCall;
import io.rendan.painpoint.PainPointProtocol.PostPainPoint;
import io.rendan.painpoint.PainPointProtocol.ReportFault;
import io.rendan.painpoint.PainPointProtocol.ResolveByRound;
import io.rendan.painpoint.PainPointProtocol.TriagePainPoint;
import io.rendan.painpoint.PainPointProtocol.VotePainPoint;
import io.rendan.painpoint.PainPointState.PainPoint;
import io.rendan.painpoint.PainPointState.Status;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Objects;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The rules of a board's commands: duplicates, limits per subject and period, which
 * status allows which triage, fault reports counted once. Each answers through
 * {@link PainPointBoard}, which persists, pushes and replies.
 */
final class PainPointRules {
  private final PainPointBoard board;
  private final String emcId;
  private final PainPointBoard.Settings settings;
  private final Clock clock;

  PainPointRules(PainPointBoard board, String emcId, PainPointBoard.Settings settings, Clock clock) {
    this.board = board;
    this.emcId = emcId;
    this.settings = settings;
    this.clock = clock;
  }

  private String period() {
    return YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)).toString();
  }

  ReplyEffect<Event, PainPointState> post(PainPointState state, PostPainPoint cmd) {
    PainPoint existing = state.painPoints().get(cmd.painPointId());
    if (existing != null) {
      boolean same =
          existing.postedBy().equals(cmd.subject())
              && existing.text().equals(cmd.text())
              && existing.category().equals(cmd.category())
              && Objects.equals(existing.applianceId(), cmd.applianceId());
      return same
          ? board.effect().reply(cmd.replyTo(), new Accepted(state, cmd.painPointId(), false))
          : board.reject(cmd.replyTo(), PainPointCodes.EXISTS, "pain point " + cmd.painPointId() + " exists with other content");
    }
    if (state.painPoints().size() >= settings.maxPainPoints()) {
      return board.reject(cmd.replyTo(), PainPointCodes.BOARD_FULL, "this EMC holds " + settings.maxPainPoints() + " pain points, the most it may");
    }
    String period = period();
    if (!cmd.bySystem() && state.quota(cmd.subject(), period).posts() >= settings.postsPerPeriod()) {
      return board.reject(
          cmd.replyTo(), PainPointCodes.POSTS_LIMIT, "at most " + settings.postsPerPeriod() + " pain points per user in " + period);
    }
    return board.persist(
        new PainPointPosted(
            emcId, cmd.painPointId(), cmd.text(), cmd.category(), cmd.applianceId(), cmd.subject(), cmd.bySystem(), period, clock.instant()),
        "painpoint.posted",
        cmd.replyTo());
  }

  ReplyEffect<Event, PainPointState> vote(PainPointState state, VotePainPoint cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return board.reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    if (p.voters().contains(cmd.subject())) {
      return board.effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
    }
    if (!p.status().live()) {
      return board.reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
    }
    if (p.voters().size() >= settings.maxVoters()) {
      return board.reject(cmd.replyTo(), PainPointCodes.VOTES_FULL, "pain point " + p.painPointId() + " holds the most votes it may");
    }
    String period = period();
    if (state.quota(cmd.subject(), period).votes() >= settings.votesPerPeriod()) {
      return board.reject(cmd.replyTo(), PainPointCodes.VOTES_LIMIT, "at most " + settings.votesPerPeriod() + " votes per user in " + period);
    }
    return board.persist(new PainPointVoted(emcId, p.painPointId(), cmd.subject(), period, clock.instant()), "painpoint.voted", cmd.replyTo());
  }

  ReplyEffect<Event, PainPointState> triage(PainPointState state, TriagePainPoint cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return board.reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    boolean untriaged = p.status() == Status.OPEN || p.status() == Status.ACKNOWLEDGED;
    switch (cmd.action()) {
      case ACKNOWLEDGE -> {
        if (p.status() == Status.ACKNOWLEDGED) {
          return board.effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
        }
        if (p.status() != Status.OPEN) {
          return board.reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
        }
      }
      case DECLINE -> {
        if (!untriaged) {
          return board.reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
        }
      }
      case MERGE -> {
        PainPoint into = state.painPoints().get(cmd.into());
        if (into == null) {
          return board.reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.into() + " to merge into");
        }
        if (into.painPointId().equals(p.painPointId()) || !untriaged || !into.status().live()) {
          return board.reject(
              cmd.replyTo(),
              PainPointCodes.MERGE_INVALID,
              "a pain point that is open or acknowledged merges into another that is open, acknowledged or in a call");
        }
      }
    }
    return board.persist(
        new PainPointTriaged(emcId, p.painPointId(), cmd.action(), cmd.meId(), cmd.into(), cmd.reason(), clock.instant()),
        "painpoint." + switch (cmd.action()) {
          case ACKNOWLEDGE -> "acknowledged";
          case MERGE -> "merged";
          case DECLINE -> "declined";
        },
        cmd.replyTo());
  }

  ReplyEffect<Event, PainPointState> openCall(PainPointState state, OpenCall cmd) {
    PainPoint p = state.painPoints().get(cmd.painPointId());
    if (p == null) {
      return board.reject(cmd.replyTo(), PainPointCodes.NOT_FOUND, "no pain point " + cmd.painPointId());
    }
    if (cmd.roundId().equals(p.roundId())) {
      return board.effect().reply(cmd.replyTo(), new Accepted(state, p.painPointId(), false));
    }
    if (p.status() != Status.OPEN && p.status() != Status.ACKNOWLEDGED) {
      return board.reject(cmd.replyTo(), PainPointCodes.CLOSED, "pain point " + p.painPointId() + " is " + p.status());
    }
    return board.persist(new PainPointCallOpened(emcId, p.painPointId(), cmd.roundId(), clock.instant()), "painpoint.call-opened", cmd.replyTo());
  }

  ReplyEffect<Event, PainPointState> resolve(PainPointState state, ResolveByRound cmd) {
    PainPoint p =
        state.painPoints().values().stream()
            .filter(x -> cmd.roundId().equals(x.roundId()) && x.status() == Status.IN_CALL)
            .findFirst()
            .orElse(null);
    if (p == null) {
      return board.effect().reply(cmd.replyTo(), new Accepted(state, null, false));
    }
    return board.persist(new PainPointResolved(emcId, p.painPointId(), cmd.roundId(), cmd.meId(), clock.instant()), "painpoint.resolved", cmd.replyTo());
  }

  /** The id of the pain point a fault report opens: the same for every delivery of that report. */
  static String faultPainPointId(String applianceId, String code, long seq) {
    return "fault-"
        + java.util.UUID.nameUUIDFromBytes(
            ("fault/" + applianceId + "/" + code + "/" + seq).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  ReplyEffect<Event, PainPointState> reportFault(PainPointState state, ReportFault cmd) {
    long counted =
        state.painPoints().values().stream()
            .filter(p -> p.countsFault(cmd.applianceId(), cmd.code()))
            .mapToLong(p -> p.fault().lastSeq())
            .max()
            .orElse(0);
    if (cmd.seq() <= counted) {
      return board.effect().reply(cmd.replyTo(), new Accepted(state, null, false)); // delivered again
    }
    PainPoint live =
        state.painPoints().values().stream()
            .filter(p -> p.countsFault(cmd.applianceId(), cmd.code()) && p.status().live())
            .findFirst()
            .orElse(null);
    if (live != null) {
      return board.persist(new PainPointFaultRepeated(emcId, live.painPointId(), cmd.seq(), clock.instant()), "painpoint.fault-repeated", cmd.replyTo());
    }
    if (!cmd.opens()) {
      return board.effect().reply(cmd.replyTo(), new Accepted(state, null, false));
    }
    if (state.painPoints().size() >= settings.maxPainPoints()) {
      return board.reject(cmd.replyTo(), PainPointCodes.BOARD_FULL, "this EMC holds " + settings.maxPainPoints() + " pain points, the most it may");
    }
    String text =
        "Appliance " + cmd.applianceId() + " reported fault " + cmd.code() + " " + cmd.reportsInWindow() + " times within "
            + cmd.windowText() + (cmd.message().isEmpty() ? "" : ": " + cmd.message());
    return board.persist(
        new PainPointPosted(
            emcId,
            faultPainPointId(cmd.applianceId(), cmd.code(), cmd.seq()),
            text.length() > PainPointApi.MAX_TEXT ? text.substring(0, PainPointApi.MAX_TEXT) : text,
            PainPointBoard.FAULT_CATEGORY,
            cmd.applianceId(),
            PainPointBoard.SYSTEM,
            true,
            period(),
            clock.instant(),
            new FaultCount(cmd.code(), cmd.seq(), cmd.reportsInWindow())),
        "painpoint.posted",
        cmd.replyTo());
  }
}
