package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Round;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server is down when a round's deadline passes. When it is back, nobody has
 * to touch the round: it is brought into memory and closes (here: awards
 * itself) on its own timer.
 *
 * <p>Rather than sleeping through the deadline, the second start moves the
 * business clock an hour ahead (an earlier origin at the same speed), as if
 * the node had been down for two hours.
 */
@Tag("node")
class DeadlineAfterRestartTest {
  @TempDir Path dataDir;

  @Test
  void aRoundWhoseDeadlinePassedWhileTheServerWasDownClosesByItself() throws Exception {
    Instant origin = Instant.now();
    String roundId;
    String alice;
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.clock.speed", 60, "rendan.clock.origin", origin.toString()))) {
      alice = node.token("alice");
      String bob = node.token("bob");
      String laundry = BiddingStoryTest.registerMe(node, alice, "Dorm Laundry", "laundry");
      String fleet = BiddingStoryTest.registerMe(node, bob, "Fleet Firmware", "iot-programming");
      String emcId = BiddingStoryTest.startEmc(node, alice, laundry);
      roundId = BiddingStoryTest.postCall(node, alice, emcId, "SEALED", 3_600, true).getRoundId();
      assertEquals(200, BiddingStoryTest.bid(node, bob, roundId, "bob-1", fleet, 1_500).statusCode());
      String id = roundId;
      TestNode.await(
          Duration.ofSeconds(10), "the directory knows the round", () -> node.get("/v1/rounds?status=OPEN", alice).body().contains(id));
    }

    // the same speed from two minutes earlier: business time is now about two hours later
    Map<String, Object> twoHoursLater =
        Map.of("rendan.clock.speed", 60, "rendan.clock.origin", origin.minusSeconds(120).toString(), "rendan.bidding.wake-interval", "1s");
    try (TestNode node = TestNode.h2(dataDir, twoHoursLater)) {
      String id = roundId;
      TestNode.await(
          Duration.ofSeconds(20),
          "the round awarded itself",
          () -> node.get("/v1/rounds?status=AWARDED", alice).body().contains(id));
      Round round =
          BiddingStoryTest.parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).build();
      assertEquals(Round.Status.AWARDED, round.getStatus());
      assertEquals("bob-1", round.getAwardedBidId());
    }
  }
}
