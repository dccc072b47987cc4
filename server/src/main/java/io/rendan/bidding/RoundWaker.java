package io.rendan.bidding;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a restart (or a node's death) nothing is in memory until someone asks,
 * but an open round must be there for its own deadline timer to fire. One
 * instance in the cluster periodically brings every open round (from the
 * directory) into memory; the round then closes itself on its own timer, at
 * once if its deadline passed meanwhile. It never closes a round itself.
 */
public final class RoundWaker {
  private static final Logger log = LoggerFactory.getLogger(RoundWaker.class);

  private enum Tick {
    INSTANCE
  }

  private RoundWaker() {}

  public static void start(ActorSystem<?> system, RoundDirectory directory, BiddingApi bidding, Duration interval, int maxPerSweep) {
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher"));
    ShardedDaemonProcess.get(system)
        .init(Object.class, "round-waker", 1, i -> behavior(directory, bidding, interval, maxPerSweep, blocking));
  }

  private static Behavior<Object> behavior(
      RoundDirectory directory, BiddingApi bidding, Duration interval, int maxPerSweep, Executor blocking) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1), interval);
          return Behaviors.receive(Object.class)
              .onMessageEquals(
                  Tick.INSTANCE,
                  () -> {
                    CompletableFuture.supplyAsync(
                            () -> {
                              try {
                                return directory.openRoundIds(maxPerSweep);
                              } catch (Exception e) {
                                log.warn("cannot list open rounds to wake: {}", e.toString());
                                return List.<String>of();
                              }
                            },
                            blocking)
                        .thenAccept(ids -> ids.forEach(bidding::wake));
                    return Behaviors.same();
                  })
              .build();
        });
  }
}
