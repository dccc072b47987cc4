package io.rendan.painpoint;

import io.rendan.painpoint.PainPointEvents.Event;
import io.rendan.painpoint.PainPointProtocol.Accepted;
import io.rendan.painpoint.PainPointProtocol.Command;
import io.rendan.painpoint.PainPointProtocol.GetBoard;
import io.rendan.painpoint.PainPointProtocol.OpenCall;
import io.rendan.painpoint.PainPointProtocol.PostPainPoint;
import io.rendan.painpoint.PainPointProtocol.Rejected;
import io.rendan.painpoint.PainPointProtocol.Reply;
import io.rendan.painpoint.PainPointProtocol.ReportFault;
import io.rendan.painpoint.PainPointProtocol.ResolveByRound;
import io.rendan.painpoint.PainPointProtocol.TriagePainPoint;
import io.rendan.painpoint.PainPointProtocol.VotePainPoint;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The pain points of one EMC: what its end users report, their votes, and the
 * experience side's triage. One board per EMC (persistence id
 * {@code PainPoints|{emcId}}), so that a subject's posts and votes in a period
 * are counted in one place and a merge moves votes between two pain points in
 * one event. Who may triage is decided before the command reaches the board
 * ({@link PainPointApi}); the board applies the rules of the pain points
 * themselves. Every accepted change is one event, stored before the reply and
 * pushed on {@code painpoints/{emcId}} with the board's version as {@code seq}.
 *
 * <p>Its commands and replies are {@link PainPointProtocol}, its events
 * {@link PainPointEvents}, its state {@link PainPointState} and the rules of each
 * command {@link PainPointRules}.
 */
public final class PainPointBoard
    extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, PainPointState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "PainPoints");
  /** Who posts a pain point opened by a rule rather than a user. */
  public static final String SYSTEM = "system";
  /** The category of a pain point opened by the appliance-fault rule. */
  public static final String FAULT_CATEGORY = "appliance-fault";

  /** Limits of one board, from {@code rendan.painpoint}. */
  public record Settings(
      int postsPerPeriod, int votesPerPeriod, int maxPainPoints, int maxVoters, int snapshotEvery, Duration backoffMin, Duration backoffMax) {}

  /** Where live changes go; the real one is the topic {@code painpoints/{emcId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, PainPointState board, String painPointId);
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
    return Behaviors.setup(ctx -> new PainPointBoard(emcId, settings, publisher, clock));
  }

  public static PersistenceId persistenceId(String emcId) {
    return PersistenceId.of(TYPE_KEY.name(), emcId);
  }

  private final String emcId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final PainPointRules rules;

  private PainPointBoard(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
    super(persistenceId(emcId), SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.emcId = emcId;
    this.settings = settings;
    this.publisher = publisher;
    this.rules = new PainPointRules(this, emcId, settings, clock);
  }

  /** The effects, for the rules that answer through this board. */
  EffectFactories<Event, PainPointState> effect() {
    return Effect();
  }

  @Override
  public PainPointState emptyState() {
    return PainPointState.empty(emcId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public EventHandler<PainPointState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(PainPointState::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, PainPointState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(PostPainPoint.class, rules::post)
        .onCommand(VotePainPoint.class, rules::vote)
        .onCommand(TriagePainPoint.class, rules::triage)
        .onCommand(OpenCall.class, rules::openCall)
        .onCommand(ResolveByRound.class, rules::resolve)
        .onCommand(ReportFault.class, rules::reportFault)
        .onCommand(GetBoard.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Accepted(state, null, false)))
        .build();
  }

  ReplyEffect<Event, PainPointState> persist(Event event, String pushed, ActorRef<Reply> replyTo) {
    return Effect()
        .persist(event)
        .thenRun(next -> publisher.published(pushed, next, event.painPointId()))
        .thenReply(replyTo, next -> new Accepted(next, event.painPointId(), true));
  }

  ReplyEffect<Event, PainPointState> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }
}
