package io.rendan.emc;

import static io.rendan.emc.EmcMembership.MAX_BPS;

import io.rendan.vocabulary.BusinessClock;
import io.rendan.emc.EmcEvents.EmcDissolved;
import io.rendan.emc.EmcEvents.EmcStarted;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.InvitationsExpired;
import io.rendan.emc.EmcMembership.Invitation;
import io.rendan.emc.EmcMembership.InvitationStatus;
import io.rendan.emc.EmcMembership.Member;
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
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.rendan.emc.EmcEvents.MemberLeft;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
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
 *
 * <p>This class holds the behaviour: which commands each lifecycle state takes
 * (not started, dissolved, running), the effects they share, the expiry timer
 * and recovery. What is asked and answered is {@link EmcProtocol}, what is stored
 * {@link EmcEvents}, the state and how events change it {@link EmcState}; the
 * rules of membership and contracts are {@link MembershipRules}, those of revenue
 * and periods {@link RevenueRules}, help cases {@link HelpCases}.
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

  /**
   * Starts the EMC shard region on this node; {@code publisher} takes every
   * change (the node's topics), {@code clock} is the business clock.
   */
  public static void init(ActorSystem<?> system, EmcSettings settings, ChangePublisher publisher, Clock clock) {
    ClusterSharding.get(system)
        .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, publisher, clock)));
  }

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
  private final MembershipRules membership;
  private final RevenueRules revenue;

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
    this.membership = new MembershipRules(this, emcId, settings, clock);
    this.revenue = new RevenueRules(this, emcId, settings, clock);
  }

  /** The effects, for the rule classes that answer through this entity. */
  EffectFactories<Event, EmcState> effect() {
    return Effect();
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
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply())
        .onCommand(RemovalNotice.ScheduleRemoval.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemovalNotice.CancelRemoval.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemovalNotice.RemovalsDue.class, (s, c) -> Effect().noReply());

    builder
        .forState(EmcState::isDissolved)
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply())
        .onCommand(RemovalNotice.RemovalsDue.class, (s, c) -> Effect().noReply())
        // A retried revenue of before the dissolution still gets its answer.
        .onCommand(RecordRevenue.class, (s, c) -> s.accounts().revenues().containsKey(c.revenueId()) ? revenue.recordRevenue(s, c) : refuseDissolved(s, c))
        .onAnyCommand(this::refuseDissolved);

    builder
        .forAnyState()
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(InviteMember.class, membership::invite)
        .onCommand(AcceptInvitation.class, membership::accept)
        .onCommand(DeclineInvitation.class, membership::decline)
        .onCommand(RemoveMember.class, membership::remove)
        .onCommand(ProposeTerms.class, membership::proposeTerms)
        .onCommand(AcceptTerms.class, membership::acceptTerms)
        .onCommand(DissolveEmc.class, this::dissolve)
        .onCommand(TransferOwnership.class, membership::transferOwnership)
        .onCommand(RecordRevenue.class, revenue::recordRevenue)
        .onCommand(ReportPeriodValue.class, revenue::reportPeriodValue)
        .onCommand(ClosePeriod.class, revenue::closePeriod)
        .onCommand(ReplaceSeat.class, membership::replaceSeat)
        .onCommand(HelpCases.PledgeHelp.class, this::help)
        .onCommand(HelpCases.AnswerPledge.class, this::help)
        .onCommand(HelpCases.DeliverHelp.class, this::help)
        .onCommand(HelpCases.AgreeToLeave.class, this::help)
        .onCommand(ExpireInvitations.class, this::expireInvitations)
        .onCommand(RemovalNotice.ScheduleRemoval.class, (s, c) -> RemovalNotice.schedule(this, s, emcId, c, clock))
        .onCommand(RemovalNotice.CancelRemoval.class, (s, c) -> RemovalNotice.cancel(this, s, emcId, c, clock))
        .onCommand(RemovalNotice.RemovalsDue.class, this::removalsDue);

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

  private ReplyEffect<Event, EmcState> dissolve(EmcState state, DissolveEmc cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    List<String> memberIds = new ArrayList<>(state.members().keySet());
    return persist(new EmcDissolved(emcId, memberIds, clock.instant()), "emc.dissolved", cmd.replyTo(), false);
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

  /** Due removals take effect, one event each (the timer fires again at once for the next). */
  private ReplyEffect<Event, EmcState> removalsDue(EmcState state, RemovalNotice.RemovalsDue cmd) {
    Optional<MemberLeft> due = RemovalNotice.due(state, emcId, clock.instant());
    if (due.isEmpty()) {
      armExpiryTimer(state);
      return Effect().noReply();
    }
    return Effect()
        .persist(due.get())
        .thenRun(
            s -> {
              published("emc.member-removed", s);
              armExpiryTimer(s);
            })
        .thenNoReply();
  }

  String currency(EmcState state) {
    return state.accounts().currency() == null ? settings.defaultCurrency() : state.accounts().currency();
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
    if (cmd instanceof RemovalNotice.ScheduleRemoval c) return c.replyTo();
    if (cmd instanceof RemovalNotice.CancelRemoval c) return c.replyTo();
    if (HelpCases.replyTo(cmd) != null) return HelpCases.replyTo(cmd);
    throw new IllegalArgumentException("no reply for " + cmd);
  }

  /** One command, one event: the version (and a push's seq) grows by exactly one per change. */
  ReplyEffect<Event, EmcState> persist(Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
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
    HelpRules.Decision decision = HelpRules.decide(state, emcId, cmd, currency(state), clock.instant());
    if (decision instanceof HelpRules.Persist p) {
      return persist(p.event(), HelpCases.eventName(p.event()), replyTo, cmd instanceof HelpCases.PledgeHelp);
    }
    if (decision instanceof HelpRules.Refused r) {
      return Effect().reply(replyTo, r.rejection());
    }
    return Effect().reply(replyTo, new Accepted(state, false));
  }

  /**
   * An event and the help events it brings (cases opened or closed by a period's
   * close, advances repaid from a revenue), stored in one atomic write; one push
   * per event, with consecutive sequence numbers.
   */
  ReplyEffect<Event, EmcState> persistWithHelp(
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

  void published(String eventName, EmcState state) {
    publisher.published(eventName, state);
  }

  /** Re-armed after every change and on recovery: the entity's own deadlines (invitations' expiry, removals with notice). */
  private void armExpiryTimer(EmcState state) {
    arm(ExpireInvitations.INSTANCE, state.isDissolved() ? Optional.empty() : state.nextExpiry());
    arm(RemovalNotice.RemovalsDue.INSTANCE, state.isDissolved() ? Optional.empty() : RemovalNotice.nextDue(state));
  }

  private void arm(Command key, Optional<Instant> next) {
    if (next.isEmpty()) {
      timers.cancel(key);
      return;
    }
    timers.startSingleTimer(key, key, BusinessClock.delayUntil(clock, next.get()));
  }

  ReplyEffect<Event, EmcState> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }

  ReplyEffect<Event, EmcState> notOwner(ActorRef<Reply> replyTo) {
    return reject(replyTo, EmcCodes.NOT_OWNER, "only the owner of the EMC may do this");
  }

  ReplyEffect<Event, EmcState> shareExceeded(ActorRef<Reply> replyTo, int held, int asked) {
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
