package io.rendan.emc;

import static io.rendan.emc.EmcMembership.MAX_BPS;
import static io.rendan.emc.EmcMembership.OWNER_ROLE;

import io.rendan.emc.EmcEvents.ContractAmended;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.InvitationDeclined;
import io.rendan.emc.EmcEvents.InvitationsExpired;
import io.rendan.emc.EmcEvents.MemberInvited;
import io.rendan.emc.EmcEvents.MemberJoined;
import io.rendan.emc.EmcEvents.MemberLeft;
import io.rendan.emc.EmcEvents.OwnershipTransferred;
import io.rendan.emc.EmcEvents.SeatReplaced;
import io.rendan.emc.EmcEvents.TermsProposed;
import io.rendan.emc.EmcMembership.Invitation;
import io.rendan.emc.EmcMembership.InvitationStatus;
import io.rendan.emc.EmcMembership.Member;
import io.rendan.emc.EmcProtocol.AcceptInvitation;
import io.rendan.emc.EmcProtocol.AcceptTerms;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.DeclineInvitation;
import io.rendan.emc.EmcProtocol.InviteMember;
import io.rendan.emc.EmcProtocol.ProposeTerms;
import io.rendan.emc.EmcProtocol.Rejected;
import io.rendan.emc.EmcProtocol.RemoveMember;
import io.rendan.emc.EmcProtocol.ReplaceSeat;
import io.rendan.emc.EmcProtocol.TransferOwnership;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The membership and contract commands of a started EMC: invitations and their
 * answers, members leaving or removed, terms proposed and accepted, ownership
 * passed on, and a seat at risk replaced. Each decides against the state and
 * answers through {@link EmcEntity}'s effects (persist, push, reply).
 */
final class MembershipRules {
  private final EmcEntity entity;
  private final String emcId;
  private final EmcSettings settings;
  private final Clock clock;

  MembershipRules(EmcEntity entity, String emcId, EmcSettings settings, Clock clock) {
    this.entity = entity;
    this.emcId = emcId;
    this.settings = settings;
    this.clock = clock;
  }

