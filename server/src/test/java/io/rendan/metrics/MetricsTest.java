package io.rendan.metrics;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /metrics on a real node: Prometheus text with the meters operators rely on. */
@Tag("node")
class MetricsTest {
  @TempDir static Path dataDir;
  static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void metricsShowRequestsByRouteEntitiesMembersAndTheJvm() throws Exception {
    String alice = node.token("alice");
    var created = node.postJson("/v1/mes", alice, "{\"meId\":\"metrics-me\",\"name\":\"Metered\",\"kind\":\"INTERNAL\"}");
    assertEquals(201, created.statusCode(), created.body());
    assertEquals(200, node.get("/v1/mes/metrics-me", alice).statusCode());
    assertEquals(404, node.get("/v1/mes/nobody-here", alice).statusCode());

    HttpResponse<String> metrics = node.get("/metrics", null);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), metrics.headers().toString());
    String text = metrics.body();
    assertTrue(
        text.contains("rendan_http_requests_seconds_count{method=\"POST\",route=\"/v1/mes\",status=\"201\"} 1"), text);
    assertTrue(
        text.contains("rendan_http_requests_seconds_count{method=\"GET\",route=\"/v1/mes/{id}\",status=\"200\"} 1"), text);
    assertTrue(
        text.contains("rendan_http_requests_seconds_count{method=\"GET\",route=\"/v1/mes/{id}\",status=\"404\"} 1"), text);
    assertTrue(text.contains("rendan_http_requests_seconds_bucket{"), "latency buckets: " + text);
    // Both GETs started the entity they asked for; the unregistered one stays until passivated.
    assertTrue(text.contains("rendan_sharding_entities{type=\"Me\"} 2"), text);
    assertTrue(text.contains("rendan_sharding_entities{type=\"Appliance\"} 0"), "appliances are counted too: " + text);
    assertTrue(text.contains("rendan_cluster_members{status=\"up\"} 1"), text);
    assertTrue(text.contains("rendan_cluster_members_unreachable 0"), text);
    assertTrue(text.contains("rendan_ws_connections 0"), text);
    assertTrue(text.contains("rendan_ws_frames_dropped_total{reason=\"buffer-full\"} 0"), text);
    assertTrue(text.contains("jvm_memory_used_bytes{"), text);
    assertTrue(text.contains("jvm_threads_live_threads"), text);
  }
}
