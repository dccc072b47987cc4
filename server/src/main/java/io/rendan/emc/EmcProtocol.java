package io.rendan.emc;

import io.rendan.vocabulary.CborSerializable;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.vocabulary.Side;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;

/** What an EMC is asked ({@link EmcEntity}'s commands) and what it answers; help commands are in {@link HelpCases}. */
public final class EmcProtocol {
  private EmcProtocol() {}

  public sealed interface Command extends CborSerializable
      permits StartEmc,
          GetEmc,
          InviteMember,
          AcceptInvitation,
          DeclineInvitation,
          RemoveMember,
          ProposeTerms,
          AcceptTerms,
          DissolveEmc,
          TransferOwnership,
          ExpireInvitations,
          RecordRevenue,
          ReportPeriodValue,
          ClosePeriod,
          ReplaceSeat,
          HelpCases.PledgeHelp,
          HelpCases.AnswerPledge,
          HelpCases.DeliverHelp,
          HelpCases.AgreeToLeave,
          RemovalNotice.ScheduleRemoval,
          RemovalNotice.CancelRemoval,
          RemovalNotice.RemovalsDue {}

  public record StartEmc(
      String name,
      String userGroup,
      String ownerMeId,
      Side ownerSide,
      String startedBy,
      String currency,
      ActorRef<Reply> replyTo)
      implements Command {
    public StartEmc(String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, ActorRef<Reply> replyTo) {
      this(name, userGroup, ownerMeId, ownerSide, startedBy, null, replyTo);
    }
  }

  public record GetEmc(ActorRef<Reply> replyTo) implements Command {}

  /**
   * {@code emcMember}: the invited is an EMC (memberKind "emc"); {@code helpFirst}:
   * the charter in force replaces a seat only after a failed help case.
   */
  public record InviteMember(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Duration validFor,
      String actingMeId,
      String replacesMeId,
      boolean emcMember,
      boolean helpFirst,
      ActorRef<Reply> replyTo)
      implements Command {
    /** An ME, under the default charter: a seat is replaced only after a failed help case. */
    public InviteMember(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        Duration validFor,
        String actingMeId,
        String replacesMeId,
        ActorRef<Reply> replyTo) {
      this(invitationId, meId, side, role, terms, validFor, actingMeId, replacesMeId, false, true, replyTo);
    }

    public InviteMember(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        Duration validFor,
        String actingMeId,
        ActorRef<Reply> replyTo) {
      this(invitationId, meId, side, role, terms, validFor, actingMeId, null, false, true, replyTo);
    }
  }

  /**
   * {@code actingMeId}: the invited ME, or for an EMC invited as a member that
   * EMC's id (the API has checked that the caller operates its owner and that
   * the seat makes no cycle); {@code helpFirst}: the charter in force replaces a
   * seat only after a failed help case; {@code charter}: the charter versions in
   * force, recorded on the contract the acceptance makes.
   */
  public record AcceptInvitation(
      String invitationId, String actingMeId, boolean helpFirst, EmcMembership.CharterVersions charter, ActorRef<Reply> replyTo)
      implements Command {
    public AcceptInvitation(String invitationId, String actingMeId, boolean helpFirst, ActorRef<Reply> replyTo) {
      this(invitationId, actingMeId, helpFirst, EmcMembership.CharterVersions.BEFORE, replyTo);
    }

    public AcceptInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) {
      this(invitationId, actingMeId, true, replyTo);
    }
  }

  public record DeclineInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** The member leaves ({@code actingMeId == meId}) or the owner removes it. */
  public record RemoveMember(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record ProposeTerms(String meId, Terms terms, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** {@code charter}: the charter versions in force, recorded on the new contract. */
  public record AcceptTerms(String meId, String actingMeId, EmcMembership.CharterVersions charter, ActorRef<Reply> replyTo) implements Command {
    public AcceptTerms(String meId, String actingMeId, ActorRef<Reply> replyTo) {
      this(meId, actingMeId, EmcMembership.CharterVersions.BEFORE, replyTo);
    }
  }

  public record DissolveEmc(String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record TransferOwnership(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Revenue earned by the EMC, split at once. {@code earnedAt} null: now.
   * {@code refundOf}: the id of revenue this gives back (amount negative), split
   * by the same parties and shares as that revenue. {@code passedFrom}: the
   * revenue of another EMC whose part for this EMC's seat this is (null: revenue
   * recorded here first).
   */
  public record RecordRevenue(
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String attributedMeId,
      String refundOf,
      String actingMeId,
      RevenueSplit.PassedFrom passedFrom,
      ActorRef<Reply> replyTo)
      implements Command {
    public RecordRevenue(
        String revenueId,
        long amountMinor,
        String currency,
        String source,
        Instant earnedAt,
        long units,
        String attributedMeId,
        String refundOf,
        String actingMeId,
        ActorRef<Reply> replyTo) {
      this(revenueId, amountMinor, currency, source, earnedAt, units, attributedMeId, refundOf, actingMeId, null, replyTo);
    }
  }

  /** A member's own figure for a period (UPTIME or REPORTED targets). */
  public record ReportPeriodValue(String period, String meId, long value, String actingMeId, ActorRef<Reply> replyTo)
      implements Command {}

  /** The owner closes a period (YYYY-MM, UTC): every member's target is evaluated. */
  public record ClosePeriod(String period, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * The winner of a replacement round takes over an at-risk member's seat: the
   * invited ME ({@code invitationId}) joins, the old member leaves, in one event.
   */
  public record ReplaceSeat(
      String invitationId,
      String replacesMeId,
      String actingMeId,
      boolean helpFirst,
      EmcMembership.CharterVersions charter,
      ActorRef<Reply> replyTo)
      implements Command {
    public ReplaceSeat(String invitationId, String replacesMeId, String actingMeId, ActorRef<Reply> replyTo) {
      this(invitationId, replacesMeId, actingMeId, true, EmcMembership.CharterVersions.BEFORE, replyTo);
    }
  }

  /** From the entity's own timer: pending invitations past their expiry are closed. */
  public enum ExpireInvitations implements Command {
    INSTANCE
  }

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  public record Accepted(EmcState emc, boolean created) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}
}
