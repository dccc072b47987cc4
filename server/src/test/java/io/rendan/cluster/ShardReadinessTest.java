package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose Appliance shards cannot read their remembered entities (here: a
 * store that never answers within waiting-for-state-timeout, as the journal under
 * the recovery run of issue 20 did not) says it is not ready, naming the type, on both ports: before, it
 * answered 200 while every Appliance shard failed and retried.
 */
@Tag("node")
class ShardReadinessTest {
  @TempDir Path dir;

  @Test
  void readinessFailsWhileAnApplianceShardCannotReadItsRememberedEntities() throws Exception {
    // Sharding's own stores on a journal whose shard reads never answer (the coordinator's do):
    // every attempt of an Appliance shard to read its remembered entities waits out the timeout.
    Map<String, Object> unreadable =
        Map.of(
            "pekko.cluster.sharding.journal-plugin-id", "rendan-test-shard-journal",
            "rendan-test-shard-journal.class", ShardStoreJournal.class.getName(),
            "pekko.cluster.sharding.waiting-for-state-timeout", "2 s");
    try (TestNode node = TestNode.h2(dir, unreadable)) {
      TestNode.await(Duration.ofSeconds(30), "ready before any Appliance shard starts", () -> node.get("/health/ready", null).statusCode() == 200);
      // any request for an appliance makes its region start the appliance's shard, which cannot read its entities
      node.http().sendAsync(node.request("/v1/appliances/washer-1", node.token("alice")).GET().build(), HttpResponse.BodyHandlers.discarding());
      AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
      TestNode.await(
          Duration.ofSeconds(30),
          "readiness names the Appliance shards",
          () -> {
            last.set(node.get("/health/ready", null));
            return last.get().statusCode() == 503;
          });
      assertTrue(last.get().body().contains("\"shards:Appliance\""), last.get().body());
      assertFalse(last.get().body().contains("shards:Me"), "the other regions start their shards: " + last.get().body());
      // still failing a while later: the backoff between two attempts is no recovery
      HttpResponse<String> later = node.get("/health/ready", null);
      assertEquals(503, later.statusCode(), later.body());
      HttpResponse<String> management =
          node.send(java.net.http.HttpRequest.newBuilder(node.managementUri("/ready")).timeout(Duration.ofSeconds(10)).GET().build());
      assertEquals(500, management.statusCode(), management.body());
    }
  }

  @Test
  void readinessFailsWhileARegionHasNoCoordinator() throws Exception {
    // Only a member with a role that no member has may run the shard coordinators: none
    // starts, as when a coordinator cannot start, and no region learns where a shard lives.
    Map<String, Object> noCoordinator =
        Map.of(
            "pekko.cluster.sharding.coordinator-singleton-role-override", "off",
            "pekko.cluster.sharding.coordinator-singleton.role", "no-member-has-this-role");
    try (TestNode node = TestNode.h2(dir, noCoordinator)) {
      AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
      // once the node is an Up member and the journal answers, only the regions are left to decide
      TestNode.await(
          Duration.ofSeconds(30),
          "readiness past the membership and journal checks",
          () -> {
            last.set(node.get("/health/ready", null));
            return last.get().statusCode() == 200 || !last.get().body().matches("(?s).*\"(cluster|journal)\".*");
          });
      assertEquals(503, last.get().statusCode(), "ready with a region that cannot find its shards: " + last.get().body());
      assertTrue(last.get().body().contains("\"shards:Appliance\""), last.get().body());
      assertTrue(last.get().body().contains("\"shards:Me\""), last.get().body());
      HttpResponse<String> appliance = node.get("/v1/appliances/washer-1", node.token("alice"));
      assertEquals(503, appliance.statusCode(), "what readiness warns of: " + appliance.body());
      HttpResponse<String> later = node.get("/health/ready", null);
      assertEquals(503, later.statusCode(), later.body());
    }
  }
}
