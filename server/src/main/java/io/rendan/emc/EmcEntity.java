package io.rendan.emc;

import static io.rendan.emc.EmcMembership.MAX_BPS;
import static io.rendan.emc.EmcMembership.OWNER_ROLE;

import io.rendan.BusinessClock;
import io.rendan.emc.EmcAccounts.Tally;
import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcEvents.ContractAmended;
import io.rendan.emc.EmcEvents.EmcDissolved;
import io.rendan.emc.EmcEvents.EmcStarted;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.InvitationDeclined;
import io.rendan.emc.EmcEvents.InvitationsExpired;
import io.rendan.emc.EmcEvents.MemberInvited;
import io.rendan.emc.EmcEvents.MemberJoined;
import io.rendan.emc.EmcEvents.MemberLeft;
import io.rendan.emc.EmcEvents.OwnershipTransferred;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.EmcEvents.PeriodValueReported;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcEvents.SeatReplaced;
import io.rendan.emc.EmcEvents.TermsProposed;
import io.rendan.emc.EmcMembership.Contract;
import io.rendan.emc.EmcMembership.Invitation;
import io.rendan.emc.EmcMembership.InvitationStatus;
import io.rendan.emc.EmcMembership.Member;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.emc.EmcProtocol.AcceptInvitation;
import io.rendan.emc.EmcProtocol.AcceptTerms;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.ClosePeriod;
import io.rendan.emc.EmcProtocol.Command;
import io.rendan.emc.EmcProtocol.DeclineInvitation;
import io.rendan.emc.EmcProtocol.DissolveEmc;
import io.rendan.emc.EmcProtocol.ExpireInvitations;
import io.rendan.emc.EmcProtocol.GetEmc;
import io.rendan.emc.EmcProtocol.InviteMember;
import io.rendan.emc.EmcProtocol.ProposeTerms;
import io.rendan.emc.EmcProtocol.RecordRevenue;
import io.rendan.emc.EmcProtocol.Rejected;
import io.rendan.emc.EmcProtocol.RemoveMember;
import io.rendan.emc.EmcProtocol.ReplaceSeat;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.emc.EmcProtocol.ReportPeriodValue;
import io.rendan.emc.EmcProtocol.StartEmc;
import io.rendan.emc.EmcProtocol.TransferOwnership;
import io.rendan.vocabulary.CommonCodes;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * An ecosystem micro-community: an alliance of MEs around one user group, with
 * an owner ME, members on the experience or solution side, their contracts
 * (versioned: revenue is split by the version in force when it was earned) and
 * invitations. Commands name the ME the caller acts for ({@code actingMeId});
 * {@link EmcApi} has checked that the caller operates it, this entity checks
 * what that ME may do here.
 *
 * <p>Every event is tagged with one of {@code tagSlices} tags so that the
 * membership delivery (and later read models) can follow the journal.
 */