  ReplyEffect<Event, EmcState> invite(EmcState state, InviteMember cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    if (cmd.emcMember() && cmd.meId().equals(emcId)) {
      return entity.reject(cmd.replyTo(), EmcCodes.CYCLE, "an EMC cannot hold a seat in itself");
    }
    Invitation existing = state.invitations().get(cmd.invitationId());
    if (existing != null) {
      boolean same =
          existing.meId().equals(cmd.meId())
              && existing.side() == cmd.side()
              && existing.role().equals(cmd.role())
              && existing.terms().equals(cmd.terms())
              && existing.emcMember() == cmd.emcMember();
      return same
          ? entity.effect().reply(cmd.replyTo(), new Accepted(state, false))
          : entity.reject(cmd.replyTo(), EmcCodes.INVITATION_CONFLICT, "invitation " + cmd.invitationId() + " has other terms");
    }
    if (state.members().containsKey(cmd.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, cmd.meId() + " is already a member");
    }
    Instant now = clock.instant();
    boolean pendingForMe =
        state.invitations().values().stream().anyMatch(i -> i.meId().equals(cmd.meId()) && i.isPendingAt(now));
    if (pendingForMe) {
      return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_PENDING, cmd.meId() + " already has a pending invitation");
    }
    if (state.members().size() >= settings.maxMembers()) {
      return entity.reject(cmd.replyTo(), EmcCodes.TOO_MANY_MEMBERS, "an EMC has at most " + settings.maxMembers() + " members");
    }
    if (cmd.replacesMeId() != null) {
      Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId(), cmd.helpFirst());
      if (refused.isPresent()) {
        return entity.effect().reply(cmd.replyTo(), refused.get());
      }
    }
    // A replacement frees the old seat's share when it is accepted.
    int heldAfter = state.sharesHeld(cmd.replacesMeId());
    if (heldAfter + cmd.terms().shareBps() > MAX_BPS) {
      return entity.shareExceeded(cmd.replyTo(), heldAfter, cmd.terms().shareBps());
    }
    MemberInvited event =
        new MemberInvited(
            emcId,
            cmd.invitationId(),
            cmd.meId(),
            cmd.side(),
            cmd.role(),
            cmd.terms(),
            now.plus(cmd.validFor()),
            now,
            cmd.replacesMeId(),
            cmd.emcMember());
    return entity.persist(event, "emc.member-invited", cmd.replyTo(), true);
  }

  ReplyEffect<Event, EmcState> accept(EmcState state, AcceptInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    switch (invitation.status()) {
      case ACCEPTED:
        return entity.effect().reply(cmd.replyTo(), new Accepted(state, false));
      case DECLINED:
        return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_DECLINED, "the invitation was declined");
      case EXPIRED:
        return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING:
        break;
    }
    Instant now = clock.instant();
    if (!now.isBefore(invitation.expiresAt())) {
      // The entity's clock decides; the expiry is stored before the refusal goes out.
      return entity.effect()
          .persist(new InvitationsExpired(emcId, List.of(invitation.invitationId()), now))
          .thenRun(s -> entity.published("emc.invitation-expired", s))
          .thenReply(cmd.replyTo(), s -> new Rejected(EmcCodes.INVITATION_EXPIRED, "the invitation has expired"));
    }
    if (invitation.replacesMeId() != null) {
      return replaceSeat(state, new ReplaceSeat(invitation.invitationId(), invitation.replacesMeId(), cmd.actingMeId(), cmd.helpFirst(), cmd.charter(), cmd.replyTo()));
    }
    if (state.members().containsKey(invitation.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(null);
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return entity.shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
    }
    MemberJoined joined =
        new MemberJoined(
            emcId,
            state.name(),
            invitation.invitationId(),
            invitation.meId(),
            invitation.side(),
            invitation.role(),
            invitation.terms(),
            now,
            invitation.emcMember(),
            cmd.charter());
    return entity.persist(joined, "emc.member-joined", cmd.replyTo(), false);
  }

  ReplyEffect<Event, EmcState> decline(EmcState state, DeclineInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    return switch (invitation.status()) {
      case DECLINED -> entity.effect().reply(cmd.replyTo(), new Accepted(state, false));
      case ACCEPTED -> entity.reject(cmd.replyTo(), EmcCodes.INVITATION_ACCEPTED, "the invitation was accepted");
      case EXPIRED -> entity.reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING ->
          entity.persist(new InvitationDeclined(emcId, invitation.invitationId(), clock.instant()),
              "emc.invitation-declined",
              cmd.replyTo(),
              false);
    };
  }

  ReplyEffect<Event, EmcState> remove(EmcState state, RemoveMember cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member");
    }
    if (member.owner()) {
      return entity.reject(
          cmd.replyTo(),
          EmcCodes.OWNER_CANNOT_LEAVE,
          "the owner cannot leave: dissolve the EMC or transfer ownership first");
    }
    boolean leaving = cmd.actingMeId().equals(cmd.meId());
    if (!leaving && !cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    return entity.persist(new MemberLeft(emcId, cmd.meId(), !leaving, clock.instant()),
        leaving ? "emc.member-left" : "emc.member-removed",
        cmd.replyTo(),
        false);
  }

  ReplyEffect<Event, EmcState> proposeTerms(EmcState state, ProposeTerms cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + cmd.terms().shareBps() > MAX_BPS) {
      return entity.shareExceeded(cmd.replyTo(), held, cmd.terms().shareBps());
    }
    return entity.persist(new TermsProposed(emcId, cmd.meId(), cmd.terms(), clock.instant()),
        "emc.terms-proposed",
        cmd.replyTo(),
        false);
  }

  ReplyEffect<Event, EmcState> acceptTerms(EmcState state, AcceptTerms cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member accepts its terms");
    }
    if (member.proposedTerms() == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.NO_TERMS_PROPOSED, "no new terms are proposed");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + member.proposedTerms().shareBps() > MAX_BPS) {
      return entity.shareExceeded(cmd.replyTo(), held, member.proposedTerms().shareBps());
    }
    return entity.persist(new ContractAmended(emcId, cmd.meId(), member.proposedTerms(), clock.instant(), cmd.charter()),
        "emc.contract-amended",
        cmd.replyTo(),
        false);
  }

  ReplyEffect<Event, EmcState> transferOwnership(EmcState state, TransferOwnership cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    Member to = state.members().get(cmd.meId());
    if (to == null || to.owner() || to.emcMember()) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member who could own the EMC");
    }
    Member from = state.members().get(state.ownerMeId());
    return entity.persist(
            new OwnershipTransferred(
                emcId, state.name(), from.meId(), from.side(), to.meId(), to.side(), OWNER_ROLE, clock.instant()),
        "emc.ownership-transferred",
        cmd.replyTo(),
        false);
  }

  /** Accepting an invitation that replaces a seat: only while that member is still at risk. */
  ReplyEffect<Event, EmcState> replaceSeat(EmcState state, ReplaceSeat cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    if (invitation.status() == InvitationStatus.ACCEPTED) {
      return entity.effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    if (invitation.status() != InvitationStatus.PENDING || !clock.instant().isBefore(invitation.expiresAt())) {
      return entity.reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation is no longer open");
    }
    Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId(), cmd.helpFirst());
    if (refused.isPresent()) {
      return entity.effect().reply(cmd.replyTo(), refused.get());
    }
    Member old = state.members().get(cmd.replacesMeId());
    if (state.members().containsKey(invitation.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(old.meId());
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return entity.shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
    }
    SeatReplaced event =
        new SeatReplaced(
            emcId,
            state.name(),
            invitation.invitationId(),
            old.meId(),
            invitation.meId(),
            invitation.side(),
            invitation.role(),
            invitation.terms(),
            clock.instant(),
            cmd.charter());
    return entity.persist(event, "emc.seat-replaced", cmd.replyTo(), false);
  }
}
