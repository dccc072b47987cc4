package io.rendan.ws;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.GetMeRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that sends but never reads cannot make the server queue its answers
 * without bound: once its outgoing buffer is full the server closes it, and
 * other clients go on being served.
 */
@Tag("node")
class SlowClientTest {
  @TempDir Path dataDir;

  @Test
  void aClientThatDoesNotReadIsDisconnectedInsteadOfBuffered() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.ws.out-buffer", 8))) {
      String token = node.token("alice");
      String id = MeIds.register(node, token);
      String big = "{\"requestId\":\"%d\",\"getMe\":{\"meId\":\"" + id + "\"}}";
      try (WsClient stalled = WsClient.connect(node.wsUri(), token, false)) {
        // Each answer is ~250 bytes: enough of them fill the TCP buffers on both
        // sides, then the 8-frame queue, and the server must give up on the client.
        // A send that fails means the server dropped the connection. A send that only
        // waits means the server is slow to read (a loaded machine), not that it kept a
        // client it should have dropped: wait for it (or for the close), never give up early.
        int sent = 0;
        while (sent < 200_000 && !stalled.closed.isDone()) {
          CompletableFuture<?> send = stalled.socket.sendText(String.format(big, sent), true).toCompletableFuture();
          try {
            CompletableFuture.anyOf(send, stalled.closed).get(60, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            break; // the server stopped reading: it has dropped the connection
          } catch (TimeoutException e) {
            fail("the server neither read request " + sent + " nor closed the connection within 60 s");
          }
          if (!send.isDone() || send.isCompletedExceptionally()) {
            break;
          }
          sent++;
        }
        assertTrue(sent < 200_000, "200 000 requests sent, none refused: the server buffered every answer");
        // Reading now drains what was in flight; a connection the server kept
        // would stay open and this would time out.
        stalled.socket.request(Long.MAX_VALUE);
        assertNotNull(stalled.closed.get(30, TimeUnit.SECONDS));
        assertTrue(stalled.received.size() < 200_000);
      }
      try (WsClient healthy = WsClient.connect(node.wsUri(), token)) {
        healthy.sendJson(ClientFrame.newBuilder().setRequestId("h").setGetMe(GetMeRequest.newBuilder().setMeId(id)).build());
        assertEquals(id, healthy.next().frame().getResponse().getMe().getMeId());
        // Operators see it: the dropped frame is counted, and only the healthy client
        // stays open (the server notes the stalled one's end, and counts its drop when
        // the stream has ended, a moment after the client saw the close).
        String dropped = "rendan_ws_frames_dropped_total{reason=\"buffer-full\"} 1";
        String metrics = node.get("/metrics", null).body();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(metrics.contains(dropped) && metrics.contains("rendan_ws_connections 1")) && System.nanoTime() < deadline) {
          Thread.sleep(50);
          metrics = node.get("/metrics", null).body();
        }
        assertTrue(metrics.contains(dropped), metrics);
        assertTrue(metrics.contains("rendan_ws_connections 1"), metrics);
      }
    }
  }
}
