package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.ListRoundsResponse;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bidding story of the issue, end to end on a real node over HTTP and
 * WebSocket: a call is posted, found in the directory, bid on live, closes at
 * its deadline by itself, is awarded, and the winner's invitation makes it a
 * member. The business clock runs 60 times real time, so "closes in 10
 * minutes" takes 10 seconds.
 */
@Tag("node")
class BiddingStoryTest {
  @TempDir Path dataDir;

  static <T extends com.google.protobuf.Message.Builder> T parse(HttpResponse<String> r, T builder) throws Exception {
    JsonFormat.parser().merge(r.body(), builder);
    return builder;
  }

  static String registerMe(TestNode node, String token, String name, String capability) throws Exception {
    var r = node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[\"" + capability + "\"]}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Me.newBuilder()).getMeId();
  }

  static String startEmc(TestNode node, String token, String ownerMeId) throws Exception {
    var r =
        node.postJson(
            "/v1/emcs",
            token,
            "{\"name\":\"Community Laundry\",\"userGroup\":\"dorm students\",\"ownerMeId\":\"" + ownerMeId + "\",\"ownerSide\":\"EXPERIENCE\"}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Emc.newBuilder()).getEmcId();
  }

  static Round postCall(TestNode node, String token, String emcId, String mode, long closesInSeconds, boolean autoAward)
      throws Exception {
    var r =
        node.postJson(
            "/v1/emcs/" + emcId + "/calls",
            token,
            "{\"call\":{\"capability\":\"iot-programming\",\"side\":\"SOLUTION\",\"role\":\"washer firmware\","
                + "\"description\":\"IoT programming for the washer fleet\",\"maxShareBps\":2000,\"mode\":\"" + mode + "\","
                + "\"minStepBps\":50,\"autoAward\":" + autoAward + ",\"target\":{\"metric\":\"CYCLES\",\"amount\":\"800\"}},"
                + "\"closesInSeconds\":" + closesInSeconds + "}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Round.newBuilder()).build();
  }

  static HttpResponse<String> bid(TestNode node, String token, String roundId, String bidId, String meId, int ask)
      throws Exception {
    return node.postJson(
        "/v1/rounds/" + roundId + "/bids",
        token,
        "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + meId + "\",\"askShareBps\":" + ask + ",\"plan\":\"over-the-air updates\"}");
  }

  static ClientFrame subscribe(String topic) {
    return ClientFrame.newBuilder().setRequestId(topic).setSubscribe(Subscribe.newBuilder().setTopic(topic)).build();
  }

  /** The next push of a topic, skipping responses. */
  static Push nextPush(WsClient ws) throws InterruptedException {
    while (true) {
      WsClient.Received r = ws.next();
      if (r.frame().hasPush()) {
        return r.frame().getPush();
      }
    }
  }

  @Test
  void aCallIsFoundBidOnLiveClosedAtItsDeadlineAwardedAndBecomesAMembership() throws Exception {
    Map<String, Object> fast = Map.of("rendan.clock.speed", 60, "rendan.clock.origin", Instant.now().toString());
    try (TestNode node = TestNode.h2(dataDir, fast)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String dave = node.token("dave");
      String laundry = registerMe(node, alice, "Dorm Laundry", "laundry");
      String fleet = registerMe(node, bob, "Fleet Firmware", "iot-programming");
      String cabin = registerMe(node, carol, "Code Cabin", "iot-programming");
      String painters = registerMe(node, dave, "Poster Painters", "marketing");
      String emcId = startEmc(node, alice, laundry);

      Round open = postCall(node, alice, emcId, "OPEN", 600, false);
      assertEquals(Round.Status.OPEN, open.getStatus());
      String roundId = open.getRoundId();
      var notOwner = node.postJson("/v1/emcs/" + emcId + "/calls", bob, "{\"call\":{},\"closesInSeconds\":600}");
      assertEquals(400, notOwner.statusCode(), "validated before anything else");

      // MEs with the capability find it
      TestNode.await(
          Duration.ofSeconds(10),
          "the round is in the directory",
          () -> {
            var listed = node.get("/v1/rounds?status=OPEN&capability=iot-programming", bob);
            return parse(listed, ListRoundsResponse.newBuilder()).getRoundsList().stream().anyMatch(r -> r.getRoundId().equals(roundId));
          });
      var other = parse(node.get("/v1/rounds?status=OPEN&capability=marketing", dave), ListRoundsResponse.newBuilder());
      assertEquals(0, other.getRoundsCount());

      try (WsClient bobWs = WsClient.connect(node.wsUri(), bob);
          WsClient carolWs = WsClient.connect(node.wsUri(), carol)) {
        bobWs.sendJson(subscribe("round/" + roundId));
        assertEquals(1, bobWs.next().frame().getResponse().getSubscribed().getSeq());
        carolWs.sendJson(subscribe("round/" + roundId));
        assertEquals(1, carolWs.next().frame().getResponse().getSubscribed().getSeq());

        var first = bid(node, bob, roundId, "bob-1", fleet, 1_800);
        assertEquals(200, first.statusCode(), first.body());
        Push seen = nextPush(carolWs);
        assertEquals(2, seen.getSeq());
        assertEquals(1_800, seen.getRound().getBestAskBps());
        assertEquals(1, seen.getRound().getBidCount());

        var notBetter = bid(node, carol, roundId, "carol-1", cabin, 1_760);
        assertEquals(409, notBetter.statusCode());
        assertTrue(notBetter.body().contains("bidding:ask.not-better"));
        var better = bid(node, carol, roundId, "carol-2", cabin, 1_700);
        assertEquals(200, better.statusCode(), better.body());
        assertEquals(1_800, nextPush(bobWs).getRound().getBestAskBps(), "bob sees his own bid first");
        Push moved = nextPush(bobWs);
        assertEquals(3, moved.getSeq());
        assertEquals(1_700, moved.getRound().getBestAskBps());

        var ineligible = bid(node, dave, roundId, "dave-1", painters, 1_000);
        assertEquals(403, ineligible.statusCode());
        assertTrue(ineligible.body().contains("bidding:not-eligible"));
        var forSomeoneElse = bid(node, dave, roundId, "dave-2", cabin, 1_000);
        assertEquals(403, forSomeoneElse.statusCode(), "dave does not operate carol's ME");

        // at the deadline the round closes by itself
        Push closed = nextPush(bobWs);
        while (!closed.getEvent().equals("round.closed")) {
          closed = nextPush(bobWs);
        }
        assertEquals(Round.Status.CLOSED, closed.getRound().getStatus());
        assertEquals(0, closed.getRound().getBidsCount(), "pushes never carry bids");
      }

      var late = bid(node, bob, roundId, "bob-2", fleet, 100);
      assertEquals(409, late.statusCode());
      assertTrue(late.body().contains("bidding:round.closed"));
      var stranger = node.postJson("/v1/rounds/" + roundId + "/award", bob, "{\"bidId\":\"carol-2\"}");
      assertEquals(403, stranger.statusCode());
      var awarded = node.postJson("/v1/rounds/" + roundId + "/award", alice, "{\"bidId\":\"carol-2\"}");
      assertEquals(200, awarded.statusCode(), awarded.body());
      Round round = parse(awarded, Round.newBuilder()).build();
      assertEquals(Round.Status.AWARDED, round.getStatus());
      assertEquals(cabin, round.getAwardedMeId());
      String invitationId = round.getInvitationId();

      // the award becomes an invitation with the winning terms; accepting it makes carol's ME a member
      TestNode.await(
          Duration.ofSeconds(10),
          "the invitation is issued",
          () -> node.get("/v1/emcs/" + emcId, carol).body().contains(invitationId));
      Emc emc = parse(node.get("/v1/emcs/" + emcId, carol), Emc.newBuilder()).build();
      Invitation invitation = emc.getInvitationsList().stream().filter(i -> i.getInvitationId().equals(invitationId)).findFirst().orElseThrow();
      assertEquals(cabin, invitation.getMeId());
      assertEquals(1_700, invitation.getTerms().getShareBps());
      assertEquals(800, invitation.getTerms().getTarget().getAmount());
      var accepted = node.postJson("/v1/emcs/" + emcId + "/invitations/" + invitationId + "/accept", carol, "{}");
      assertEquals(200, accepted.statusCode(), accepted.body());
      Emc after = parse(accepted, Emc.newBuilder()).build();
      assertTrue(after.getMembersList().stream().anyMatch(m -> m.getMeId().equals(cabin) && m.getContract().getTerms().getShareBps() == 1_700));
      assertEquals(Emc.Status.ACTIVE, after.getStatus());
    }
  }

  @Test
  void sealedBidsAreSeenOnlyByTheirBidderAndTheOwnerUntilTheClose() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String laundry = registerMe(node, alice, "Dorm Laundry", "laundry");
      String fleet = registerMe(node, bob, "Fleet Firmware", "iot-programming");
      String cabin = registerMe(node, carol, "Code Cabin", "iot-programming");
      String emcId = startEmc(node, alice, laundry);
      String roundId = postCall(node, alice, emcId, "SEALED", 3_600, false).getRoundId();

      try (WsClient carolWs = WsClient.connect(node.wsUri(), carol)) {
        carolWs.sendJson(subscribe("round/" + roundId));
        carolWs.next();
        assertEquals(200, bid(node, bob, roundId, "bob-1", fleet, 1_500).statusCode());
        Push push = nextPush(carolWs);
        assertEquals(1, push.getRound().getBidCount());
        assertFalse(push.getRound().hasBestAskBps(), "a sealed round shows no ask while open");
        assertEquals(0, push.getRound().getBidsCount());
        assertFalse(JsonFormat.printer().print(push).contains("1500"));
      }
      assertEquals(200, bid(node, carol, roundId, "carol-1", cabin, 1_900).statusCode());

      Round asCarol = parse(node.get("/v1/rounds/" + roundId + "?asMe=" + cabin, carol), Round.newBuilder()).build();
      assertEquals(1, asCarol.getBidsCount());
      assertEquals("carol-1", asCarol.getBids(0).getBidId());
      assertFalse(asCarol.hasBestAskBps());
      Round publicView = parse(node.get("/v1/rounds/" + roundId, carol), Round.newBuilder()).build();
      assertEquals(0, publicView.getBidsCount());
      assertEquals(2, publicView.getBidCount());
      assertEquals(403, node.get("/v1/rounds/" + roundId + "?asMe=" + fleet, carol).statusCode(), "carol cannot act as bob's ME");
      Round asOwner = parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).build();
      assertEquals(2, asOwner.getBidsCount());
    }
  }
}
