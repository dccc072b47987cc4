package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.me.MeEntity;
import io.rendan.me.MeProtocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node alone in its cluster stops at once, even while messages keep reaching
 * its shard regions (as a sharded daemon process's keep-alive or a projection's
 * delivery do): there is no one to hand its shards to, so the regions do not
 * wait for shard homes that no coordinator can give.
 */
@Tag("node")
class LoneNodeShutdownTest {
  /** Far below the 30 s shutdown phase that a region waiting for shard homes used up. */
  private static final Duration PROMPT = Duration.ofSeconds(10);

  @TempDir Path dataDir;

  @Test
  void aNodeAloneStopsPromptlyWhileItsRegionsKeepGettingMessages() throws Exception {
    TestNode node = TestNode.h2(dataDir);
    ActorSystem<Void> system = node.node().system();
    TestNode.await(Duration.ofSeconds(60), "the node is ready", () -> node.get("/health/ready", null).statusCode() == 200);
    assertTrue(LoneNodeShutdown.alone(Cluster.get(Adapter.toClassic(system))), "the only member up");

    ClusterSharding sharding = ClusterSharding.get(system);
    AtomicInteger sent = new AtomicInteger();
    ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
    try {
      // reads of ten MEs every 20 ms, from before the stop until after it
      sender.scheduleAtFixedRate(
          () -> {
            for (int i = 0; i < 10; i++) {
              sharding.entityRefFor(MeEntity.TYPE_KEY, "me-" + i).tell(new MeProtocol.GetMe(system.ignoreRef()));
            }
            sent.incrementAndGet();
          },
          0,
          20,
          TimeUnit.MILLISECONDS);
      TestNode.await(Duration.ofSeconds(10), "messages on their way", () -> sent.get() >= 10);
      long started = System.nanoTime();
      node.close();
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertTrue(took.compareTo(PROMPT) < 0, "the node took " + took.toMillis() + " ms to stop");
    } finally {
      sender.shutdownNow();
    }
  }
}
