package io.rendan.emc;

import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.emc.EmcProtocol.RecordRevenue;
import io.rendan.vocabulary.Side;
import java.time.Instant;
import java.util.List;

/**
 * What an EMC stores: one event per change, mapped to protobuf by {@link EmcSerializer}
 * (manifests {@code emc.*}); help-case events are in {@link HelpCases}.
 */
public final class EmcEvents {
  private EmcEvents() {}

  public sealed interface Event
      permits EmcStarted,
          MemberInvited,
          MemberJoined,
          InvitationDeclined,
          InvitationsExpired,
          MemberLeft,
          TermsProposed,
          ContractAmended,
          EmcDissolved,
          OwnershipTransferred,
          RevenueShared,
          PeriodValueReported,
          PeriodClosed,
          SeatReplaced,
          HelpCases.HelpCaseOpened,
          HelpCases.HelpPledged,
          HelpCases.HelpPledgeAnswered,
          HelpCases.HelpDelivered,
          HelpCases.AdvanceRepaid,
          HelpCases.HelpCaseClosed,
          HelpCases.LeaveAgreed,
          RemovalNotice.RemovalScheduled,
          RemovalNotice.RemovalCancelled {
    String emcId();

    Instant at();
  }

  /** {@code currency} null in events stored before EMCs had one: the configured default. */
  public record EmcStarted(
      String emcId,
      String name,
      String userGroup,
      String ownerMeId,
      Side ownerSide,
      String startedBy,
      Instant at,
      String currency)
      implements Event {
    public EmcStarted(
        String emcId, String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, Instant at) {
      this(emcId, name, userGroup, ownerMeId, ownerSide, startedBy, at, null);
    }
  }

  public record PeriodValueReported(String emcId, String period, String meId, long value, Instant at) implements Event {}

  public record PeriodClosed(String emcId, String period, List<TargetResult> results, Instant at) implements Event {
    public PeriodClosed {
      results = List.copyOf(results);
    }
  }

  /** The newcomer joins with the terms of its invitation and the old member leaves, at once. */
  public record SeatReplaced(
      String emcId,
      String emcName,
      String invitationId,
      String oldMeId,
      String newMeId,
      Side side,
      String role,
      Terms terms,
      Instant at,
      EmcMembership.CharterVersions charter)
      implements Event {
    public SeatReplaced(
        String emcId, String emcName, String invitationId, String oldMeId, String newMeId, Side side, String role, Terms terms, Instant at) {
      this(emcId, emcName, invitationId, oldMeId, newMeId, side, role, terms, at, EmcMembership.CharterVersions.BEFORE);
    }
  }

  public record MemberInvited(
      String emcId,
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Instant expiresAt,
      Instant at,
      String replacesMeId,
      boolean emcMember)
      implements Event {
    public MemberInvited(
        String emcId, String invitationId, String meId, Side side, String role, Terms terms, Instant expiresAt, Instant at) {
      this(emcId, invitationId, meId, side, role, terms, expiresAt, at, null, false);
    }

    public MemberInvited(
        String emcId,
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        Instant expiresAt,
        Instant at,
        String replacesMeId) {
      this(emcId, invitationId, meId, side, role, terms, expiresAt, at, replacesMeId, false);
    }
  }

  /**
   * {@code emcMember}: {@code meId} is an EMC taking the seat as one member (false in older events);
   * {@code charter}: the versions the contract is made under ({@code BEFORE} in older events).
   */
  public record MemberJoined(
      String emcId,
      String emcName,
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Instant at,
      boolean emcMember,
      EmcMembership.CharterVersions charter)
      implements Event {
    public MemberJoined(
        String emcId, String emcName, String invitationId, String meId, Side side, String role, Terms terms, Instant at, boolean emcMember) {
      this(emcId, emcName, invitationId, meId, side, role, terms, at, emcMember, EmcMembership.CharterVersions.BEFORE);
    }

    public MemberJoined(
        String emcId, String emcName, String invitationId, String meId, Side side, String role, Terms terms, Instant at) {
      this(emcId, emcName, invitationId, meId, side, role, terms, at, false);
    }
  }

  public record InvitationDeclined(String emcId, String invitationId, Instant at) implements Event {}

  /** One event for all invitations found due at once: one change, one version, one push. */
  public record InvitationsExpired(String emcId, List<String> invitationIds, Instant at) implements Event {
    public InvitationsExpired {
      invitationIds = List.copyOf(invitationIds);
    }
  }

  public record MemberLeft(String emcId, String meId, boolean removed, Instant at) implements Event {}

  public record TermsProposed(String emcId, String meId, Terms terms, Instant at) implements Event {}

  /** {@code charter}: the versions the new contract is made under ({@code BEFORE} in older events). */
  public record ContractAmended(String emcId, String meId, Terms terms, Instant at, EmcMembership.CharterVersions charter) implements Event {
    public ContractAmended(String emcId, String meId, Terms terms, Instant at) {
      this(emcId, meId, terms, at, EmcMembership.CharterVersions.BEFORE);
    }
  }

  public record EmcDissolved(String emcId, List<String> memberMeIds, Instant at) implements Event {}

  public record OwnershipTransferred(
      String emcId,
      String emcName,
      String fromMeId,
      Side fromSide,
      String toMeId,
      Side toSide,
      String toRole,
      Instant at)
      implements Event {}

  /**
   * Revenue as recorded, with its split; kept for the idempotency window.
   * {@code keepSince}: the start of that window when it was recorded (revenue ids
   * earned before it are forgotten then, and revenue earned before it refused).
   */
  public record RevenueShared(
      String emcId,
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String attributedMeId,
      String refundOf,
      List<RevenueSplit.Part> parts,
      Instant at,
      Instant keepSince,
      RevenueSplit.PassedFrom passedFrom)
      implements Event {
    public RevenueShared {
      parts = List.copyOf(parts);
    }

    /** Revenue recorded here first (not passed on). */
    public RevenueShared(
        String emcId,
        String revenueId,
        long amountMinor,
        String currency,
        String source,
        Instant earnedAt,
        long units,
        String attributedMeId,
        String refundOf,
        List<RevenueSplit.Part> parts,
        Instant at,
        Instant keepSince) {
      this(emcId, revenueId, amountMinor, currency, source, earnedAt, units, attributedMeId, refundOf, parts, at, keepSince, null);
    }

    /** Whether a repeated request asks for exactly this (an absent earnedAt matches any). */
    boolean sameAs(RecordRevenue c) {
      return amountMinor == c.amountMinor()
          && currency.equals(c.currency())
          && source.equals(c.source())
          && (c.earnedAt() == null || earnedAt.equals(c.earnedAt()))
          && units == c.units()
          && java.util.Objects.equals(attributedMeId, c.attributedMeId())
          && java.util.Objects.equals(refundOf, c.refundOf())
          && java.util.Objects.equals(passedFrom, c.passedFrom());
    }
  }
}
