package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * Connections a client without credentials can hold, tried from outside over
 * plain sockets against a real node (issue 16, defect 2): at most
 * {@code rendan.http.max-connections-per-address} from one address while another
 * address is still served, and a connection that sends no request is closed
 * after {@code rendan.http.first-request-timeout}. Linux routes all of 127/8 to
 * loopback, so 127.0.0.2 is a second client address.
 */
@Tag("node")
class ConnectionGateTest {
  private static final InetAddress ONE = address("127.0.0.1");
  private static final InetAddress OTHER = address("127.0.0.2");

  @TempDir Path dataDir;

  @Test
  void oneAddressHoldsAtMostItsConnectionsWhileAnotherIsServed() throws Exception {
    try (TestNode node =
        TestNode.h2(
            dataDir,
            Map.of("rendan.http.max-connections-per-address", 5, "rendan.http.first-request-timeout", "60s"))) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          Socket s = connect(node, ONE);
          assertEquals(200, exchange(s).status(), "connection " + i + " of the address is served");
          held.add(s);
        }
        try (Socket sixth = connect(node, ONE)) {
          Answer refused = exchange(sixth);
          assertEquals(429, refused.status(), refused.toString());
          assertTrue(refused.body().contains("\"code\":\"request:connections.too-many\""), refused.body());
          assertEquals("close", refused.headers().get("connection"), refused.toString());
          assertEquals(-1, sixth.getInputStream().read(), "the refused connection is closed");
        }
        // the five still work, and another address is served meanwhile
        assertEquals(200, exchange(held.get(0)).status());
        try (Socket other = connect(node, OTHER)) {
          assertEquals(200, exchange(other).status(), "another address is served");
        }
        held.remove(held.size() - 1).close();
        TestNode.await(
            Duration.ofSeconds(15),
            "the address is served again once one of its connections ended",
            () -> {
              try (Socket again = connect(node, ONE)) {
                return exchange(again).status() == 200;
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
  void aConnectionThatSendsNoRequestIsClosedAndOneThatDidIsNot() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.http.first-request-timeout", "1s"));
        Socket served = connect(node, ONE)) {
      assertEquals(200, exchange(served).status());
      long opened = System.nanoTime();
      try (Socket silent = connect(node, ONE);
          Socket slow = connect(node, ONE)) {
        // half a request head, never finished (slowloris)
        slow.getOutputStream().write("GET /health/alive HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
        // Pekko's idle timeout (120 s) is far beyond the read timeout: only the new setting closes them
        assertEquals(-1, silent.getInputStream().read(), "the silent connection is closed, unanswered");
        long closedAfter = (System.nanoTime() - opened) / 1_000_000;
        assertEquals(-1, slow.getInputStream().read(), "the unfinished request's connection is closed, unanswered");
        // reported, not asserted beyond the setting: docs/SECURITY.md quotes it
        System.out.printf("a connection without a request closed %d ms after it was opened (setting 1 s)%n", closedAfter);
        assertTrue(closedAfter >= 900, "not before the timeout: " + closedAfter + " ms");
      }
      // the connection that sent a request stays open past the timeout, and is served again
      served.setSoTimeout(2_500);
      assertThrows(SocketTimeoutException.class, () -> served.getInputStream().read(), "no close on a used connection");
      served.setSoTimeout(30_000);
      assertEquals(200, exchange(served).status());
    }
  }

  /**
   * The gate must leave Pekko's graceful termination alone: an earlier gate bound
   * through Pekko's connection source, whose binding's terminate() never reached
   * the open connections (ClusterIT saw 503s through a SIGTERM).
   */
  @Test
  void theBindingStillTerminatesGracefully() throws Exception {
    try (TestNode node = TestNode.h2(dataDir);
        Socket idle = connect(node, ONE)) {
      assertEquals(200, exchange(idle).status());
      node.node().terminateHttp(Duration.ofSeconds(5)).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      // Pekko ends a connection with no request in flight by failing it: a reset, or an end of stream
      int read;
      try {
        read = idle.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1;
      }
      assertEquals(-1, read, "the idle keep-alive connection is closed by the termination");
      assertThrows(java.net.ConnectException.class, () -> connect(node, ONE).close(), "the port is unbound");
    }
  }

  record Answer(int status, Map<String, String> headers, String body) {}

  private static Socket connect(TestNode node, InetAddress from) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), node.port(), from, 0);
    // far shorter than Pekko's idle timeout, far longer than anything the tests wait for
    s.setSoTimeout(30_000);
    return s;
  }

  /** GET /health/alive, keeping the connection open; the answer read by its Content-Length. */
  private static Answer exchange(Socket socket) throws IOException {
    socket
        .getOutputStream()
        .write("GET /health/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c == -1) {
        throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(c);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new java.util.HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
  }

  private static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