public final class EmcEntity
    extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, EmcState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Emc");

  /** Where live changes go; the real one is the cluster-wide topic {@code emc/{emcId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, EmcState emc);
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String emcId, EmcSettings settings, ChangePublisher publisher, Clock clock) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new EmcEntity(ctx, timers, emcId, settings, publisher, clock)));
  }

  public static PersistenceId persistenceId(String emcId) {
    return PersistenceId.of(TYPE_KEY.name(), emcId);
  }

  /** The journal tag of an EMC's events: one of {@code slices}, stable for an id. */
  public static String tag(String emcId, int slices) {
    return "emc-" + Math.floorMod(emcId.hashCode(), slices);
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String emcId;
  private final EmcSettings settings;
  private final ChangePublisher publisher;
  private final Clock clock;

  private EmcEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String emcId,
      EmcSettings settings,
      ChangePublisher publisher,
      Clock clock) {
    super(
        persistenceId(emcId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.context = context;
    this.timers = timers;
    this.emcId = emcId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
  }

  @Override
  public EmcState emptyState() {
    return EmcState.empty(emcId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tag(emcId, settings.tagSlices()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, EmcState> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, EmcState> builder = newCommandHandlerWithReplyBuilder();

    builder
        .forState(state -> !state.isStarted())
        .onCommand(StartEmc.class, this::start)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(InviteMember.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AcceptInvitation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclineInvitation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveMember.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ProposeTerms.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AcceptTerms.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(TransferOwnership.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RecordRevenue.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReportPeriodValue.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ClosePeriod.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReplaceSeat.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.PledgeHelp.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.AnswerPledge.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.DeliverHelp.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.AgreeToLeave.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply());

    builder
        .forState(EmcState::isDissolved)
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply())
        // A retried revenue of before the dissolution still gets its answer.
        .onCommand(RecordRevenue.class, (s, c) -> s.accounts().revenues().containsKey(c.revenueId()) ? recordRevenue(s, c) : refuseDissolved(s, c))
        .onAnyCommand(this::refuseDissolved);

    builder
        .forAnyState()
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(InviteMember.class, this::invite)
        .onCommand(AcceptInvitation.class, this::accept)
        .onCommand(DeclineInvitation.class, this::decline)
        .onCommand(RemoveMember.class, this::remove)
        .onCommand(ProposeTerms.class, this::proposeTerms)
        .onCommand(AcceptTerms.class, this::acceptTerms)
        .onCommand(DissolveEmc.class, this::dissolve)
        .onCommand(TransferOwnership.class, this::transferOwnership)
        .onCommand(RecordRevenue.class, this::recordRevenue)
        .onCommand(ReportPeriodValue.class, this::reportPeriodValue)
        .onCommand(ClosePeriod.class, this::closePeriod)
        .onCommand(ReplaceSeat.class, this::replaceSeat)
        .onCommand(HelpCases.PledgeHelp.class, this::help)
        .onCommand(HelpCases.AnswerPledge.class, this::help)
        .onCommand(HelpCases.DeliverHelp.class, this::help)
        .onCommand(HelpCases.AgreeToLeave.class, this::help)
        .onCommand(ExpireInvitations.class, this::expireInvitations);

    return builder.build();
  }

  private ReplyEffect<Event, EmcState> start(EmcState state, StartEmc cmd) {
    EmcStarted event =
        new EmcStarted(
            emcId,
            cmd.name(),
            cmd.userGroup(),
            cmd.ownerMeId(),
            cmd.ownerSide(),
            cmd.startedBy(),
            clock.instant(),
            cmd.currency() == null ? settings.defaultCurrency() : cmd.currency());
    return persist(event, "emc.started", cmd.replyTo(), true);
  }

  /** The same start again (a retry) gets the same answer; anything else is a conflict. */
  private ReplyEffect<Event, EmcState> startAgain(EmcState state, StartEmc cmd) {
    Member owner = state.members().get(state.ownerMeId());
    boolean same =
        state.name().equals(cmd.name())
            && state.userGroup().equals(cmd.userGroup())
            && state.ownerMeId().equals(cmd.ownerMeId())
            && owner != null
            && owner.side() == cmd.ownerSide()
            && (cmd.currency() == null || cmd.currency().equals(currency(state)));
    if (same) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), EmcCodes.ALREADY_EXISTS, "an EMC with id " + emcId + " exists");
  }

  private ReplyEffect<Event, EmcState> invite(EmcState state, InviteMember cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Invitation existing = state.invitations().get(cmd.invitationId());
    if (existing != null) {
      boolean same =
          existing.meId().equals(cmd.meId())
              && existing.side() == cmd.side()
              && existing.role().equals(cmd.role())
              && existing.terms().equals(cmd.terms());
      return same
          ? Effect().reply(cmd.replyTo(), new Accepted(state, false))
          : reject(cmd.replyTo(), EmcCodes.INVITATION_CONFLICT, "invitation " + cmd.invitationId() + " has other terms");
    }
    if (state.members().containsKey(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, cmd.meId() + " is already a member");
    }
    Instant now = clock.instant();
    boolean pendingForMe =
        state.invitations().values().stream().anyMatch(i -> i.meId().equals(cmd.meId()) && i.isPendingAt(now));
    if (pendingForMe) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_PENDING, cmd.meId() + " already has a pending invitation");
    }
    if (state.members().size() >= settings.maxMembers()) {
      return reject(cmd.replyTo(), EmcCodes.TOO_MANY_MEMBERS, "an EMC has at most " + settings.maxMembers() + " members");
    }
    if (cmd.replacesMeId() != null) {
      Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId());
      if (refused.isPresent()) {
        return Effect().reply(cmd.replyTo(), refused.get());
      }
    }
    // A replacement frees the old seat's share when it is accepted.
    int heldAfter = state.sharesHeld(cmd.replacesMeId());
    if (heldAfter + cmd.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), heldAfter, cmd.terms().shareBps());
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
            cmd.replacesMeId());
    return persist(event, "emc.member-invited", cmd.replyTo(), true);
  }

  private ReplyEffect<Event, EmcState> accept(EmcState state, AcceptInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    switch (invitation.status()) {
      case ACCEPTED:
        return Effect().reply(cmd.replyTo(), new Accepted(state, false));
      case DECLINED:
        return reject(cmd.replyTo(), EmcCodes.INVITATION_DECLINED, "the invitation was declined");
      case EXPIRED:
        return reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING:
        break;
    }
    Instant now = clock.instant();
    if (!now.isBefore(invitation.expiresAt())) {
      // The entity's clock decides; the expiry is stored before the refusal goes out.
      return Effect()
          .persist(new InvitationsExpired(emcId, List.of(invitation.invitationId()), now))
          .thenRun(s -> published("emc.invitation-expired", s))
          .thenReply(cmd.replyTo(), s -> new Rejected(EmcCodes.INVITATION_EXPIRED, "the invitation has expired"));
    }
    if (invitation.replacesMeId() != null) {
      return replaceSeat(state, new ReplaceSeat(invitation.invitationId(), invitation.replacesMeId(), cmd.actingMeId(), cmd.replyTo()));
    }
    if (state.members().containsKey(invitation.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(null);
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
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
            now);
    return persist(joined, "emc.member-joined", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, EmcState> decline(EmcState state, DeclineInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    return switch (invitation.status()) {
      case DECLINED -> Effect().reply(cmd.replyTo(), new Accepted(state, false));
      case ACCEPTED -> reject(cmd.replyTo(), EmcCodes.INVITATION_ACCEPTED, "the invitation was accepted");
      case EXPIRED -> reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING ->
          persist(new InvitationDeclined(emcId, invitation.invitationId(), clock.instant()),
              "emc.invitation-declined",
              cmd.replyTo(),
              false);
    };
  }

  private ReplyEffect<Event, EmcState> remove(EmcState state, RemoveMember cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member");
    }
    if (member.owner()) {
      return reject(
          cmd.replyTo(),
          EmcCodes.OWNER_CANNOT_LEAVE,
          "the owner cannot leave: dissolve the EMC or transfer ownership first");
    }
    boolean leaving = cmd.actingMeId().equals(cmd.meId());
    if (!leaving && !cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    return persist(new MemberLeft(emcId, cmd.meId(), !leaving, clock.instant()),
        leaving ? "emc.member-left" : "emc.member-removed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, EmcState> proposeTerms(EmcState state, ProposeTerms cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + cmd.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, cmd.terms().shareBps());
    }
    return persist(new TermsProposed(emcId, cmd.meId(), cmd.terms(), clock.instant()),
        "emc.terms-proposed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, EmcState> acceptTerms(EmcState state, AcceptTerms cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member accepts its terms");
    }
    if (member.proposedTerms() == null) {
      return reject(cmd.replyTo(), EmcCodes.NO_TERMS_PROPOSED, "no new terms are proposed");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + member.proposedTerms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, member.proposedTerms().shareBps());
    }
    return persist(new ContractAmended(emcId, cmd.meId(), member.proposedTerms(), clock.instant()),
        "emc.contract-amended",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, EmcState> dissolve(EmcState state, DissolveEmc cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    List<String> memberIds = new ArrayList<>(state.members().keySet());
    return persist(new EmcDissolved(emcId, memberIds, clock.instant()), "emc.dissolved", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, EmcState> transferOwnership(EmcState state, TransferOwnership cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Member to = state.members().get(cmd.meId());
    if (to == null || to.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member who could own the EMC");
    }
    Member from = state.members().get(state.ownerMeId());
    return persist(
            new OwnershipTransferred(
                emcId, state.name(), from.meId(), from.side(), to.meId(), to.side(), OWNER_ROLE, clock.instant()),
        "emc.ownership-transferred",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, EmcState> expireInvitations(EmcState state, ExpireInvitations cmd) {
    Instant now = clock.instant();
    List<String> due =
        state.invitations().values().stream()
            .filter(i -> i.status() == InvitationStatus.PENDING && !now.isBefore(i.expiresAt()))
            .map(Invitation::invitationId)
            .toList();
    if (due.isEmpty()) {
      armExpiryTimer(state);
      return Effect().noReply();
    }
    return Effect()
        .persist(new InvitationsExpired(emcId, due, now))
        .thenRun(
            s -> {
              published("emc.invitation-expired", s);
              armExpiryTimer(s);
            })
        .thenNoReply();
  }

  private String currency(EmcState state) {
    return state.accounts().currency() == null ? settings.defaultCurrency() : state.accounts().currency();
  }

  private ReplyEffect<Event, EmcState> recordRevenue(EmcState state, RecordRevenue cmd) {
    RevenueShared known = state.accounts().revenues().get(cmd.revenueId());
    if (known != null) {
      return known.sameAs(cmd)
          ? Effect().reply(cmd.replyTo(), new Accepted(state, false))
          : reject(cmd.replyTo(), EmcCodes.REVENUE_CONFLICT, "revenue " + cmd.revenueId() + " was recorded with other content");
    }
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    if (!cmd.currency().equals(currency(state))) {
      return reject(
          cmd.replyTo(), EmcCodes.CURRENCY_MISMATCH, "the EMC keeps its books in " + currency(state) + ", not " + cmd.currency());
    }
    Instant now = clock.instant();
    Instant keepSince = now.minus(settings.revenueWindow());
    List<RevenueSplit.Party> parties;
    Instant earnedAt;
    if (cmd.refundOf() != null) {
      // A refund flows back through the split of the revenue it refunds.
      RevenueShared original = state.accounts().revenues().get(cmd.refundOf());
      if (original == null || original.refundOf() != null) {
        return reject(cmd.replyTo(), EmcCodes.REVENUE_NOT_FOUND, "no revenue " + cmd.refundOf() + " to refund within the window");
      }
      long refunded =
          state.accounts().revenues().values().stream()
              .filter(r -> cmd.refundOf().equals(r.refundOf()))
              .mapToLong(RevenueShared::amountMinor)
              .sum();
      if (cmd.amountMinor() >= 0 || original.amountMinor() + refunded + cmd.amountMinor() < 0) {
        return reject(
            cmd.replyTo(),
            CommonCodes.REQUEST_INVALID,
            "a refund is negative and at most what is left of the revenue: " + (original.amountMinor() + refunded));
      }
      parties =
          original.parts().stream()
              .map(p -> new RevenueSplit.Party(p.meId(), p.shareBps(), p.contractVersion(), p.owner()))
              .toList();
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
    } else {
      if (cmd.amountMinor() <= 0) {
        return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "amountMinor must be positive; give money back with refundOf");
      }
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
      parties = null;
    }
    if (earnedAt.isAfter(now)) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is in the future");
    }
    if (earnedAt.isBefore(state.createdAt())) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is before the EMC started");
    }
    if (earnedAt.isBefore(keepSince)) {
      return reject(
          cmd.replyTo(),
          EmcCodes.REVENUE_TOO_OLD,
          "revenue earned more than " + settings.revenueWindow().toDays() + " days ago can no longer be recorded");
    }
    YearMonth period = YearMonth.from(earnedAt.atOffset(ZoneOffset.UTC));
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (cmd.attributedMeId() != null && state.partiesAt(earnedAt).stream().noneMatch(p -> p.meId().equals(cmd.attributedMeId()))) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.attributedMeId() + " was not a member when it was earned");
    }
    if (parties == null) {
      parties = state.partiesAt(earnedAt);
    }
    if (parties.stream().anyMatch(p -> p.shareBps() < 0)) {
      // Cannot happen while every change keeps shares within 10 000 bps.
      return reject(cmd.replyTo(), EmcCodes.SHARE_EXCEEDED, "shares in force at " + earnedAt + " exceed " + MAX_BPS);
    }
    List<RevenueSplit.Part> parts = RevenueSplit.split(cmd.amountMinor(), parties);
    RevenueShared event =
        new RevenueShared(
            emcId,
            cmd.revenueId(),
            cmd.amountMinor(),
            cmd.currency(),
            cmd.source(),
            earnedAt,
            cmd.units(),
            cmd.attributedMeId(),
            cmd.refundOf(),
            parts,
            now,
            keepSince);
    return persistWithHelp(event, "emc.revenue-shared", HelpCases.repayments(state, event), cmd.replyTo(), true);
  }

  private ReplyEffect<Event, EmcState> reportPeriodValue(EmcState state, ReportPeriodValue cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member reports its own value");
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (period.isAfter(YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)))) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "period " + period + " has not begun");
    }
    return persist(
        new PeriodValueReported(emcId, cmd.period(), cmd.meId(), cmd.value(), clock.instant()),
        "emc.period-value-reported",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, EmcState> closePeriod(EmcState state, ClosePeriod cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is already closed");
    }
    YearMonth next = state.nextPeriodToClose();
    Instant end = period.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (!period.equals(next) || clock.instant().isBefore(end)) {
      return reject(
          cmd.replyTo(),
          EmcCodes.PERIOD_NOT_CLOSABLE,
          "periods close in order once they have ended; the next to close is " + next);
    }
    Tally tally = state.accounts().tallies().getOrDefault(period.toString(), Tally.EMPTY);
    Instant last = end.minusNanos(1);
    List<TargetResult> results = new ArrayList<>();
    for (Member m : state.members().values()) {
      if (m.owner() || m.joinedAt().isAfter(last)) {
        continue;
      }
      Optional<Contract> contract = EmcState.contractAt(m.history(), last);
      if (contract.isEmpty()) {
        continue;
      }
      Terms terms = contract.get().terms();
      long achieved = tally.achieved(m.meId(), terms.target().metric());
      boolean met = achieved >= terms.target().amount();
      int missed = met ? 0 : state.standing(m.meId()).missedInRow() + 1;
      int limit = terms.missedPeriodLimit() <= 0 ? 3 : terms.missedPeriodLimit();
      results.add(
          new TargetResult(
              m.meId(), contract.get().version(), terms.target().metric(), terms.target().amount(), achieved, met, missed, missed >= limit));
    }
    PeriodClosed closed = new PeriodClosed(emcId, period.toString(), results, clock.instant());
    return persistWithHelp(closed, "emc.period-closed", HelpCases.afterPeriod(state, closed), cmd.replyTo(), false);
  }

  /** Accepting an invitation that replaces a seat: only while that member is still at risk. */
  private ReplyEffect<Event, EmcState> replaceSeat(EmcState state, ReplaceSeat cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    if (invitation.status() == InvitationStatus.ACCEPTED) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    if (invitation.status() != InvitationStatus.PENDING || !clock.instant().isBefore(invitation.expiresAt())) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation is no longer open");
    }
    Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId());
    if (refused.isPresent()) {
      return Effect().reply(cmd.replyTo(), refused.get());
    }
    Member old = state.members().get(cmd.replacesMeId());
    if (state.members().containsKey(invitation.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(old.meId());
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
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
            clock.instant());
    return persist(event, "emc.seat-replaced", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, EmcState> refuseDissolved(EmcState state, Command cmd) {
    ActorRef<Reply> replyTo = replyTo(cmd);
    return reject(replyTo, EmcCodes.DISSOLVED, "the EMC is dissolved");
  }

  private static ActorRef<Reply> replyTo(Command cmd) {
    if (cmd instanceof InviteMember c) return c.replyTo();
    if (cmd instanceof AcceptInvitation c) return c.replyTo();
    if (cmd instanceof DeclineInvitation c) return c.replyTo();
    if (cmd instanceof RemoveMember c) return c.replyTo();
    if (cmd instanceof ProposeTerms c) return c.replyTo();
    if (cmd instanceof AcceptTerms c) return c.replyTo();
    if (cmd instanceof TransferOwnership c) return c.replyTo();
    if (cmd instanceof RecordRevenue c) return c.replyTo();
    if (cmd instanceof ReportPeriodValue c) return c.replyTo();
    if (cmd instanceof ClosePeriod c) return c.replyTo();
    if (cmd instanceof ReplaceSeat c) return c.replyTo();
    if (HelpCases.replyTo(cmd) != null) return HelpCases.replyTo(cmd);
    throw new IllegalArgumentException("no reply for " + cmd);
  }

  /** One command, one event: the version (and a push's seq) grows by exactly one per change. */
  private ReplyEffect<Event, EmcState> persist(Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              published(eventName, s);
              armExpiryTimer(s);
            })
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  /** A help command: its event, or the unchanged state, or its refusal. */
  private ReplyEffect<Event, EmcState> help(EmcState state, Command cmd) {
    ActorRef<Reply> replyTo = HelpCases.replyTo(cmd);
    HelpCases.Decision decision = HelpCases.decide(state, emcId, cmd, currency(state), clock.instant());
    if (decision instanceof HelpCases.Persist p) {
      return persist(p.event(), HelpCases.eventName(p.event()), replyTo, cmd instanceof HelpCases.PledgeHelp);
    }
    if (decision instanceof HelpCases.Refused r) {
      return Effect().reply(replyTo, r.rejection());
    }
    return Effect().reply(replyTo, new Accepted(state, false));
  }

  /**
   * An event and the help events it brings (cases opened or closed by a period's
   * close, advances repaid from a revenue), stored in one atomic write; one push
   * per event, with consecutive sequence numbers.
   */
  private ReplyEffect<Event, EmcState> persistWithHelp(
      Event event, String eventName, List<Event> help, ActorRef<Reply> replyTo, boolean created) {
    if (help.isEmpty()) {
      return persist(event, eventName, replyTo, created);
    }
    List<Event> all = new ArrayList<>();
    all.add(event);
    all.addAll(help);
    return Effect()
        .persist(all)
        .thenRun(
            s -> {
              long first = s.version() - all.size() + 1;
              published(eventName, s.atVersion(first));
              for (int i = 0; i < help.size(); i++) {
                published(HelpCases.eventName(help.get(i)), s.atVersion(first + 1 + i));
              }
              armExpiryTimer(s);
            })
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  private void published(String eventName, EmcState state) {
    publisher.published(eventName, state);
  }

  /** Re-armed after every change and on recovery: the entity's own deadline. */
  private void armExpiryTimer(EmcState state) {
    Optional<Instant> next = state.isDissolved() ? Optional.empty() : state.nextExpiry();
    if (next.isEmpty()) {
      timers.cancel(ExpireInvitations.INSTANCE);
      return;
    }
    timers.startSingleTimer(
        ExpireInvitations.INSTANCE, ExpireInvitations.INSTANCE, BusinessClock.delayUntil(clock, next.get()));
  }

  private ReplyEffect<Event, EmcState> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }

  private ReplyEffect<Event, EmcState> notOwner(ActorRef<Reply> replyTo) {
    return reject(replyTo, EmcCodes.NOT_OWNER, "only the owner of the EMC may do this");
  }

  private ReplyEffect<Event, EmcState> shareExceeded(ActorRef<Reply> replyTo, int held, int asked) {
    return reject(
        replyTo,
        EmcCodes.SHARE_EXCEEDED,
        "members hold " + held + " bps; " + asked + " more would exceed " + MAX_BPS);
  }

  private Rejected notFound() {
    return new Rejected(EmcCodes.NOT_FOUND, "no EMC with id " + emcId);
  }

  @Override
  public EventHandler<EmcState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(EmcState::apply);
  }

  @Override
  public SignalHandler<EmcState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              context.getLog().debug("EMC {} recovered at version {}", emcId, state.version());
              armExpiryTimer(state);
            })
        .build();
  }
}
