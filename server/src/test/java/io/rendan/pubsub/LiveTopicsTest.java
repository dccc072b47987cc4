package io.rendan.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.protocol.api.v1.Push;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A push is built only when someone may receive it: a subscriber on the
 * publishing node at once, one on another node once the receptionist told the
 * publishing node about it; and every push someone may receive still arrives.
 * Two nodes of one cluster in this JVM.
 */
@Tag("node")
class LiveTopicsTest {
  private static final Duration GOSSIP = Duration.ofSeconds(20);
  private static ActorTestKit publisherNode;
  private static ActorTestKit watcherNode;
  private static LiveTopics publisher;
  private static LiveTopics watcher;

  @BeforeAll
  static void cluster() {
    Config config =
        ConfigFactory.parseString(
            """
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.coordinated-shutdown.exit-jvm = off
            """);
    publisherNode = ActorTestKit.create("LiveTopicsTest", config);
    watcherNode = ActorTestKit.create("LiveTopicsTest", config);
    Cluster first = Cluster.get(publisherNode.system());
    first.manager().tell(Join.create(first.selfMember().address()));
    Cluster.get(watcherNode.system()).manager().tell(Join.create(first.selfMember().address()));
    TestProbe<Object> probe = publisherNode.createTestProbe();
    probe.awaitAssert(
        GOSSIP,
        () -> {
          for (ActorTestKit node : new ActorTestKit[] {publisherNode, watcherNode}) {
            assertEquals(MemberStatus.up(), Cluster.get(node.system()).selfMember().status());
          }
          return null;
        });
    publisher = new LiveTopics(publisherNode.system());
    watcher = new LiveTopics(watcherNode.system());
  }

  @AfterAll
  static void stop() {
    watcherNode.shutdownTestKit();
    publisherNode.shutdownTestKit();
  }

  private static Push push(String topic, long seq) {
    return Push.newBuilder().setTopic(topic).setSeq(seq).setEvent("test").build();
  }

  @Test
  void aPushNobodyWatchesIsNotBuilt() {
    AtomicInteger built = new AtomicInteger();
    publisher.publish("t/unwatched", () -> push("t/unwatched", built.incrementAndGet()));
    publisher.publish("t/unwatched", () -> push("t/unwatched", built.incrementAndGet()));
    assertEquals(0, built.get());
    assertFalse(publisher.watched("t/unwatched"));
  }

  @Test
  void aSubscriberOnThePublishingNodeCountsAtOnce() throws InterruptedException {
    BlockingQueue<Push> received = new LinkedBlockingQueue<>();
    LiveTopics.Subscriber subscriber = received::add;
    publisher.subscribe("t/local", subscriber);
    assertTrue(publisher.watched("t/local"));
    publisher.publish("t/local", () -> push("t/local", 1));
    Push first = received.poll(10, TimeUnit.SECONDS);
    assertEquals(1, first == null ? -1 : first.getSeq());
    publisher.unsubscribe("t/local", subscriber);
  }

  @Test
  void aSubscriberOnAnotherNodeIsSeenAndReceivesThePushes() throws InterruptedException {
    BlockingQueue<Push> received = new LinkedBlockingQueue<>();
    LiveTopics.Subscriber subscriber = received::add;
    assertFalse(publisher.watched("t/remote"));
    watcher.subscribe("t/remote", subscriber);
    TestProbe<Object> probe = publisherNode.createTestProbe();
    probe.awaitAssert(GOSSIP, () -> {
      assertTrue(publisher.watched("t/remote"));
      return null;
    });
    // the publishing node's topic actor learns of the other node from the same listings: publish until one arrives
    Push first = null;
    for (int seq = 1; first == null && seq <= 40; seq++) {
      int s = seq;
      publisher.publish("t/remote", () -> push("t/remote", s));
      first = received.poll(500, TimeUnit.MILLISECONDS);
    }
    assertTrue(first != null, "a push published while the other node watches arrives there");

    watcher.unsubscribe("t/remote", subscriber);
    probe.awaitAssert(GOSSIP, () -> {
      assertFalse(publisher.watched("t/remote"));
      return null;
    });
    AtomicInteger built = new AtomicInteger();
    publisher.publish("t/remote", () -> push("t/remote", built.incrementAndGet()));
    assertEquals(0, built.get());
  }
}
