package io.rendan.emc;

import io.rendan.emc.EmcEvents.Event;
import io.rendan.vocabulary.Metric;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Help before replacement: the help cases of an EMC, their commands and their events;
 * their rules are {@link HelpRules}.
 *
 * <p>A member flagged at risk by a period's close gets a case, opened by an event
 * stored with that close. Other members pledge help ({@link Kind}); the helped
 * member accepts or declines each pledge; the helper marks it delivered. A
 * delivered {@link Kind#ADVANCE} moves money from the helper's ledger to the
 * helped member's and is repaid from the helped member's later credits (its
 * positive parts of later revenue), each repayment an event stored with the
 * revenue, exactly to the minor unit and never more than what is still owed.
 * The case closes RECOVERED when a closed period finds the member's target met,
 * FAILED once {@code helpPeriods} closed periods found it missed, ENDED when
 * the member leaves its seat. The seat may be replaced only after a failed case
 * or once the member agreed to leave ({@link HelpRules#replacementRefused}).
 *
 * <p>The rules are pure functions of the EMC's state ({@link HelpRules}): the
 * entity persists what they return; {@link HelpCaseChanges} is how the events
 * change the cases.
 */
public final class HelpCases {
  /** A case holds at most this many pledges: what one member can make the EMC keep. */
  public static final int MAX_PLEDGES_PER_CASE = 50;
  /** Cases kept per EMC; the oldest closed ones are dropped first. */
  public static final int MAX_CASES_KEPT = 200;
  public static final int MAX_DESCRIPTION = 500;

  // The order of each enum's values is their stored number (HelpSerialization): only ever append.
  public enum Kind {
    KNOWLEDGE,
    STAFF,
    RESOURCES,
    ADVANCE,
    INTRODUCTION
  }

  public enum CaseStatus {
    OPEN,
    RECOVERED,
    FAILED,
    ENDED
  }

  public enum PledgeStatus {
    PLEDGED,
    ACCEPTED,
    DECLINED,
    DELIVERED
  }

  public record Shortfall(String period, Metric metric, long target, long achieved) {
    public long shortBy() {
      return Math.max(0, target - achieved);
    }
  }

  public record Pledge(
      String pledgeId,
      String helperMeId,
      Kind kind,
      String description,
      long amountMinor,
      int repayBps,
      PledgeStatus status,
      long repaidMinor,
      Instant at) {

    Pledge with(PledgeStatus next, long repaid) {
      return new Pledge(pledgeId, helperMeId, kind, description, amountMinor, repayBps, next, repaid, at);
    }

    /** What the helped member still owes on it: only a delivered advance is owed. */
    public long outstanding() {
      return kind == Kind.ADVANCE && status == PledgeStatus.DELIVERED ? amountMinor - repaidMinor : 0;
    }
  }

  public record HelpCase(
      String caseId,
      String meId,
      int helpPeriods,
      CaseStatus status,
      boolean leaveAgreed,
      List<Shortfall> shortfalls,
      Map<String, Pledge> pledges,
      Instant openedAt,
      Instant closedAt) {
    public HelpCase {
      shortfalls = List.copyOf(shortfalls);
      pledges = Collections.unmodifiableMap(new LinkedHashMap<>(pledges));
    }

    HelpCase with(CaseStatus s, boolean leave, List<Shortfall> sf, Map<String, Pledge> ps, Instant closed) {
      return new HelpCase(caseId, meId, helpPeriods, s, leave, sf, ps, openedAt, closed);
    }

    public boolean isOpen() {
      return status == CaseStatus.OPEN;
    }

    public long outstanding() {
      return pledges.values().stream().mapToLong(Pledge::outstanding).sum();
    }

    /** The members that delivered help on this case, in pledge order, once each. */
    List<String> deliveredBy() {
      return pledges.values().stream()
          .filter(p -> p.status() == PledgeStatus.DELIVERED)
          .map(Pledge::helperMeId)
          .distinct()
          .toList();
    }
  }

  /** The EMC's cases, by id in the order opened; {@code opened} counts every case ever opened (the next id). */
  public record Cases(Map<String, HelpCase> cases, int opened) {
    public Cases {
      cases = Collections.unmodifiableMap(new LinkedHashMap<>(cases));
    }

    public static final Cases EMPTY = new Cases(Map.of(), 0);

    /** The latest case of a member, if any. */
    public Optional<HelpCase> latestOf(String meId) {
      HelpCase found = null;
      for (HelpCase c : cases.values()) {
        if (c.meId().equals(meId)) {
          found = c;
        }
      }
      return Optional.ofNullable(found);
    }

    Cases put(HelpCase c) {
      Map<String, HelpCase> next = new LinkedHashMap<>(cases);
      next.put(c.caseId(), c);
      return new Cases(next, opened);
    }
  }

  // ---- commands (answered like every EMC command) ---------------------------------------------

  /** A member ({@code actingMeId}) pledges help on a case. */
  public record PledgeHelp(
      String caseId,
      String pledgeId,
      Kind kind,
      String description,
      long amountMinor,
      int repayBps,
      String actingMeId,
      org.apache.pekko.actor.typed.ActorRef<EmcProtocol.Reply> replyTo)
      implements EmcProtocol.Command {}

  public record AnswerPledge(
      String caseId, String pledgeId, boolean accept, String actingMeId, org.apache.pekko.actor.typed.ActorRef<EmcProtocol.Reply> replyTo)
      implements EmcProtocol.Command {}

  public record DeliverHelp(String caseId, String pledgeId, String actingMeId, org.apache.pekko.actor.typed.ActorRef<EmcProtocol.Reply> replyTo)
      implements EmcProtocol.Command {}

  public record AgreeToLeave(String caseId, String actingMeId, org.apache.pekko.actor.typed.ActorRef<EmcProtocol.Reply> replyTo)
      implements EmcProtocol.Command {}

  /** The reply address of a help command, or null for another command. */
  static org.apache.pekko.actor.typed.ActorRef<EmcProtocol.Reply> replyTo(EmcProtocol.Command cmd) {
    if (cmd instanceof PledgeHelp c) return c.replyTo();
    if (cmd instanceof AnswerPledge c) return c.replyTo();
    if (cmd instanceof DeliverHelp c) return c.replyTo();
    if (cmd instanceof AgreeToLeave c) return c.replyTo();
    return null;
  }

  // ---- events ---------------------------------------------------------------------------------

  public record HelpCaseOpened(String emcId, String caseId, String meId, int helpPeriods, Shortfall shortfall, Instant at)
      implements Event {}

  public record HelpPledged(
      String emcId,
      String caseId,
      String pledgeId,
      String helperMeId,
      String helpedMeId,
      Kind kind,
      String description,
      long amountMinor,
      int repayBps,
      Instant at)
      implements Event {}

  public record HelpPledgeAnswered(
      String emcId, String caseId, String pledgeId, String helperMeId, String helpedMeId, boolean accepted, Instant at)
      implements Event {}

  /** {@code amountMinor} and {@code currency}: the advance that moves, 0 and the EMC's currency for other kinds. */
  public record HelpDelivered(
      String emcId,
      String caseId,
      String pledgeId,
      String helperMeId,
      String helpedMeId,
      Kind kind,
      long amountMinor,
      String currency,
      Instant at)
      implements Event {}

  public record AdvanceRepaid(
      String emcId,
      String caseId,
      String pledgeId,
      String helperMeId,
      String helpedMeId,
      String revenueId,
      long amountMinor,
      String currency,
      Instant at,
      Instant earnedAt)
      implements Event {}

  public record HelpCaseClosed(String emcId, String caseId, String meId, CaseStatus outcome, List<String> helperMeIds, Instant at)
      implements Event {
    public HelpCaseClosed {
      helperMeIds = List.copyOf(helperMeIds);
    }
  }

  public record LeaveAgreed(String emcId, String caseId, String meId, Instant at) implements Event {}

  /** The push name of each help event. */
  public static String eventName(Event e) {
    if (e instanceof HelpCaseOpened) return "emc.help-case-opened";
    if (e instanceof HelpPledged) return "emc.help-pledged";
    if (e instanceof HelpPledgeAnswered a) return a.accepted() ? "emc.help-pledge-accepted" : "emc.help-pledge-declined";
    if (e instanceof HelpDelivered) return "emc.help-delivered";
    if (e instanceof AdvanceRepaid) return "emc.advance-repaid";
    if (e instanceof HelpCaseClosed c) return c.outcome() == CaseStatus.RECOVERED ? "emc.help-case-recovered" : c.outcome() == CaseStatus.FAILED ? "emc.help-case-failed" : "emc.help-case-ended";
    if (e instanceof LeaveAgreed) return "emc.leave-agreed";
    throw new IllegalArgumentException("not a help event: " + e);
  }

  public static boolean isHelpEvent(Event e) {
    return e instanceof HelpCaseOpened
        || e instanceof HelpPledged
        || e instanceof HelpPledgeAnswered
        || e instanceof HelpDelivered
        || e instanceof AdvanceRepaid
        || e instanceof HelpCaseClosed
        || e instanceof LeaveAgreed;
  }

  private HelpCases() {}
}
