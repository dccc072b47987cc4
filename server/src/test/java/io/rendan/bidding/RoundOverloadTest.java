package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Round;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When more bids wait in front of a round than it queues, the extra ones are
 * refused at once with 429 bidding:round.overloaded (never silence), and every
 * bid answered 200 is in the round.
 */
@Tag("node")
class RoundOverloadTest {
  @TempDir Path dataDir;

  @Test
  void bidsBeyondTheQueueAreRefusedAtOnceAndTheAcceptedOnesAreStored() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.bidding.max-queued", 3, "rendan.bidding.max-batch", 2))) {
      String alice = node.token("alice");
      String laundry = BiddingStoryTest.registerMe(node, alice, "Dorm Laundry", "laundry");
      String emcId = BiddingStoryTest.startEmc(node, alice, laundry);
      String roundId = BiddingStoryTest.postCall(node, alice, emcId, "SEALED", 3_600, false).getRoundId();
      int bidders = 8;
      List<String> tokens = new ArrayList<>();
      List<String> mes = new ArrayList<>();
      for (int i = 0; i < bidders; i++) {
        tokens.add(node.token("bidder-" + i));
        mes.add(BiddingStoryTest.registerMe(node, tokens.get(i), "Bidder " + i, "iot-programming"));
      }
      int total = 300;
      // 32 bids in flight at any time (so 32 connections, as wrk -c32 holds):
      // ten times what the round queues, and few enough connections that a
      // busy machine accepts them all in time.
      Semaphore inFlight = new Semaphore(32);
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int n = 0; n < total; n++) {
        int b = n % bidders;
        inFlight.acquire();
        answers.add(
            node.http()
                .sendAsync(
                    node.request("/v1/rounds/" + roundId + "/bids", tokens.get(b))
                        .header("Content-Type", "application/json")
                        .POST(
                            HttpRequest.BodyPublishers.ofString(
                                "{\"bidId\":\"b" + n + "\",\"meId\":\"" + mes.get(b) + "\",\"askShareBps\":" + (100 + n) + "}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .whenComplete((r, e) -> inFlight.release()));
      }
      Set<String> accepted = new HashSet<>();
      int overloaded = 0;
      for (int n = 0; n < total; n++) {
        HttpResponse<String> r = answers.get(n).join();
        if (r.statusCode() == 200) {
          accepted.add("b" + n);
        } else {
          assertEquals(429, r.statusCode(), r.body());
          assertTrue(r.body().contains("bidding:round.overloaded"), r.body());
          assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
          overloaded++;
        }
      }
      assertTrue(overloaded > 0, "a queue of 3 in front of the round must overflow under 32 bids at a time");
      assertFalse(accepted.isEmpty());
      Round round = BiddingStoryTest.parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).build();
      Set<String> stored = new HashSet<>();
      round.getBidsList().forEach(b -> stored.add(b.getBidId()));
      assertEquals(accepted, stored, "every bid answered 200 is in the round, and no refused one");
    }
  }
}
