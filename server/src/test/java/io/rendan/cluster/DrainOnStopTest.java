package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Response;
import io.rendan.ws.WsClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stopped (coordinated shutdown, as SIGTERM runs it) while a WebSocket
 * client keeps bids in flight: the session answers every bid it read, then
 * closes with 1000, so no bid is in doubt. What got no answer was never read
 * (not stored), and sent again to the node that follows, is stored once.
 * Before http/ConnectionDrain the connection dropped with its node and the
 * bids in flight on it were in doubt (docs/CLUSTER.md).
 */
@Tag("node")
class DrainOnStopTest {

  @TempDir Path dir;

  @Test
  void aStoppingNodeAnswersEveryBidItReadAndClosesCleanly() throws Exception {
    Map<String, Response> answers = new ConcurrentHashMap<>();
    List<String> sent = new ArrayList<>();
    int closeStatus;
    String token;
    try (TestNode first = TestNode.h2(dir)) {
      token = first.token("alice");
      DrainedBids.postRound(first, token);
      WsClient ws = WsClient.connect(first.wsUri(), token);
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
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      for (int n = 0; !ws.closed.isDone(); n++) {
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
        if (answers.size() >= 60 && !stopped.isDone() && stopped.complete(null)) {
          // SIGTERM's path, while 16 bids are in flight
          new Thread(() -> first.node().system().terminate()).start();
        }
      }
      closeStatus = ws.closed.get(30, TimeUnit.SECONDS);
      reader.join(10_000);
      first.node().system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    assertEquals(1000, closeStatus, "the session closed normally, after its answers");
    for (Response r : answers.values()) {
      assertFalse(r.hasError(), "bid " + r.getRequestId() + " refused: " + r.getError());
    }
    List<String> unanswered = sent.stream().filter(b -> !answers.containsKey(b)).toList();
    System.out.printf(
        "[drain] %d bids sent, %d answered before the close, %d never read%n", sent.size(), answers.size(), unanswered.size());

    try (TestNode next = TestNode.h2(dir)) {
      Set<String> stored = DrainedBids.storedBids(next, token);
      for (String b : answers.keySet()) {
        assertTrue(stored.contains(b), "acknowledged bid " + b + " lost");
      }
      for (String b : unanswered) {
        assertFalse(stored.contains(b), "bid " + b + " got no answer but was stored: it was in doubt");
      }
      // the client sends what got no answer again, to the node that is there now
      try (WsClient ws = WsClient.connect(next.wsUri(), token)) {
        for (String b : unanswered) {
          ws.sendBinary(DrainedBids.bid(b));
        }
        for (int i = 0; i < unanswered.size(); i++) {
          Response r = ws.next().frame().getResponse();
          assertFalse(r.hasError(), "bid " + r.getRequestId() + " sent again refused: " + r.getError());
        }
      }
      assertEquals(new HashSet<>(sent), DrainedBids.storedBids(next, token), "every bid sent is stored, once");
    }
  }
}
