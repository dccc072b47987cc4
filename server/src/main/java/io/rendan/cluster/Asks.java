package io.rendan.cluster;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>{@link #askAgain} is for messages that are safe to send twice: reads, and
 * writes whose second copy stores nothing more and is answered as the first
 * (a bid by its bidId, readings by their seqs, a round's withdrawal, award and
 * cancellation, an ME's capabilities and added operator, an EMC's invitation,
 * answers to it, dissolution and revenue by its id;
 * docs/ARCHITECTURE.md lists which and why). While an entity moves to another
 * node (a rolling restart hands its shard over, the entity recovers there), a
 * message can land with the shard that is stopping and be lost, or wait in the
 * region's buffer longer than one ask timeout. It is sent again instead of
 * answering 503 at the first timeout, within one deadline.
 */
public final class Asks {
  /** Less than this left before the deadline: no further attempt. */
  private static final long LAST_ATTEMPT_NANOS = Duration.ofMillis(200).toNanos();

  private Asks() {}

  /**
   * How {@link #askAgain} waits: each attempt at most {@code attempt}, all of them
   * together at most {@code deadline} ({@code rendan.ask-retry}).
   */
  public record Retry(Duration attempt, Duration deadline) {
    public Retry {
      if (attempt.isNegative() || attempt.isZero() || deadline.compareTo(attempt) < 0) {
        throw new IllegalArgumentException("rendan.ask-retry: attempt must be positive and at most the deadline");
      }
    }

    /** {@code rendan.ask-retry}; never giving up sooner than a plain ask ({@code rendan.ask-timeout}) would. */
    public static Retry from(Config config) {
      Duration askTimeout = config.getDuration("rendan.ask-timeout");
      Duration deadline = config.getDuration("rendan.ask-retry.deadline");
      deadline = deadline.compareTo(askTimeout) < 0 ? askTimeout : deadline;
      Duration attempt = config.getDuration("rendan.ask-retry.attempt");
      return new Retry(attempt.compareTo(deadline) > 0 ? deadline : attempt, deadline);
    }
  }

  /** {@code ref.ask(message, timeout)}, with stages that run where the reply lands. */
  public static <M, R> CompletableFuture<R> ask(EntityRef<M> ref, Function<ActorRef<R>, M> message, Duration timeout) {
    return direct(ref.<R>ask(message::apply, timeout));
  }

  /**
   * {@code ask}, sent again each time no answer came within {@code retry.attempt()},
   * until {@code retry.deadline()} has passed since the first; then it fails with
   * the last attempt's timeout. Only for messages an entity takes twice as once:
   * the first may still arrive after the second is sent.
   */
  public static <M, R> CompletableFuture<R> askAgain(EntityRef<M> ref, Function<ActorRef<R>, M> message, Retry retry) {
    return attempt(ref, message, retry.attempt(), System.nanoTime() + retry.deadline().toNanos());
  }

  private static <M, R> CompletableFuture<R> attempt(
      EntityRef<M> ref, Function<ActorRef<R>, M> message, Duration attempt, long giveUpAt) {
    long left = giveUpAt - System.nanoTime();
    Duration timeout = Duration.ofNanos(Math.max(1, Math.min(attempt.toNanos(), left)));
    return ask(ref, message, timeout)
        .handle(
            (reply, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(reply);
              }
              if (timedOut(failure) && giveUpAt - System.nanoTime() >= LAST_ATTEMPT_NANOS) {
                return Asks.<M, R>attempt(ref, message, attempt, giveUpAt);
              }
              return CompletableFuture.<R>failedFuture(failure);
            })
        .thenCompose(next -> next);
  }

  private static boolean timedOut(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return cause instanceof TimeoutException;
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
