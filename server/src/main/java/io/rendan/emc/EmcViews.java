package io.rendan.emc;

import com.google.protobuf.Timestamp;
import io.rendan.protocol.api.v1.Contract;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Terms;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The EMC as clients see it: the {@code rendan/api/v1} messages of an EMC, its
 * members, invitations, contracts and revenue, and the push of a change on the
 * topic {@code emc/{emcId}}. Shared by HTTP, WebSocket and other aggregates' views.
 */
public final class EmcViews {
  private EmcViews() {}

  /** The EMC as clients see it at {@code now}: pending invitations past their expiry show as expired. */
  public static Emc toProto(EmcState s, Instant now) {
    Emc.Builder b = Emc.newBuilder().setEmcId(s.emcId()).setVersion(s.version());
    if (!s.isStarted()) {
      return b.build();
    }
    b.setName(s.name())
        .setCurrency(s.accounts().currency() == null ? "" : s.accounts().currency())
        .setClosedThrough(s.accounts().closedThrough() == null ? "" : s.accounts().closedThrough())
        .setUserGroup(s.userGroup())
        .setOwnerMeId(s.ownerMeId())
        .setStatus(Emc.Status.valueOf(s.status().name()))
        .setOwnerShareBps(s.ownerShareBps())
        .setCreatedAt(ts(s.createdAt()));
    for (RemovalNotice.Scheduled r : s.removals().values()) {
      b.addScheduledRemovals(
          io.rendan.protocol.api.v1.ScheduledRemoval.newBuilder()
              .setMeId(r.meId())
              .setByMeId(r.byMeId())
              .setEffectiveAt(ts(r.effectiveAt()))
              .setCharterVersion(r.charterVersion())
              .setEmcCharterVersion(r.emcCharterVersion())
              .setScheduledAt(ts(r.at())));
    }
    List<EmcMembership.Member> members = new ArrayList<>(s.members().values());
    members.sort(Comparator.comparing((EmcMembership.Member m) -> !m.owner()).thenComparing(EmcMembership.Member::meId));
    for (EmcMembership.Member m : members) {
      Member.Builder mb =
          Member.newBuilder()
              .setMeId(m.meId())
              .setSide(toProto(m.side()))
              .setRole(m.role())
              .setOwner(m.owner())
              .setJoinedAt(ts(m.joinedAt()))
              .setMissedInRow(s.standing(m.meId()).missedInRow())
              .setAtRisk(s.standing(m.meId()).atRisk());
      if (m.emcMember()) {
        mb.setMemberKind(EMC_KIND);
      }
      m.history().forEach(c -> mb.addHistory(toProto(c)));
      if (!m.owner()) {
        m.contract().ifPresent(c -> mb.setContract(toProto(c)));
      }
      if (m.proposedTerms() != null) {
        mb.setProposedTerms(toProto(m.proposedTerms()));
      }
      b.addMembers(mb);
    }
    List<EmcMembership.Invitation> invitations = new ArrayList<>(s.invitations().values());
    java.util.Collections.reverse(invitations);
    invitations.forEach(i -> b.addInvitations(toProto(i, now)));
    s.help().cases().values().forEach(c -> b.addHelpCases(HelpApi.toProto(c)));
    return b.build();
  }

  static io.rendan.protocol.api.v1.Revenue toProto(EmcEvents.RevenueShared r) {
    io.rendan.protocol.api.v1.Revenue.Builder b =
        io.rendan.protocol.api.v1.Revenue.newBuilder()
            .setEmcId(r.emcId())
            .setRevenueId(r.revenueId())
            .setAmountMinor(r.amountMinor())
            .setCurrency(r.currency())
            .setSource(r.source())
            .setEarnedAt(ts(r.earnedAt()))
            .setUnits(r.units())
            .setAttributedMeId(r.attributedMeId() == null ? "" : r.attributedMeId())
            .setRefundOf(r.refundOf() == null ? "" : r.refundOf())
            .setRecordedAt(ts(r.at()));
    for (RevenueSplit.Part p : r.parts()) {
      b.addParts(
          io.rendan.protocol.api.v1.RevenuePart.newBuilder()
              .setMeId(p.meId())
              .setAmountMinor(p.amountMinor())
              .setShareBps(p.shareBps())
              .setContractVersion(p.contractVersion())
              .setOwner(p.owner()));
    }
    return b.build();
  }

  /** {@code memberKind} of a seat or invitation of an EMC as one member; empty for an ME. */
  public static final String EMC_KIND = "emc";

  static Invitation toProto(EmcMembership.Invitation i, Instant now) {
    EmcMembership.InvitationStatus status =
        i.status() == EmcMembership.InvitationStatus.PENDING && !now.isBefore(i.expiresAt())
            ? EmcMembership.InvitationStatus.EXPIRED
            : i.status();
    return Invitation.newBuilder()
        .setInvitationId(i.invitationId())
        .setMeId(i.meId())
        .setSide(toProto(i.side()))
        .setRole(i.role())
        .setTerms(toProto(i.terms()))
        .setStatus(Invitation.Status.valueOf(status.name()))
        .setExpiresAt(ts(i.expiresAt()))
        .setCreatedAt(ts(i.createdAt()))
        .setReplacesMeId(i.replacesMeId() == null ? "" : i.replacesMeId())
        .setMemberKind(i.emcMember() ? EMC_KIND : "")
        .build();
  }

  public static Member.Side toProto(Side side) {
    return Side.toProto(side);
  }

  static Contract toProto(EmcMembership.Contract c) {
    return Contract.newBuilder()
        .setVersion(c.version())
        .setTerms(toProto(c.terms()))
        .setEffectiveFrom(ts(c.effectiveFrom()))
        .setCharterVersion(c.charter().org())
        .setEmcCharterVersion(c.charter().emc())
        .build();
  }

  static Terms toProto(EmcMembership.Terms t) {
    return Terms.newBuilder()
        .setShareBps(t.shareBps())
        .setTarget(Target.newBuilder().setMetric(Target.Metric.valueOf(t.target().metric().name())).setAmount(t.target().amount()))
        .setMissedPeriodLimit(t.missedPeriodLimit())
        .setHelpPeriods(t.helpPeriods() == 0 ? 1 : t.helpPeriods())
        .build();
  }

  static Push push(String event, EmcState state, Clock clock) {
    Instant now = clock.instant();
    return Push.newBuilder()
        .setTopic(EmcApi.TOPIC_PREFIX + state.emcId())
        .setSeq(state.version())
        .setAt(ts(now))
        .setEvent(event)
        .setEmc(toProto(state, now))
        .build();
  }

  /**
   * A change of the EMC told to one member on {@code me/{meId}}: seq 0, as it
   * is not a change of the ME (whose own pushes number its versions).
   */
  static Push memberPush(String meId, String event, EmcState state, Clock clock) {
    Instant now = clock.instant();
    return Push.newBuilder()
        .setTopic(io.rendan.me.MeApi.TOPIC_PREFIX + meId)
        .setSeq(0)
        .setAt(ts(now))
        .setEvent(event)
        .setEmc(toProto(state, now))
        .build();
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }
}
