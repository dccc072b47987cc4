package io.rendan.emc;

import static io.rendan.emc.EmcStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Bid;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Prospectus;
import io.rendan.protocol.api.v1.Round;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An EMC takes part in another EMC as one unit, over HTTP through a real node:
 * its owner bids for it, the round's owner sees one bidder with the unit's
 * rating, the award makes the EMC a member, and the EMC accepts terms and leaves
 * through its owner. The business clock runs 60 times real time.
 */
@Tag("node")
class EmcAsUnitTest {
  @TempDir Path dataDir;

  @Test
  void anEmcBidsAsOneUnitIsAwardedTheSeatAcceptsTermsAndLeaves() throws Exception {
    Map<String, Object> settings =
        Map.of("rendan.emc.emc-members", true, "rendan.clock.speed", 60, "rendan.clock.origin", Instant.now().toString());
    try (TestNode node = TestNode.h2(dataDir, settings)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String dave = node.token("dave");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry", "laundry"), "EXPERIENCE").getEmcId();
      // The co-op: bob's ME owns it, dave's ME (the firmware programmer) holds a seat of 4 000 bps.
      String coop = story.startEmc(bob, story.registerMe(bob, "Washer Co-op", "washer-repair"), "SOLUTION").getEmcId();
      String daveMe = story.registerMe(dave, "Fleet Firmware", "iot-programming");
      String seat = story.invite(bob, coop, daveMe, "SOLUTION", 4_000, "REVENUE", 1).getInvitationId();
      assertEquals(200, story.accept(dave, coop, seat).statusCode());
      String roundId = postCall(node, alice, outer);

      // Only operators of the co-op's owner bid for it; the owner of the round's EMC cannot bid it into itself.
      HttpResponse<String> byMember = bid(node, dave, roundId, "coop-1", coop, 1_500);
      assertEquals(403, byMember.statusCode(), byMember.body());
      HttpResponse<String> intoItself = bid(node, alice, roundId, "outer-1", outer, 1_500);
      assertEquals(409, intoItself.statusCode(), intoItself.body());
      assertTrue(intoItself.body().contains(EmcCodes.CYCLE), intoItself.body());
      HttpResponse<String> unknownKind =
          node.postJson("/v1/rounds/" + roundId + "/bids", bob, "{\"bidId\":\"x\",\"meId\":\"" + coop + "\",\"bidderKind\":\"guild\",\"askShareBps\":1}");
      assertEquals(400, unknownKind.statusCode(), unknownKind.body());

      // bob bids for the co-op: the bidder is the EMC, with its members' capability and its unit rating.
      HttpResponse<String> placed = bid(node, bob, roundId, "coop-1", coop, 1_500);
      assertEquals(200, placed.statusCode(), placed.body());
      Bid unitBid = parse(placed, Round.newBuilder()).getBids(0);
      assertEquals(coop, unitBid.getMeId());
      assertEquals("emc", unitBid.getBidderKind());
      assertEquals(EmcUnit.NEUTRAL_RATING, unitBid.getRating(), "members with no record yet: neutral");
      // An ME bids beside it: carol's.
      String carolMe = story.registerMe(carol, "Code Cabin", "iot-programming");
      HttpResponse<String> meBid = bidAsMe(node, carol, roundId, "carol-1", carolMe, 1_800);
      assertEquals(200, meBid.statusCode(), meBid.body());
      assertEquals("", parse(meBid, Round.newBuilder()).getBids(0).getBidderKind());

      // The round's owner sees two bidders, the co-op as one; the co-op's owner sees its own bid (asMe), others not.
      Round owners = parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).build();
      assertEquals(2, owners.getBidsCount());
      Bid seen = owners.getBidsList().stream().filter(b -> b.getMeId().equals(coop)).findFirst().orElseThrow();
      assertEquals("emc", seen.getBidderKind());
      assertEquals(EmcUnit.NEUTRAL_RATING, seen.getRating());
      Round bobs = parse(node.get("/v1/rounds/" + roundId + "?asMe=" + coop, bob), Round.newBuilder()).build();
      assertEquals(1, bobs.getBidsCount());
      assertEquals(403, node.get("/v1/rounds/" + roundId + "?asMe=" + coop, dave).statusCode());
      // The prospectus compares the bidders with the unit's rating.
      Prospectus prospectus = parse(node.get("/v1/rounds/" + roundId + "/prospectus", alice), Prospectus.newBuilder()).build();
      assertTrue(
          prospectus.getBidsList().stream().anyMatch(b -> b.getMeId().equals(coop) && b.getRating() == EmcUnit.NEUTRAL_RATING),
          prospectus.toString());
      // Withdrawing the co-op's bid is its owner's: not dave's.
      assertEquals(403, node.delete("/v1/rounds/" + roundId + "/bids/coop-1", dave).statusCode());

      // Closed, the round's owner awards the co-op; the award becomes the co-op's invitation, which bob accepts.
      TestNode.await(
          Duration.ofSeconds(30),
          "the round closes at its deadline",
          () -> parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).getStatus() == Round.Status.CLOSED);
      HttpResponse<String> awarded = node.postJson("/v1/rounds/" + roundId + "/award", alice, "{\"bidId\":\"coop-1\"}");
      assertEquals(200, awarded.statusCode(), awarded.body());
      String invitationId = "award-" + roundId;
      TestNode.await(
          Duration.ofSeconds(15),
          "the award is the co-op's invitation",
          () -> story.emc(alice, outer).getInvitationsList().stream().anyMatch(i -> i.getInvitationId().equals(invitationId)));
      assertEquals("emc", story.emc(alice, outer).getInvitationsList().get(0).getMemberKind());
      assertEquals(403, story.accept(dave, outer, invitationId).statusCode(), "a member of the co-op does not answer for it");
      HttpResponse<String> joined = story.accept(bob, outer, invitationId);
      assertEquals(200, joined.statusCode(), joined.body());
      Member held = member(parse(joined, Emc.newBuilder()).build(), coop);
      assertEquals("emc", held.getMemberKind());
      assertEquals(1_500, held.getContract().getTerms().getShareBps());

