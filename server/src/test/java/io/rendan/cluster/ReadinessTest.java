package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that cannot reach its seed nodes serves HTTP but says it is not ready,
 * on the API port and on the management port, until it has joined.
 */
@Tag("node")
class ReadinessTest {
  @TempDir Path dirA;
  @TempDir Path dirB;

  @Test
  void readinessIs503UntilTheNodeHasJoinedTheCluster() throws Exception {
    int seedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      seedPort = s.getLocalPort();
    }
    String seed = "pekko://rendan@127.0.0.1:" + seedPort;
    try (TestNode b = TestNode.h2(dirB, Map.of("rendan.cluster.seed-nodes", seed))) {
      HttpResponse<String> notYet = b.get("/health/ready", null);
      assertEquals(503, notYet.statusCode(), notYet.body());
      assertTrue(notYet.body().contains("\"cluster\""), notYet.body());
      // Pekko Management answers a failed check with 500 and the reason.
      HttpResponse<String> managementNotYet = management(b, "/ready");
      assertEquals(500, managementNotYet.statusCode(), managementNotYet.body());
      assertEquals(200, b.get("/health/alive", null).statusCode());

      try (TestNode a =
          TestNode.h2(dirA, Map.of("rendan.cluster.seed-nodes", seed, "pekko.remote.artery.canonical.port", seedPort))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> ready = b.get("/health/ready", null);
        while (ready.statusCode() != 200 && System.nanoTime() < deadline) {
          Thread.sleep(200); // polling with a deadline: the join takes one seed-node retry
          ready = b.get("/health/ready", null);
        }
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals(200, management(b, "/ready").statusCode());
        String members = management(b, "/cluster/members").body();
        assertEquals(2, members.split("\"status\":\"Up\"", -1).length - 1, members);
      }
    }
  }

  private static HttpResponse<String> management(TestNode node, String path) throws Exception {
    return node.send(HttpRequest.newBuilder(node.managementUri(path)).timeout(Duration.ofSeconds(10)).GET().build());
  }
}
