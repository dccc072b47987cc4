package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import io.rendan.RendanNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Asks sent again while an entity does not answer (it moves to another node), within one deadline. */
@Tag("unit")
class AsksTest {
  record Ping(ActorRef<String> replyTo) {}

  private static final EntityTypeKey<Ping> KEY = EntityTypeKey.create(Ping.class, "Ping");
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Answers only from the {@code answerFrom}-th message on (as a message lost in a hand-off is never answered). */
  private static Behavior<Ping> answering(int answerFrom, AtomicInteger received) {
    return Behaviors.receiveMessage(
        ping -> {
          if (received.incrementAndGet() >= answerFrom) {
            ping.replyTo().tell("pong " + received.get());
          }
          return Behaviors.same();
        });
  }

  private static EntityRef<Ping> entity(Behavior<Ping> behavior) {
    return TestEntityRef.of(KEY, "1", testKit.spawn(behavior));
  }

  @Test
  void aMessageNotAnsweredInTimeIsSentAgainAndTheLaterAnswerCounts() throws Exception {
    AtomicInteger received = new AtomicInteger();
    EntityRef<Ping> ref = entity(answering(2, received));
    String answer =
        Asks.<Ping, String>askAgain(ref, Ping::new, new Asks.Retry(Duration.ofMillis(200), Duration.ofSeconds(5)))
            .get(10, TimeUnit.SECONDS);
    assertEquals("pong 2", answer);
    assertEquals(2, received.get());
  }

  @Test
  void anEntityThatNeverAnswersFailsWithATimeoutOnceTheDeadlineHasPassed() {
    AtomicInteger received = new AtomicInteger();
    EntityRef<Ping> ref = entity(answering(Integer.MAX_VALUE, received));
    long start = System.nanoTime();
    ExecutionException failed =
        assertThrows(
            ExecutionException.class,
            () ->
                Asks.<Ping, String>askAgain(ref, Ping::new, new Asks.Retry(Duration.ofMillis(300), Duration.ofMillis(1_000)))
                    .get(10, TimeUnit.SECONDS));
    long took = System.nanoTime() - start;
    assertInstanceOf(TimeoutException.class, failed.getCause());
    assertTrue(took >= Duration.ofMillis(1_000).toNanos() - Duration.ofMillis(250).toNanos(), "gave up after " + took / 1_000_000 + " ms");
    assertTrue(took < Duration.ofMillis(3_000).toNanos(), "gave up only after " + took / 1_000_000 + " ms");
    assertTrue(received.get() >= 3, received.get() + " attempts");
  }

  @Test
  void theRetryNeverGivesUpSoonerThanOnePlainAsk() {
    Asks.Retry defaults = Asks.Retry.from(RendanNode.loadConfig(ConfigFactory.empty()));
    assertEquals(Duration.ofSeconds(2), defaults.attempt());
    assertEquals(Duration.ofSeconds(8), defaults.deadline());
    Asks.Retry slow = Asks.Retry.from(RendanNode.loadConfig(ConfigFactory.parseMap(Map.of("rendan.ask-timeout", "60s"))));
    assertEquals(Duration.ofSeconds(60), slow.deadline());
  }
}
