package io.rendan.me;

import io.rendan.me.MeEntity.*;
import io.rendan.me.MeProtocol.*;
import io.rendan.vocabulary.CommonCodes;
import java.time.Clock;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The rules of an ME ({@link MeEntity}): the command handlers, one set per
 * lifecycle state (unregistered, registered) joined with {@code orElse}, and
 * the event handler, which is {@link State#apply}. It lives apart from
 * {@code MeEntity} because the stored types (events, state, their values) keep
 * the names {@link MeSerializer} maps them by.
 */
final class MeBehaviour extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, State> {

  private final ActorContext<Command> context;
  private final String meId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;
  /** This node's register of MEs in memory: the entity keeps its own entry (see {@link LiveMes}). */
  private final LiveMes live;

  MeBehaviour(
      ActorContext<Command> context,
      String meId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      LiveMes live) {
    super(
        MeEntity.persistenceId(meId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.context = context;
    this.meId = meId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
    this.live = live;
  }

  @Override
  public State emptyState() {
    return State.unregistered(meId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(MeEntity.tag(meId, settings.tagSlices()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return unregistered().orElse(registered()).build();
  }

  /** Before registration every command but the registration is answered that there is no such ME. */
  private CommandHandlerWithReplyBuilderByState<Command, Event, State, State> unregistered() {
    return newCommandHandlerWithReplyBuilder()
        .forState(state -> !state.isRegistered())
        .onCommand(RegisterMe.class, this::register)
        .onCommand(GetMe.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(ChangeCapabilities.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(AddOperator.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(RemoveOperator.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(RecordMembership.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(RecordCredit.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(RecordTargetResult.class, (state, cmd) -> reject(cmd.replyTo(), notFound()))
        .onCommand(RecordHelp.class, (state, cmd) -> reject(cmd.replyTo(), notFound()));
  }

  private CommandHandlerWithReplyBuilderByState<Command, Event, State, State> registered() {
    return newCommandHandlerWithReplyBuilder()
        .forState(State::isRegistered)
        .onCommand(RegisterMe.class, this::registerAgain)
        .onCommand(GetMe.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Accepted(state, false)))
        .onCommand(ChangeCapabilities.class, this::changeCapabilities)
        .onCommand(AddOperator.class, this::addOperator)
        .onCommand(RemoveOperator.class, this::removeOperator)
        .onCommand(RecordMembership.class, this::recordMembership)
        .onCommand(RecordCredit.class, this::recordCredit)
        .onCommand(RecordTargetResult.class, this::recordTargetResult)
        .onCommand(RecordHelp.class, this::recordHelp);
  }

  private ReplyEffect<Event, State> register(State state, RegisterMe cmd) {
    MeRegistered event =
        new MeRegistered(meId, cmd.name(), cmd.kind(), MeEntity.sortedUnique(cmd.capabilities()), cmd.caller(), clock.instant());
    return persistThenReply(event, "me.registered", cmd.replyTo(), true);
  }

  /** The same registration again (a retry) gets the same answer; anything else is a conflict. */
  private ReplyEffect<Event, State> registerAgain(State state, RegisterMe cmd) {
    boolean sameRequest =
        state.isOperator(cmd.caller())
            && state.name().equals(cmd.name())
            && state.kind() == cmd.kind()
            && state.capabilities().equals(MeEntity.sortedUnique(cmd.capabilities()));
    if (sameRequest) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), new Rejected(MeCodes.ALREADY_EXISTS, "an ME with id " + meId + " exists"));
  }

  private ReplyEffect<Event, State> changeCapabilities(State state, ChangeCapabilities cmd) {
    if (!state.isOperator(cmd.caller())) {
      return reject(cmd.replyTo(), forbidden());
    }
    List<String> capabilities = MeEntity.sortedUnique(cmd.capabilities());
    if (capabilities.equals(state.capabilities())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return persistThenReply(
        new CapabilitiesChanged(meId, capabilities, cmd.caller(), clock.instant()),
        "me.capabilities-changed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> addOperator(State state, AddOperator cmd) {
    if (!state.isOperator(cmd.caller())) {
      return reject(cmd.replyTo(), forbidden());
    }
    if (state.isOperator(cmd.subject())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return persistThenReply(
        new OperatorAdded(meId, cmd.subject(), cmd.caller(), clock.instant()), "me.operator-added", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> removeOperator(State state, RemoveOperator cmd) {
    if (!state.isOperator(cmd.caller())) {
      return reject(cmd.replyTo(), forbidden());
    }
    if (!state.isOperator(cmd.subject())) {
      return reject(
          cmd.replyTo(), new Rejected(MeCodes.OPERATOR_NOT_FOUND, cmd.subject() + " is not an operator"));
    }
    if (state.operators().size() == 1) {
      return reject(
          cmd.replyTo(), new Rejected(MeCodes.LAST_OPERATOR, "an ME keeps at least one operator"));
    }
    return persistThenReply(
        new OperatorRemoved(meId, cmd.subject(), cmd.caller(), clock.instant()),
        "me.operator-removed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> recordMembership(State state, RecordMembership cmd) {
    Membership known = state.memberships().get(cmd.membership().emcId());
    if (known != null && known.emcSeq() >= cmd.membership().emcSeq()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false)); // a redelivery
    }
    return persistThenReply(
        new MembershipRecorded(meId, cmd.membership(), clock.instant()), "me.membership-recorded", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> recordCredit(State state, RecordCredit cmd) {
    if (state.emcCursor(cmd.credit().emcId()) >= cmd.credit().emcSeq()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false)); // a redelivery
    }
    if (!fitsBalance(state, cmd.credit())) {
      // Refused here rather than thrown by the event handler, where it would crash
      // the ME at every delivery; the EMC's revenue route keeps this from happening.
      return reject(
          cmd.replyTo(),
          new Rejected(
              MeCodes.BALANCE_LIMIT,
              "a credit of " + cmd.credit().amountMinor() + " " + cmd.credit().currency() + " from " + cmd.credit().emcId()
                  + " (revenue " + cmd.credit().revenueId() + ") would overflow the balance of ME " + meId));
    }
    return persistThenReply(new LedgerCredited(meId, cmd.credit(), clock.instant()), "me.ledger-credited", cmd.replyTo(), false);
  }

  private static boolean fitsBalance(State state, Credit credit) {
    long balance = state.balances().getOrDefault(credit.currency(), 0L);
    try {
      Math.addExact(balance, credit.amountMinor());
      return true;
    } catch (ArithmeticException e) {
      return false;
    }
  }

  private ReplyEffect<Event, State> recordTargetResult(State state, RecordTargetResult cmd) {
    if (state.emcCursor(cmd.outcome().emcId()) >= cmd.outcome().emcSeq()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return persistThenReply(
        new TargetResultRecorded(meId, cmd.outcome(), clock.instant()), "me.target-result-recorded", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> recordHelp(State state, RecordHelp cmd) {
    HelpNote n = cmd.note();
    if (state.emcCursor(n.emcId()) >= n.emcSeq()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    if (n.amountMinor() != 0
        && !fitsBalance(state, new Credit(n.emcId(), n.emcSeq(), n.pledgeId(), n.amountMinor(), n.currency(), "help", n.earnedAt(), 0, 0, false))) {
      return reject(
          cmd.replyTo(),
          new Rejected(MeCodes.BALANCE_LIMIT, "a help transfer of " + n.amountMinor() + " " + n.currency() + " would overflow the balance of ME " + meId));
    }
    return persistThenReply(new HelpRecorded(meId, n, clock.instant()), "me.help-recorded", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> persistThenReply(
      Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
    return Effect()
        .persist(event)
        .thenRun(
            newState -> {
              live.stored(newState); // before the reply: see LiveMes
              publisher.published(eventName, newState);
            })
        .thenReply(replyTo, newState -> new Accepted(newState, created));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, Rejected rejection) {
    return Effect().reply(replyTo, rejection);
  }

  private Rejected notFound() {
    return new Rejected(MeCodes.NOT_FOUND, "no ME with id " + meId);
  }

  private static Rejected forbidden() {
    return new Rejected(CommonCodes.AUTH_FORBIDDEN, "only an operator of this ME may change it");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public org.apache.pekko.persistence.typed.javadsl.SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            org.apache.pekko.persistence.typed.RecoveryCompleted.instance(),
            state -> {
              live.stored(state);
              context.getLog().debug("ME {} recovered at version {}", meId, state.version());
            })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, (state, stop) -> live.stopped(meId))
        .build();
  }
}
