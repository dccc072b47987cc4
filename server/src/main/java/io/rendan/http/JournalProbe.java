package io.rendan.http;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Whether the journal would take a write now: a short-lived entity with an id that
 * has no events recovers through the journal plugin, and so through the same
 * circuit breaker as every write. After a database outage the breaker stays open
 * for its reset timeout while the database answers queries again; this probe fails
 * until then, and its own call is the trial that closes a half-open breaker. It
 * writes nothing.
 */
final class JournalProbe extends EventSourcedBehavior<JournalProbe.Stop, Object, String> {
  enum Stop {
    INSTANCE
  }

  private static final String ID = "rendan-health-probe";

  private final ActorContext<Stop> context;
  private final CompletableFuture<Done> recovered;

  private JournalProbe(ActorContext<Stop> context, CompletableFuture<Done> recovered) {
    super(PersistenceId.ofUniqueId(ID));
    this.context = context;
    this.recovered = recovered;
  }

  /** Completes when a recovery went through the journal; fails when the journal refused it. */
  static CompletionStage<Done> run(ActorSystem<?> system) {
    CompletableFuture<Done> recovered = new CompletableFuture<>();
    Behavior<Stop> probe = Behaviors.setup(ctx -> new JournalProbe(ctx, recovered));
    system.systemActorOf(probe, "health-probe-" + UUID.randomUUID(), Props.empty());
    return recovered;
  }

  @Override
  public String emptyState() {
    return "";
  }

  @Override
  public CommandHandler<Stop, Object, String> commandHandler() {
    return newCommandHandlerBuilder().forAnyState().onAnyCommand(stop -> Effect().stop());
  }

  @Override
  public EventHandler<String, Object> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state);
  }

  @Override
  public SignalHandler<String> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              recovered.complete(Done.getInstance());
              context.getSelf().tell(Stop.INSTANCE);
            })
        .onSignal(RecoveryFailed.class, (state, failed) -> recovered.completeExceptionally(failed.getFailure()))
        .build();
  }
}