      // New terms for the co-op's seat: its owner accepts them, nobody else.
      HttpResponse<String> proposed =
          node.postJson(
              "/v1/emcs/" + outer + "/members/" + coop + "/terms",
              alice,
              "{\"terms\":{\"shareBps\":1200,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}");
      assertEquals(200, proposed.statusCode(), proposed.body());
      assertEquals(403, node.postJson("/v1/emcs/" + outer + "/members/" + coop + "/terms/accept", dave, "{}").statusCode());
      HttpResponse<String> agreed = node.postJson("/v1/emcs/" + outer + "/members/" + coop + "/terms/accept", bob, "{}");
      assertEquals(200, agreed.statusCode(), agreed.body());
      assertEquals(1_200, member(parse(agreed, Emc.newBuilder()).build(), coop).getContract().getTerms().getShareBps());

      // The co-op leaves by itself, through its owner; dave cannot make it leave.
      assertEquals(403, node.delete("/v1/emcs/" + outer + "/members/" + coop, dave).statusCode());
      HttpResponse<String> left = node.delete("/v1/emcs/" + outer + "/members/" + coop, bob);
      assertEquals(200, left.statusCode(), left.body());
      assertTrue(parse(left, Emc.newBuilder()).getMembersList().stream().noneMatch(m -> m.getMeId().equals(coop)));
    }
  }

  @Test
  void anEmcBidsOnlyWhereTheNodeAllowsEmcMembers() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.emc.emc-members", false))) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry", "laundry"), "EXPERIENCE").getEmcId();
      String coop = story.startEmc(bob, story.registerMe(bob, "Washer Co-op", "iot-programming"), "SOLUTION").getEmcId();
      String roundId = postCall(node, alice, outer);
      HttpResponse<String> refused = bid(node, bob, roundId, "coop-1", coop, 1_500);
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("rendan.emc.emc-members"), refused.body());
    }
  }

  private static Member member(Emc emc, String id) {
    return emc.getMembersList().stream().filter(m -> m.getMeId().equals(id)).findFirst().orElseThrow();
  }

  private static String postCall(TestNode node, String token, String emcId) throws Exception {
    HttpResponse<String> r =
        node.postJson(
            "/v1/emcs/" + emcId + "/calls",
            token,
            "{\"call\":{\"capability\":\"iot-programming\",\"side\":\"SOLUTION\",\"role\":\"washer firmware\","
                + "\"description\":\"IoT programming for the washer fleet\",\"maxShareBps\":2000,\"mode\":\"SEALED\","
                + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"800\"}},\"closesInSeconds\":900}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Round.newBuilder()).getRoundId();
  }

  /** A bid for the EMC {@code emcId} as one unit (bidderKind "emc"). */
  private static HttpResponse<String> bid(TestNode node, String token, String roundId, String bidId, String emcId, int ask)
      throws Exception {
    return node.postJson(
        "/v1/rounds/" + roundId + "/bids",
        token,
        "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + emcId + "\",\"bidderKind\":\"emc\",\"askShareBps\":" + ask
            + ",\"plan\":\"the co-op's firmware team\"}");
  }

  private static HttpResponse<String> bidAsMe(TestNode node, String token, String roundId, String bidId, String meId, int ask)
      throws Exception {
    return node.postJson(
        "/v1/rounds/" + roundId + "/bids",
        token,
        "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + meId + "\",\"askShareBps\":" + ask + ",\"plan\":\"alone\"}");
  }
}
