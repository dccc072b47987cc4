package io.rendan.emc;

import io.rendan.cluster.Asks;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.vocabulary.CborSerializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One EMC seat taken at a time, cluster-wide: the gate that closes the race of
 * the cycle check. Each EMC decides its own seats, but a cycle spans several
 * EMCs, so two acceptances in opposite directions (A's seat in B, B's in A),
 * each checked against the seats as they were before the other was stored,
 * could both pass. Every acceptance of a seat for an EMC holds this gate from
 * its cycle check until the seat is stored (or refused): the next one's check
 * then sees it.
 *
 * <p>The gate is one sharded entity ({@value #ENTITY_ID}), a plain actor that
 * keeps nothing stored: a holder, a bounded queue of waiters, and a lease. A
 * holder releases it when its work completes; a holder that never does (its node
 * died) loses it when the lease ({@link #LEASE}) runs out. Acceptances of EMC
 * seats are rare, so one at a time costs nothing that matters.
 */
public final class NestingGate {
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "EmcNesting");
  static final String ENTITY_ID = "all";
  /** How long a holder keeps the gate if it never releases it: longer than a cycle walk and an acceptance take. */
  static final Duration LEASE = Duration.ofSeconds(30);
  static final int MAX_WAITING = 1_000;

  private static final Logger log = LoggerFactory.getLogger(NestingGate.class);

  public sealed interface Command extends CborSerializable permits Acquire, Release, LeaseExpired {}

  /** Asks for the gate under {@code token}: answered when it is the caller's, or at once refused when too many wait. */
  public record Acquire(String token, ActorRef<Answer> replyTo) implements Command {}

  /** Gives the gate back, or gives up waiting for it. */
  public record Release(String token) implements Command {}

  record LeaseExpired(String token) implements Command {}

  /** {@code granted}: the gate is the caller's until it releases it; false: refused, too many wait. */
  public record Answer(String token, boolean granted) implements CborSerializable {}

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  private NestingGate(ClusterSharding sharding, Duration askTimeout) {
    this.sharding = sharding;
    this.askTimeout = askTimeout;
  }

  /** Starts the gate's shard region on this node. */
  static NestingGate start(ActorSystem<?> system, Duration askTimeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(TYPE_KEY, ctx -> behaviour(LEASE, MAX_WAITING)));
    return new NestingGate(sharding, askTimeout);
  }

  /**
   * Runs {@code work} while holding the gate, and releases it when the work
   * completes (either way). Waiting longer than twice the ask timeout fails
   * with {@code server:unavailable}; a full queue with {@code server:overloaded}.
   */
  <T> CompletionStage<T> exclusively(Supplier<CompletionStage<T>> work) {
    String token = UUID.randomUUID().toString();
    EntityRef<Command> gate = sharding.entityRefFor(TYPE_KEY, ENTITY_ID);
    return Asks.<Command, Answer>ask(gate, replyTo -> new Acquire(token, replyTo), askTimeout.multipliedBy(2))
        .whenComplete(
            (answer, failure) -> {
              if (failure != null) {
                gate.tell(new Release(token)); // gave up waiting: leave the queue, or give back what came late
              }
            })
        .thenCompose(
            answer -> {
              if (!answer.granted()) {
                throw new ApiException(ErrorCodes.SERVER_OVERLOADED, "too many EMC seats are being accepted at once; try again");
              }
              CompletionStage<T> done;
              try {
                done = work.get();
              } catch (RuntimeException e) {
                gate.tell(new Release(token));
                throw e;
              }
              return done.whenComplete((result, failure) -> gate.tell(new Release(token)));
            });
  }

  static Behavior<Command> behaviour(Duration lease, int maxWaiting) {
    return Behaviors.withTimers(timers -> new Held(timers, lease, maxWaiting).free());
  }

  /** The gate's state: who holds it and who waits, in order. */
  private static final class Held {
    private final TimerScheduler<Command> timers;
    private final Duration lease;
    private final int maxWaiting;
    private final Deque<Acquire> waiting = new ArrayDeque<>();
    private String holder;

    Held(TimerScheduler<Command> timers, Duration lease, int maxWaiting) {
      this.timers = timers;
      this.lease = lease;
      this.maxWaiting = maxWaiting;
    }

    Behavior<Command> free() {
      return Behaviors.receive(Command.class)
          .onMessage(Acquire.class, this::acquire)
          .onMessage(Release.class, this::release)
          .onMessage(LeaseExpired.class, this::expired)
          .build();
    }

    private Behavior<Command> acquire(Acquire a) {
      if (a.token().equals(holder) || waiting.stream().anyMatch(w -> w.token().equals(a.token()))) {
        return Behaviors.same();
      }
      if (holder == null) {
        grant(a);
      } else if (waiting.size() >= maxWaiting) {
        a.replyTo().tell(new Answer(a.token(), false));
      } else {
        waiting.add(a);
      }
      return Behaviors.same();
    }

    private Behavior<Command> release(Release r) {
      if (r.token().equals(holder)) {
        next();
      } else {
        waiting.removeIf(w -> w.token().equals(r.token()));
      }
      return Behaviors.same();
    }

    private Behavior<Command> expired(LeaseExpired e) {
      if (e.token().equals(holder)) {
        log.warn("an EMC seat acceptance held the nesting gate past its lease of {}; the next one goes ahead", lease);
        next();
      }
      return Behaviors.same();
    }

    private void grant(Acquire a) {
      holder = a.token();
      timers.startSingleTimer("lease", new LeaseExpired(holder), lease);
      a.replyTo().tell(new Answer(holder, true));
    }

    private void next() {
      holder = null;
      timers.cancel("lease");
      Acquire waiter = waiting.poll();
      if (waiter != null) {
        grant(waiter);
      }
    }
  }
}
