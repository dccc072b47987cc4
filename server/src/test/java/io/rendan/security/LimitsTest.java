package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rendan.limits on a real node: whoever hits a limit is refused alone. */
@Tag("node")
class LimitsTest {
  @TempDir static Path dir;
  static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNode.h2(
            dir,
            Map.of(
                "rendan.limits.requests-per-second", 0.2,
                "rendan.limits.request-burst", 5,
                "rendan.limits.ws-connections-per-subject", 2));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void aSubjectOverItsRateGets429WithRetryAfterAndOthersAreUnaffected() throws Exception {
    String greedy = node.token("greedy");
    HttpResponse<String> last = null;
    for (int i = 0; i < 6; i++) {
      last = node.get("/v1/rounds", greedy);
    }
    assertEquals(429, last.statusCode(), last.body());
    assertTrue(last.body().contains("\"code\":\"request:rate-limited\""), last.body());
    long retryAfter = Long.parseLong(last.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 5, "Retry-After " + retryAfter);
    assertTrue(!last.body().contains("Exception"), last.body());

    HttpResponse<String> other = node.get("/v1/rounds", node.token("patient"));
    assertEquals(200, other.statusCode(), "another subject is not limited: " + other.body());
    assertEquals(429, node.get("/v1/rounds", greedy).statusCode(), "the greedy one still is");
  }

  @Test
  void aSubjectMayHoldOnlySoManyWebSocketsAndOthersAreUnaffected() throws Exception {
    String many = node.token("many-tabs");
    List<WsClient> open = new ArrayList<>();
    try {
      open.add(WsClient.connect(node.wsUri(), many));
      open.add(WsClient.connect(node.wsUri(), many));
      var refused = assertThrows(Exception.class, () -> WsClient.connect(node.wsUri(), many));
      Throwable cause = refused;
      while (!(cause instanceof WebSocketHandshakeException) && cause.getCause() != null) {
        cause = cause.getCause();
      }
      assertEquals(429, ((WebSocketHandshakeException) cause).getResponse().statusCode());
      assertTrue(String.valueOf(((WebSocketHandshakeException) cause).getResponse().body()).contains("ws:connections.too-many"));

      open.add(WsClient.connect(node.wsUri(), node.token("one-tab")));

      // a closed connection frees its place
      WsClient first = open.remove(0);
      first.socket.sendClose(1000, "bye").get(5, TimeUnit.SECONDS);
      first.closed.get(10, TimeUnit.SECONDS);
      TestNode.await(java.time.Duration.ofSeconds(10), "a place frees up", () -> {
        try {
          open.add(WsClient.connect(node.wsUri(), many));
          return true;
        } catch (Exception e) {
          return false;
        }
      });
    } finally {
      open.forEach(WsClient::close);
    }
  }
}
