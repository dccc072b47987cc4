package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Response;
import io.rendan.ws.WsClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WebSocket whose token expires while its client keeps bids in flight ends the
 * way a stopping node ends it (http/ConnectionDrain): the session reads no
 * further request, answers every bid it read, and closes with 1000. So after the
 * close a bid without an answer was never read: not stored, and sent again with
 * a fresh token, stored once. Before, the expiry completed the session's stream
 * at once, and the bids being stored at that moment lost their answers (in doubt).
 */
@Tag("node")
class TokenExpiryDrainTest {

  @TempDir Path dir;

  @Test
  void anExpiringTokenAnswersEveryBidItReadAndClosesCleanly() throws Exception {
    try (TestNode node = TestNode.h2(dir)) {
      String token = node.token("alice");
      DrainedBids.postRound(node, token);
      Map<String, Response> answers = new ConcurrentHashMap<>();
      List<String> sent = new ArrayList<>();
      WsClient ws = WsClient.connect(node.wsUri(), node.tokenFor(Duration.ofSeconds(3), "alice"));
      Semaphore window = new Semaphore(16); // bids in flight at once
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (!ws.closed.isDone() || !ws.received.isEmpty()) {
                    WsClient.Received r = ws.received.poll(100, TimeUnit.MILLISECONDS);
                    if (r != null && r.frame().hasResponse()) {
                      answers.put(r.frame().getResponse().getRequestId(), r.frame().getResponse());
                      window.release();
                    }
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      reader.start();
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int n = 0; !ws.closed.isDone() && System.nanoTime() - giveUp < 0; n++) {
        if (!window.tryAcquire(5, TimeUnit.SECONDS)) {
          continue; // no answer for a while: the loop ends once the close has come
        }
        String bidId = "bid-" + n;
        sent.add(bidId); // may or may not have left: a bid id sent again gets the same answer
        try {
          ws.sendBinary(DrainedBids.bid(bidId));
        } catch (Exception closing) {
          break;
        }
      }
      int closeStatus = ws.closed.get(30, TimeUnit.SECONDS);
      reader.join(10_000);

      assertEquals(1000, closeStatus, "the session closed normally once the token expired, after its answers");
      assertTrue(answers.size() >= 10, "bids were answered before the expiry: " + answers.size());
      for (Response r : answers.values()) {
        assertFalse(r.hasError(), "bid " + r.getRequestId() + " refused: " + r.getError());
      }
      List<String> unanswered = sent.stream().filter(b -> !answers.containsKey(b)).toList();
      System.out.printf(
          "[token-expiry] %d bids sent, %d answered before the close, %d never read%n", sent.size(), answers.size(), unanswered.size());
      Set<String> stored = DrainedBids.storedBids(node, token);
      for (String b : answers.keySet()) {
        assertTrue(stored.contains(b), "acknowledged bid " + b + " lost");
      }
      for (String b : unanswered) {
        assertFalse(stored.contains(b), "bid " + b + " got no answer but was stored: it was in doubt");
      }
      // the client sends what got no answer again, on a connection with a fresh token
      try (WsClient again = WsClient.connect(node.wsUri(), node.token("alice"))) {
        for (String b : unanswered) {
          again.sendBinary(DrainedBids.bid(b));
        }
        for (int i = 0; i < unanswered.size(); i++) {
          Response r = again.next().frame().getResponse();
          assertFalse(r.hasError(), "bid " + r.getRequestId() + " sent again refused: " + r.getError());
        }
      }
      assertEquals(new HashSet<>(sent), DrainedBids.storedBids(node, token), "every bid sent is stored, once");
    }
  }
}
