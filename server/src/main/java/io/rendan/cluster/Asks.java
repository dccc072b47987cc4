package io.rendan.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;

/**
 * Asks of sharded entities whose answers continue on the thread that delivers
 * the reply.
 *
 * <p>Pekko's Java {@code ask} hands out Scala's {@code CompletionStage} wrapper,
 * which runs every dependent stage ({@code thenApply}, {@code thenCompose},
 * {@code exceptionally}) <em>asynchronously</em> on the common pool: each ask
 * on a request's path cost a hand-over to another thread (a futex wake and a
 * park; thread hand-overs of all kinds were ~10 % of the node's CPU in a bidding
 * profile). The continuations on these paths are short and never block (map a
 * reply, send the next message), so they run right where the reply arrives
 * instead, as Pekko itself runs its stream callbacks
 * ({@code ExecutionContext.parasitic}).
 *
 * <p>Callers must keep it that way: nothing that blocks or takes long in a stage
 * of a future from here (it would run inside the replying actor's turn).
 */
public final class Asks {
  private Asks() {}

  /** {@code ref.ask(message, timeout)}, with stages that run where the reply lands. */
  public static <M, R> CompletableFuture<R> ask(EntityRef<M> ref, Function<ActorRef<R>, M> message, Duration timeout) {
    return direct(ref.<R>ask(message::apply, timeout));
  }

  /** The same outcome as {@code stage}, as a plain future whose stages run synchronously. */
  private static <T> CompletableFuture<T> direct(CompletionStage<T> stage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    FutureConverters.asScala(stage)
        .onComplete(
            outcome -> {
              if (outcome.isSuccess()) {
                result.complete(outcome.get());
              } else {
                result.completeExceptionally(outcome.failed().get());
              }
              return null;
            },
            ExecutionContext.parasitic$.MODULE$);
    return result;
  }
}
