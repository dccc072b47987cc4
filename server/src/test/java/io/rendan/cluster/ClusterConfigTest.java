package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.RendanNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The cluster's settings as RendanNode resolves them from rendan.* (the RENDAN_* variables). */
@Tag("node")
class ClusterConfigTest {
  @Test
  void theSeedNodeStringBecomesPekkosSeedList() {
    Config config =
        RendanNode.loadConfig(
            ConfigFactory.parseMap(
                Map.of("rendan.cluster.seed-nodes", "pekko://rendan@a:25520, pekko://rendan@b:25520")));
    assertEquals(
        List.of("pekko://rendan@a:25520", "pekko://rendan@b:25520"), config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of(), RendanNode.loadConfig(ConfigFactory.empty()).getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void thePoolGivesUpBeforeTheJournalsCircuitBreaker() {
    Config config =
        RendanNode.loadConfig(
            ConfigFactory.parseMap(Map.of("rendan.db.url", "jdbc:postgresql://db:5432/rendan", "rendan.db.pool-size", 7)));
    Duration connection = config.getDuration("pekko-persistence-jdbc.shared-databases.slick.db.connectionTimeout");
    Duration journal = config.getDuration("jdbc-journal.circuit-breaker.call-timeout");
    Duration snapshots = config.getDuration("jdbc-snapshot-store.circuit-breaker.call-timeout");
    assertTrue(connection.compareTo(journal) < 0, connection + " vs " + journal);
    assertTrue(connection.compareTo(snapshots) < 0, connection + " vs " + snapshots);
    assertEquals(7, config.getInt("pekko-persistence-jdbc.shared-databases.slick.db.maxConnections"));
  }

  @Test
  void aConnectionTimeoutNotShorterThanTheCallTimeoutIsRefusedAtStart() {
    Config config =
        RendanNode.loadConfig(
            ConfigFactory.parseMap(Map.of("rendan.db.connection-timeout", "10s", "rendan.db.call-timeout", "10s")));
    var refused = assertThrows(IllegalArgumentException.class, () -> RendanNode.start(config));
    assertTrue(refused.getMessage().contains("RENDAN_DB_CONNECTION_TIMEOUT"), refused.getMessage());
  }

  @Test
  void aStoppingNodeWaitsForItsShardsHandOffBeforeItLeaves() {
    Config config = RendanNode.loadConfig(ConfigFactory.empty());
    Duration handOff = config.getDuration("pekko.cluster.sharding.handoff-timeout");
    Duration phase = config.getDuration("pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout");
    assertTrue(handOff.compareTo(phase) < 0, handOff + " vs " + phase);
  }

  @Test
  void aRestartedFirstSeedWaitsForTheRunningClusterLongerThanPekkosFiveSeconds() {
    Config config = RendanNode.loadConfig(ConfigFactory.empty());
    assertEquals(Duration.ofSeconds(20), config.getDuration("pekko.cluster.seed-node-timeout"));
  }
}
