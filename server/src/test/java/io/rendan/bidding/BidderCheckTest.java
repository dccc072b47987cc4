package io.rendan.bidding;

import static io.rendan.bidding.BiddingStoryTest.bid;
import static io.rendan.bidding.BiddingStoryTest.postCall;
import static io.rendan.bidding.BiddingStoryTest.registerMe;
import static io.rendan.bidding.BiddingStoryTest.startEmc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bids check their bidder against the ME as this node holds it in memory
 * ({@link io.rendan.me.LiveMes}) instead of asking the ME's entity each time. What a client
 * was told is stored must be what its next bid is checked against, also after a
 * restart.
 */
@Tag("node")
class BidderCheckTest {
  @TempDir Path dataDir;

  @Test
  void aBidRightAfterAnAcknowledgedChangeIsCheckedAgainstTheChange() throws Exception {
    String roundId;
    String bidder;
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String emc = startEmc(node, alice, registerMe(node, alice, "Dorm Laundry", "logistics"));
      roundId = postCall(node, alice, emc, "SEALED", 3600, false).getRoundId();
      bidder = registerMe(node, bob, "Firmware Co", "marketing");

      // the ME is in memory now: its entry is what the bid is checked against
      var lacking = bid(node, bob, roundId, "b1", bidder, 1_500);
      assertEquals(403, lacking.statusCode(), lacking.body());
      assertTrue(lacking.body().contains(BiddingCodes.NOT_ELIGIBLE), lacking.body());
      assertTrue(node.node().meApi().live().get(bidder).isPresent(), "the bidder's entity keeps its entry on this node");

      var changed = node.putJson("/v1/mes/" + bidder + "/capabilities", bob, "{\"capabilities\":[\"iot-programming\"]}");
      assertEquals(200, changed.statusCode(), changed.body());
      var placed = bid(node, bob, roundId, "b1", bidder, 1_500);
      assertEquals(200, placed.statusCode(), placed.body());

      // an operator removed (acknowledged) may no longer bid for the ME, at once
      var added = node.postJson("/v1/mes/" + bidder + "/operators", bob, "{\"subject\":\"carol\"}");
      assertEquals(200, added.statusCode(), added.body());
      String carol = node.token("carol");
      assertEquals(200, bid(node, carol, roundId, "b2", bidder, 1_400).statusCode());
      assertEquals(200, node.delete("/v1/mes/" + bidder + "/operators/carol", bob).statusCode());
      var refused = bid(node, carol, roundId, "b3", bidder, 1_300);
      assertEquals(403, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("auth:forbidden"), refused.body());
    }

    // after a restart the map starts empty: the first bid asks the entity, which fills it
    try (TestNode node = TestNode.h2(dataDir)) {
      String bob = node.token("bob");
      assertTrue(node.node().meApi().live().get(bidder).isEmpty(), "nothing is remembered across a restart");
      var again = bid(node, bob, roundId, "b4", bidder, 1_200);
      assertEquals(200, again.statusCode(), again.body());
      assertTrue(node.node().meApi().live().get(bidder).isPresent());
      assertEquals(
          java.util.List.of("iot-programming"), node.node().meApi().live().get(bidder).get().capabilities());
      var refused = bid(node, node.token("carol"), roundId, "b5", bidder, 1_100);
      assertEquals(403, refused.statusCode(), refused.body());
    }
  }
}
