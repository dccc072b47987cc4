package io.rendan.emc;

import io.rendan.BusinessClock;
import io.rendan.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
    extends EventSourcedBehaviorWithEnforcedReplies<EmcEntity.Command, EmcEntity.Event, EmcEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Emc");
  public static final int MAX_BPS = 10_000;
  public static final String OWNER_ROLE = "owner";

  public enum Side {
    EXPERIENCE,
    SOLUTION
  }

  public enum Metric {
    REVENUE,
    CYCLES,
    UPTIME,
    REPORTED
  }

  public enum Status {
    FORMING,
    ACTIVE,
    DISSOLVED
  }

  public enum InvitationStatus {
    PENDING,
    ACCEPTED,
    DECLINED,
    EXPIRED
  }

  public record Target(Metric metric, long amount) {}

  public record Terms(int shareBps, Target target, int missedPeriodLimit) {}

  public record Contract(int version, Terms terms, Instant effectiveFrom) {}

  /** A seat in the EMC; the owner's has no contract (it keeps the rest). */
  public record Member(
      String meId, Side side, String role, boolean owner, List<Contract> history, Terms proposedTerms, Instant joinedAt) {
    public Member {
      history = List.copyOf(history);
    }

    public Optional<Contract> contract() {
      return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
    }

    public int shareBps() {
      return owner ? 0 : contract().map(c -> c.terms().shareBps()).orElse(0);
    }

    Member withContract(Terms terms, Instant from) {
      List<Contract> next = new ArrayList<>(history);
      next.add(new Contract(history.size() + 1, terms, from));
      return new Member(meId, side, role, owner, next, null, joinedAt);
    }
  }

  public record Invitation(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      InvitationStatus status,
      Instant expiresAt,
      Instant createdAt) {

    Invitation withStatus(InvitationStatus next) {
      return new Invitation(invitationId, meId, side, role, terms, next, expiresAt, createdAt);
    }

    boolean isPendingAt(Instant now) {
      return status == InvitationStatus.PENDING && now.isBefore(expiresAt);
    }
  }

  // ---- commands -------------------------------------------------------------------------------

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
          ExpireInvitations {}

  public record StartEmc(
      String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetEmc(ActorRef<Reply> replyTo) implements Command {}

  public record InviteMember(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Duration validFor,
      String actingMeId,
      ActorRef<Reply> replyTo)
      implements Command {}

  public record AcceptInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record DeclineInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** The member leaves ({@code actingMeId == meId}) or the owner removes it. */
  public record RemoveMember(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record ProposeTerms(String meId, Terms terms, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record AcceptTerms(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record DissolveEmc(String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record TransferOwnership(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** From the entity's own timer: pending invitations past their expiry are closed. */
  public enum ExpireInvitations implements Command {
    INSTANCE
  }

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  public record Accepted(State emc, boolean created) implements Reply {}

  public record Rejected(String code, String message) implements Reply {}

  // ---- events ---------------------------------------------------------------------------------

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
          OwnershipTransferred {
    String emcId();

    Instant at();
  }

  public record EmcStarted(
      String emcId, String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, Instant at)
      implements Event {}

  public record MemberInvited(
      String emcId,
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Instant expiresAt,
      Instant at)
      implements Event {}

  public record MemberJoined(
      String emcId, String emcName, String invitationId, String meId, Side side, String role, Terms terms, Instant at)
      implements Event {}

  public record InvitationDeclined(String emcId, String invitationId, Instant at) implements Event {}

  /** One event for all invitations found due at once: one change, one version, one push. */
  public record InvitationsExpired(String emcId, List<String> invitationIds, Instant at) implements Event {
    public InvitationsExpired {
      invitationIds = List.copyOf(invitationIds);
    }
  }

  public record MemberLeft(String emcId, String meId, boolean removed, Instant at) implements Event {}

  public record TermsProposed(String emcId, String meId, Terms terms, Instant at) implements Event {}

  public record ContractAmended(String emcId, String meId, Terms terms, Instant at) implements Event {}

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

  // ---- state ----------------------------------------------------------------------------------

  /** The EMC; {@code name == null} until it is started. */
  public record State(
      String emcId,
      String name,
      String userGroup,
      String ownerMeId,
      Status status,
      Map<String, Member> members,
      Map<String, Invitation> invitations,
      Instant createdAt,
      long version) {

    public State {
      members = Collections.unmodifiableMap(new TreeMap<>(members));
      invitations = Collections.unmodifiableMap(new LinkedHashMap<>(invitations));
    }

    static State empty(String emcId) {
      return new State(emcId, null, null, null, null, Map.of(), Map.of(), null, 0);
    }

    public boolean isStarted() {
      return name != null;
    }

    public boolean isDissolved() {
      return status == Status.DISSOLVED;
    }

    /** Basis points held by members other than the owner (and {@code except}). */
    public int sharesHeld(String except) {
      return members.values().stream().filter(m -> !m.meId().equals(except)).mapToInt(Member::shareBps).sum();
    }

    public int ownerShareBps() {
      return MAX_BPS - sharesHeld(null);
    }

    /** The earliest expiry among pending invitations, to arm the timer for. */
    Optional<Instant> nextExpiry() {
      return invitations.values().stream()
          .filter(i -> i.status() == InvitationStatus.PENDING)
          .map(Invitation::expiresAt)
          .min(Comparator.naturalOrder());
    }

    State apply(Event event) {
      long next = version + 1;
      Map<String, Member> ms = new TreeMap<>(members);
      Map<String, Invitation> is = new LinkedHashMap<>(invitations);
      String newName = name;
      String newOwner = ownerMeId;
      Status newStatus = status;
      String newUserGroup = userGroup;
      Instant created = createdAt;
      if (event instanceof EmcStarted e) {
        newName = e.name();
        newUserGroup = e.userGroup();
        newOwner = e.ownerMeId();
        newStatus = Status.FORMING;
        created = e.at();
        ms.put(e.ownerMeId(), new Member(e.ownerMeId(), e.ownerSide(), OWNER_ROLE, true, List.of(), null, e.at()));
      } else if (event instanceof MemberInvited e) {
        is.put(
            e.invitationId(),
            new Invitation(
                e.invitationId(), e.meId(), e.side(), e.role(), e.terms(), InvitationStatus.PENDING, e.expiresAt(), e.at()));
      } else if (event instanceof MemberJoined e) {
        is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.ACCEPTED));
        ms.put(
            e.meId(),
            new Member(e.meId(), e.side(), e.role(), false, List.of(), null, e.at()).withContract(e.terms(), e.at()));
        // Active from the first moment both sides have a member; it stays active.
        if (newStatus == Status.FORMING && ms.values().stream().map(Member::side).distinct().count() == 2) {
          newStatus = Status.ACTIVE;
        }
      } else if (event instanceof InvitationDeclined e) {
        is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.DECLINED));
      } else if (event instanceof InvitationsExpired e) {
        e.invitationIds().forEach(id -> is.computeIfPresent(id, (k, i) -> i.withStatus(InvitationStatus.EXPIRED)));
      } else if (event instanceof MemberLeft e) {
        ms.remove(e.meId());
      } else if (event instanceof TermsProposed e) {
        Member m = ms.get(e.meId());
        ms.put(e.meId(), new Member(m.meId(), m.side(), m.role(), m.owner(), m.history(), e.terms(), m.joinedAt()));
      } else if (event instanceof ContractAmended e) {
        ms.put(e.meId(), ms.get(e.meId()).withContract(e.terms(), e.at()));
      } else if (event instanceof EmcDissolved) {
        newStatus = Status.DISSOLVED;
        is.replaceAll((id, i) -> i.status() == InvitationStatus.PENDING ? i.withStatus(InvitationStatus.EXPIRED) : i);
      } else if (event instanceof OwnershipTransferred e) {
        Member from = ms.get(e.fromMeId());
        Member to = ms.get(e.toMeId());
        // The new owner's share returns to the remainder it now keeps; the old
        // owner stays on as a member with a contract of no share, to be amended.
        ms.put(e.toMeId(), new Member(to.meId(), to.side(), OWNER_ROLE, true, to.history(), null, to.joinedAt()));
        ms.put(
            e.fromMeId(),
            new Member(from.meId(), from.side(), "member", false, from.history(), null, from.joinedAt())
                .withContract(new Terms(0, new Target(Metric.REPORTED, 0), 0), e.at()));
        newOwner = e.toMeId();
      } else {
        throw new IllegalStateException("unknown event " + event.getClass());
      }
      return new State(emcId, newName, newUserGroup, newOwner, newStatus, ms, is, created, next);
    }
  }

  /** Where live changes go; the real one is the cluster-wide topic {@code emc/{emcId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State emc);
  }

  public record Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax, int tagSlices, int maxMembers) {}

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
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
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;

  private EmcEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String emcId,
      Settings settings,
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
  public State emptyState() {
    return State.empty(emcId);
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
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

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
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply());

    builder
        .forState(State::isDissolved)
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply())
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
        .onCommand(ExpireInvitations.class, this::expireInvitations);

    return builder.build();
  }

  private ReplyEffect<Event, State> start(State state, StartEmc cmd) {
    EmcStarted event =
        new EmcStarted(
            emcId, cmd.name(), cmd.userGroup(), cmd.ownerMeId(), cmd.ownerSide(), cmd.startedBy(), clock.instant());
    return persist(event, "emc.started", cmd.replyTo(), true);
  }

  /** The same start again (a retry) gets the same answer; anything else is a conflict. */
  private ReplyEffect<Event, State> startAgain(State state, StartEmc cmd) {
    Member owner = state.members().get(state.ownerMeId());
    boolean same =
        state.name().equals(cmd.name())
            && state.userGroup().equals(cmd.userGroup())
            && state.ownerMeId().equals(cmd.ownerMeId())
            && owner != null
            && owner.side() == cmd.ownerSide();
    if (same) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), EmcCodes.ALREADY_EXISTS, "an EMC with id " + emcId + " exists");
  }

  private ReplyEffect<Event, State> invite(State state, InviteMember cmd) {
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
    if (state.sharesHeld(null) + cmd.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), state.sharesHeld(null), cmd.terms().shareBps());
    }
    MemberInvited event =
        new MemberInvited(
            emcId, cmd.invitationId(), cmd.meId(), cmd.side(), cmd.role(), cmd.terms(), now.plus(cmd.validFor()), now);
    return persist(event, "emc.member-invited", cmd.replyTo(), true);
  }

  private ReplyEffect<Event, State> accept(State state, AcceptInvitation cmd) {
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

  private ReplyEffect<Event, State> decline(State state, DeclineInvitation cmd) {
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

  private ReplyEffect<Event, State> remove(State state, RemoveMember cmd) {
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

  private ReplyEffect<Event, State> proposeTerms(State state, ProposeTerms cmd) {
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

  private ReplyEffect<Event, State> acceptTerms(State state, AcceptTerms cmd) {
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

  private ReplyEffect<Event, State> dissolve(State state, DissolveEmc cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    List<String> memberIds = new ArrayList<>(state.members().keySet());
    return persist(new EmcDissolved(emcId, memberIds, clock.instant()), "emc.dissolved", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> transferOwnership(State state, TransferOwnership cmd) {
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

  private ReplyEffect<Event, State> expireInvitations(State state, ExpireInvitations cmd) {
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

  private ReplyEffect<Event, State> refuseDissolved(State state, Command cmd) {
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
    throw new IllegalArgumentException("no reply for " + cmd);
  }

  /** One command, one event: the version (and a push's seq) grows by exactly one per change. */
  private ReplyEffect<Event, State> persist(Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              published(eventName, s);
              armExpiryTimer(s);
            })
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  private void published(String eventName, State state) {
    publisher.published(eventName, state);
  }

  /** Re-armed after every change and on recovery: the entity's own deadline. */
  private void armExpiryTimer(State state) {
    Optional<Instant> next = state.isDissolved() ? Optional.empty() : state.nextExpiry();
    if (next.isEmpty()) {
      timers.cancel(ExpireInvitations.INSTANCE);
      return;
    }
    timers.startSingleTimer(
        ExpireInvitations.INSTANCE, ExpireInvitations.INSTANCE, BusinessClock.delayUntil(clock, next.get()));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }

  private ReplyEffect<Event, State> notOwner(ActorRef<Reply> replyTo) {
    return reject(replyTo, EmcCodes.NOT_OWNER, "only the owner of the EMC may do this");
  }

  private ReplyEffect<Event, State> shareExceeded(ActorRef<Reply> replyTo, int held, int asked) {
    return reject(
        replyTo,
        EmcCodes.SHARE_EXCEEDED,
        "members hold " + held + " bps; " + asked + " more would exceed " + MAX_BPS);
  }

  private Rejected notFound() {
    return new Rejected(EmcCodes.NOT_FOUND, "no EMC with id " + emcId);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
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
