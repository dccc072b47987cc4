package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a caller without credentials can make the node hold: no entity and no
 * journal row for a telemetry request with a wrong secret, a bounded number of
 * connections per client address, and no connection kept that never sends a
 * request. (The console's cache: {@code console/ConsoleCacheTest}.)
 */
class UnauthenticatedGrowthTest {
  @TempDir Path dataDir;

  @Test
  void telemetryWithAWrongSecretForUnknownAppliancesStoresNothing() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      for (int i = 0; i < 200; i++) {
        HttpResponse<String> r =
            node.send(
                HttpRequest.newBuilder(node.uri("/v1/appliances/unknown-" + i + "/telemetry"))
                    .header("Authorization", "Device wrong-secret")
                    .header("Content-Type", "application/x-ndjson")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":\"1\",\"heartbeat\":{}}\n"))
                    .build());
        assertEquals(401, r.statusCode(), r.body());
      }
      assertEquals(0, node.journalRows());
      assertEquals(
          0,
          node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE '/sharding/ApplianceShard%'"),
          "no appliance entity was remembered");
    }
  }

  @Test
  void oneClientAddressHoldsAtMostItsShareOfConnections() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.http.max-connections-per-address", 5))) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          Socket s = new Socket("127.0.0.1", node.port());
          s.setSoTimeout(30_000);
          assertTrue(get(s, true).startsWith("HTTP/1.1 200"), "connection " + i + " is served");
          held.add(s);
        }
        try (Socket sixth = new Socket("127.0.0.1", node.port())) {
          sixth.setSoTimeout(30_000);
          assertEquals("", get(sixth, false), "the sixth connection is closed unanswered");
        }
        held.remove(0).close();
        TestNode.await(
            Duration.ofSeconds(15),
            "a connection is served again once one is freed",
            () -> {
              try (Socket again = new Socket("127.0.0.1", node.port())) {
                again.setSoTimeout(30_000);
                return get(again, false).startsWith("HTTP/1.1 200");
              }
            });
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }

  @Test
  void aConnectionThatSendsNoRequestIsClosed() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.http.first-request-timeout", "1s"));
        Socket idle = new Socket("127.0.0.1", node.port())) {
      // far longer than the setting, far shorter than Pekko's idle timeout (120 s): only the new one closes it
      idle.setSoTimeout(60_000);
      // Pekko HTTP says "500, Connection: close" with no body as it closes; nothing of the API's
      String answer = new String(idle.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.isEmpty() || answer.contains("Content-Length: 0"), answer);
    }
  }

  /** GET /health/alive on a socket; the head of the answer, or "" when the node closed the connection. */
  private static String get(Socket socket, boolean keepAlive) throws Exception {
    OutputStream out = socket.getOutputStream();
    try {
      out.write(
          ("GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    } catch (java.io.IOException closed) {
      return "";
    }
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    try {
      int c;
      while ((c = in.read()) != -1) {
        head.append((char) c);
        if (head.toString().endsWith("\r\n\r\n")) {
          break;
        }
      }
    } catch (java.net.SocketException reset) {
      return head.toString();
    }
    return head.toString();
  }
}
