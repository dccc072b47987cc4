package io.rendan.me;

import io.rendan.CborSerializable;
import io.rendan.vocabulary.CommonCodes;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A micro-enterprise: its name, kind, capabilities and the subjects who operate
 * it. Every change is an event first; replies go out only once the event is
 * stored. Live changes are published to the topic {@code me/{meId}} with the
 * entity's sequence number.
 */
public final class MeEntity
    extends EventSourcedBehaviorWithEnforcedReplies<MeEntity.Command, MeEntity.Event, MeEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Me");
  public static final int NEUTRAL_RATING = 500;

  public enum Kind {
    INTERNAL,
    EXTERNAL_PARTNER
  }

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits RegisterMe, GetMe, ChangeCapabilities, AddOperator, RemoveOperator, RecordMembership, RecordCredit, RecordTargetResult, RecordHelp {}

  public record RegisterMe(String name, Kind kind, List<String> capabilities, String caller, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetMe(ActorRef<Reply> replyTo) implements Command {}

  public record ChangeCapabilities(List<String> capabilities, String caller, ActorRef<Reply> replyTo)
      implements Command {}

  public record AddOperator(String subject, String caller, ActorRef<Reply> replyTo) implements Command {}

  public record RemoveOperator(String subject, String caller, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the EMC membership delivery (at least once, in order per EMC): the
   * ME's membership in {@code emcId} as of the EMC's event {@code emcSeq}.
   * Applied once: a message with an {@code emcSeq} already seen changes nothing.
   */
  public record RecordMembership(Membership membership, ActorRef<Reply> replyTo) implements Command {}

  /**
   * A part of an EMC's revenue for this ME, sent by the EMC delivery at least
   * once; applied once, by the same per-EMC cursor as memberships.
   */
  public record RecordCredit(Credit credit, ActorRef<Reply> replyTo) implements Command {}

  /** The ME's result in a closed period of an EMC, delivered like a credit. */
  public record RecordTargetResult(TargetOutcome outcome, ActorRef<Reply> replyTo) implements Command {}

  /** One ledger credit (negative for a refund), keyed by EMC and revenue id. */
  public record Credit(
      String emcId,
      long emcSeq,
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      int shareBps,
      int contractVersion,
      boolean owner) {}

  /** A step of a help case that concerns this ME, delivered like a credit; applied once by the same cursor. */
  public record RecordHelp(HelpNote note, ActorRef<Reply> replyTo) implements Command {}

  /** What a help step is to this ME. The order is the stored number: only ever append. */
  public enum HelpStep {
    PLEDGE_GIVEN,
    PLEDGE_RECEIVED,
    DELIVERED_GIVEN,
    DELIVERED_RECEIVED,
    REPAYMENT_PAID,
    REPAYMENT_RECEIVED,
    CASE_OPENED,
    CASE_RECOVERED,
    CASE_FAILED,
    RECOVERY_HELPED
  }

  /**
   * One help step for this ME; {@code amountMinor} (signed, in {@code currency})
   * moves its balance and is a ledger entry: an advance given (negative) or
   * received, a repayment paid (negative) or received.
   */
  public record HelpNote(
      String emcId, long emcSeq, String caseId, String pledgeId, HelpStep step, long amountMinor, String currency, Instant earnedAt) {}

  /** The ME's record of help given and received in all its EMCs. */
  public record HelpRecord(
      long pledgesGiven,
      long deliveredGiven,
      long pledgesReceived,
      long deliveredReceived,
      long casesOpened,
      long casesRecovered,
      long casesFailed,
      long recoveriesHelped) {
    public static final HelpRecord EMPTY = new HelpRecord(0, 0, 0, 0, 0, 0, 0, 0);

    HelpRecord after(HelpStep step) {
      return switch (step) {
        case PLEDGE_GIVEN -> new HelpRecord(pledgesGiven + 1, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case DELIVERED_GIVEN -> new HelpRecord(pledgesGiven, deliveredGiven + 1, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case PLEDGE_RECEIVED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived + 1, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case DELIVERED_RECEIVED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived + 1, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case CASE_OPENED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened + 1, casesRecovered, casesFailed, recoveriesHelped);
        case CASE_RECOVERED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered + 1, casesFailed, recoveriesHelped);
        case CASE_FAILED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed + 1, recoveriesHelped);
        case RECOVERY_HELPED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped + 1);
        case REPAYMENT_PAID, REPAYMENT_RECEIVED -> this;
      };
    }
  }

  public record TargetOutcome(
      String emcId, long emcSeq, String period, Metric metric, long target, long achieved, boolean met, boolean atRisk) {}

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  /** The command took effect (or had already): the ME as it now is. */
  public record Accepted(State me, boolean created) implements Reply {}

  /** A business rule refused the command; nothing was stored. */
  public record Rejected(String code, String message) implements Reply {}

  // ---- events ---------------------------------------------------------------------------------

  public sealed interface Event
      permits MeRegistered,
          CapabilitiesChanged,
          OperatorAdded,
          OperatorRemoved,
          MembershipRecorded,
          LedgerCredited,
          TargetResultRecorded,
          HelpRecorded {
    String meId();

    Instant at();
  }

  public record MeRegistered(String meId, String name, Kind kind, List<String> capabilities, String operator, Instant at)
      implements Event {}

  public record CapabilitiesChanged(String meId, List<String> capabilities, String changedBy, Instant at)
      implements Event {}

  public record OperatorAdded(String meId, String subject, String addedBy, Instant at) implements Event {}

  public record OperatorRemoved(String meId, String subject, String removedBy, Instant at) implements Event {}

  public record MembershipRecorded(String meId, Membership membership, Instant at) implements Event {}

  /** An immutable ledger entry; corrections are further entries. */
  public record LedgerCredited(String meId, Credit credit, Instant at) implements Event {}

  public record TargetResultRecorded(String meId, TargetOutcome outcome, Instant at) implements Event {}

  public record HelpRecorded(String meId, HelpNote note, Instant at) implements Event {}

  /** This ME's seat in an EMC; inactive ones are kept for their {@code emcSeq}. */
  public record Membership(
      String emcId, String emcName, Side side, String role, boolean owner, boolean active, long emcSeq) {
    Membership at(long seq) {
      return new Membership(emcId, emcName, side, role, owner, active, seq);
    }
  }

  // ---- state ----------------------------------------------------------------------------------

  /**
   * The ME; {@code name == null} until it is registered. Lists are kept sorted and
   * unique so that equal states compare equal. {@code version} counts the events
   * applied, which is the entity's sequence number.
   */
  public record State(
      String meId,
      String name,
      Kind kind,
      List<String> capabilities,
      List<String> operators,
      Instant registeredAt,
      long version,
      Map<String, Membership> memberships,
      Map<String, Long> balances,
      long targetsMet,
      long targetsMissed,
      HelpRecord help) {

    public State {
      help = help == null ? HelpRecord.EMPTY : help;
      capabilities = sortedUnique(capabilities);
      operators = sortedUnique(operators);
      memberships = Collections.unmodifiableMap(new TreeMap<>(memberships));
      balances = Collections.unmodifiableMap(new TreeMap<>(balances == null ? Map.of() : balances));
    }

    public State(
        String meId,
        String name,
        Kind kind,
        List<String> capabilities,
        List<String> operators,
        Instant registeredAt,
        long version,
        Map<String, Membership> memberships) {
      this(meId, name, kind, capabilities, operators, registeredAt, version, memberships, Map.of(), 0, 0, HelpRecord.EMPTY);
    }

    public State(
        String meId,
        String name,
        Kind kind,
        List<String> capabilities,
        List<String> operators,
        Instant registeredAt,
        long version,
        Map<String, Membership> memberships,
        Map<String, Long> balances,
        long targetsMet,
        long targetsMissed) {
      this(meId, name, kind, capabilities, operators, registeredAt, version, memberships, balances, targetsMet, targetsMissed, HelpRecord.EMPTY);
    }

    static State unregistered(String meId) {
      return new State(meId, null, null, List.of(), List.of(), null, 0, Map.of());
    }

    /**
     * 0..1000 from the record of targets and of help delivered to other members:
     * round(1000 × (met + 1 + h/2) / (met + missed + 2 + h/2)) with h the help it
     * delivered, each counting as half a target met; so 500 (neutral) with no
     * record, moving with every result and never reaching 0 or 1000. Bidding
     * weighs asks by it. Integer arithmetic (in halves), halves rounded up.
     */
    public int rating() {
      long h = help.deliveredGiven();
      long d = 2 * (targetsMet + targetsMissed + 2) + h;
      return (int) ((2_000 * (2 * (targetsMet + 1) + h) + d) / (2 * d));
    }

    /** The last EMC event this ME has applied, per EMC: the delivery's de-duplication cursor. */
    public long emcCursor(String emcId) {
      Membership m = memberships.get(emcId);
      return m == null ? 0 : m.emcSeq();
    }

    private State with(long next, Map<String, Membership> ms, Map<String, Long> bs, long met, long missed) {
      return new State(meId, name, kind, capabilities, operators, registeredAt, next, ms, bs, met, missed, help);
    }

    private Map<String, Membership> advanced(String emcId, long seq) {
      Map<String, Membership> all = new HashMap<>(memberships);
      Membership m = all.get(emcId);
      all.put(emcId, m == null ? new Membership(emcId, "", null, "", false, false, seq) : m.at(seq));
      return all;
    }

    /** The memberships in force, by EMC id. */
    public List<Membership> activeMemberships() {
      return memberships.values().stream().filter(Membership::active).toList();
    }

    public boolean isRegistered() {
      return name != null;
    }

    public boolean isOperator(String subject) {
      return operators.contains(subject);
    }

    State apply(Event event) {
      long next = version + 1;
      if (event instanceof MeRegistered e) {
        return new State(meId, e.name(), e.kind(), e.capabilities(), List.of(e.operator()), e.at(), next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof CapabilitiesChanged e) {
        return new State(meId, name, kind, e.capabilities(), operators, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof OperatorAdded e) {
        List<String> ops = new ArrayList<>(operators);
        ops.add(e.subject());
        return new State(meId, name, kind, capabilities, ops, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof OperatorRemoved e) {
        List<String> ops = new ArrayList<>(operators);
        ops.remove(e.subject());
        return new State(meId, name, kind, capabilities, ops, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof MembershipRecorded e) {
        Map<String, Membership> all = new HashMap<>(memberships);
        all.put(e.membership().emcId(), e.membership());
        return with(next, all, balances, targetsMet, targetsMissed);
      } else if (event instanceof LedgerCredited e) {
        Map<String, Long> bs = new TreeMap<>(balances);
        bs.merge(e.credit().currency(), e.credit().amountMinor(), Math::addExact);
        return with(next, advanced(e.credit().emcId(), e.credit().emcSeq()), bs, targetsMet, targetsMissed);
      } else if (event instanceof TargetResultRecorded e) {
        TargetOutcome o = e.outcome();
        return with(
            next, advanced(o.emcId(), o.emcSeq()), balances, targetsMet + (o.met() ? 1 : 0), targetsMissed + (o.met() ? 0 : 1));
      } else if (event instanceof HelpRecorded e) {
        HelpNote n = e.note();
        Map<String, Long> bs = balances;
        if (n.amountMinor() != 0) {
          bs = new TreeMap<>(balances);
          bs.merge(n.currency(), n.amountMinor(), Math::addExact);
        }
        return new State(meId, name, kind, capabilities, operators, registeredAt, next, advanced(n.emcId(), n.emcSeq()), bs, targetsMet, targetsMissed, help.after(n.step()));
      }
      throw new IllegalStateException("unknown event " + event.getClass());
    }
  }

  static List<String> sortedUnique(List<String> values) {
    return values == null ? List.of() : List.copyOf(new TreeSet<>(values));
  }

  /** Where live changes go; the real one is the cluster-wide topic {@code me/{meId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State me);
  }

  /** Tunables of the entity, from {@code rendan.me} in application.conf. */
  public record Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax, int tagSlices) {
    public Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax) {
      this(snapshotEvery, backoffMin, backoffMax, 4);
    }
  }

  /** The journal tag of an ME's events (the ledger read model follows them). */
  public static String tag(String meId, int slices) {
    return "me-" + Math.floorMod(meId.hashCode(), slices);
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String meId, Settings settings, ChangePublisher publisher, Clock clock) {
    return create(meId, settings, publisher, clock, new LiveMes());
  }

  public static Behavior<Command> create(
      String meId, Settings settings, ChangePublisher publisher, Clock clock, LiveMes live) {
    return Behaviors.setup(ctx -> new MeEntity(ctx, meId, settings, publisher, clock, live));
  }

  public static PersistenceId persistenceId(String meId) {
    return PersistenceId.of(TYPE_KEY.name(), meId);
  }

  private final ActorContext<Command> context;
  private final String meId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;
  /** This node's register of MEs in memory: the entity keeps its own entry (see {@link LiveMes}). */
  private final LiveMes live;

  private MeEntity(
      ActorContext<Command> context,
      String meId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      LiveMes live) {
    super(
        persistenceId(meId),
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
    return java.util.Set.of(tag(meId, settings.tagSlices()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

    builder
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

    builder
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

    return builder.build();
  }

  private ReplyEffect<Event, State> register(State state, RegisterMe cmd) {
    MeRegistered event =
        new MeRegistered(meId, cmd.name(), cmd.kind(), sortedUnique(cmd.capabilities()), cmd.caller(), clock.instant());
    return persistThenReply(event, "me.registered", cmd.replyTo(), true);
  }

  /** The same registration again (a retry) gets the same answer; anything else is a conflict. */
  private ReplyEffect<Event, State> registerAgain(State state, RegisterMe cmd) {
    boolean sameRequest =
        state.isOperator(cmd.caller())
            && state.name().equals(cmd.name())
            && state.kind() == cmd.kind()
            && state.capabilities().equals(sortedUnique(cmd.capabilities()));
    if (sameRequest) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), new Rejected(MeCodes.ALREADY_EXISTS, "an ME with id " + meId + " exists"));
  }

  private ReplyEffect<Event, State> changeCapabilities(State state, ChangeCapabilities cmd) {
    if (!state.isOperator(cmd.caller())) {
      return reject(cmd.replyTo(), forbidden());
    }
    List<String> capabilities = sortedUnique(cmd.capabilities());
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
