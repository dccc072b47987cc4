package io.rendan.painpoint;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.ListPainPointsRequest;
import io.rendan.protocol.api.v1.ListPainPointsResponse;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.PainPoint;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.protocol.api.v1.VotePainPointRequest;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * Students of Community Laundry report what bothers them and vote; the laundry's
 * experience side triages (acknowledges one, merges a duplicate into it, declines
 * another with a reason) while the student who posted watches every change live
 * over the WebSocket; the owner turns the pain point into a call for resources,
 * and when the member it was awarded to joins, the pain point is resolved; a member on the solution side may not triage; the limits per
 * period hold; everything is still there after a restart of the node.
 */
@Tag("node")
class PainPointStoryTest {
  @TempDir Path dataDir;

  @Test
  void usersPostAndVoteTheExperienceSideTriagesAndThePosterSeesEveryChangeLive() throws Exception {
    String emcId;
    // a round of 20 business minutes closes in 20 s: business time runs 60 times as fast
    java.util.Map<String, Object> fast =
        java.util.Map.of("rendan.clock.speed", 60, "rendan.clock.origin", java.time.Instant.now().toString());
    try (TestNode node = TestNode.h2(dataDir, fast)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String student = node.token("student-1");
      String other = node.token("student-2");
      String laundry = registerMe(node, alice, "Dorm Laundry");
      String washers = registerMe(node, bob, "Washers");
      emcId = startEmc(node, alice, laundry);
      var invited =
          node.postJson(
              "/v1/emcs/" + emcId + "/invitations",
              alice,
              "{\"invitationId\":\"w1\",\"meId\":\"" + washers + "\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"terms\":{\"shareBps\":3000,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"10\"}}}");
      assertEquals(201, invited.statusCode(), invited.body());
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/invitations/w1/accept", bob, "{}").statusCode());

      try (WsClient ws = WsClient.connect(node.wsUri(), student)) {
        ws.sendBinary(ClientFrame.newBuilder().setRequestId("s").setSubscribe(Subscribe.newBuilder().setTopic("painpoints/" + emcId)).build());
        Response subscribed = ws.next().frame().getResponse();
        assertEquals(0, subscribed.getSubscribed().getSeq(), JsonFormat.printer().print(subscribed));

        PainPoint socks = post(node, student, emcId, "socks", "Washer 3 eats socks", "washer-3");
        assertEquals(PainPoint.Status.OPEN, socks.getStatus());
        assertEquals("student-1", socks.getPostedBy());
        Push posted = nextPush(ws);
        assertEquals("painpoint.posted", posted.getEvent());
        assertEquals(1, posted.getSeq());
        assertEquals("socks", posted.getPainPoint().getPainPointId());

        PainPoint dup = post(node, other, emcId, "dup", "My socks vanish in the washers", "");
        assertEquals(2, nextPush(ws).getSeq());
        PainPoint price = post(node, other, emcId, "price", "A cycle costs too much", "");
        assertEquals(3, nextPush(ws).getSeq());

        // votes: once each, over HTTP and the WebSocket
        assertEquals(1, vote(node, other, emcId, "socks").getVotes());
        assertEquals(1, vote(node, other, emcId, "socks").getVotes(), "a second vote counts nothing");
        assertEquals(4, nextPush(ws).getSeq());
        ws.sendBinary(
            ClientFrame.newBuilder()
                .setRequestId("v")
                .setVotePainPoint(VotePainPointRequest.newBuilder().setEmcId(emcId).setPainPointId("dup"))
                .build());
        Push voted = nextPush(ws);
        assertEquals("painpoint.voted", voted.getEvent());
        assertEquals(1, voted.getPainPoint().getVotes());

        // triage: the solution side may not; the experience side (the owner here) may
        HttpResponse<String> refused = triage(node, bob, emcId, "socks", "{\"action\":\"ACKNOWLEDGE\",\"meId\":\"" + washers + "\"}");
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("painpoint:not-experience-side"), refused.body());
        HttpResponse<String> notOperator = triage(node, other, emcId, "socks", "{\"action\":\"ACKNOWLEDGE\",\"meId\":\"" + laundry + "\"}");
        assertEquals(403, notOperator.statusCode(), notOperator.body());

        assertEquals(200, triage(node, alice, emcId, "socks", "{\"action\":\"ACKNOWLEDGE\",\"meId\":\"" + laundry + "\"}").statusCode());
        Push acknowledged = nextPush(ws);
        assertEquals("painpoint.acknowledged", acknowledged.getEvent());
        assertEquals(PainPoint.Status.ACKNOWLEDGED, acknowledged.getPainPoint().getStatus());
        assertEquals(laundry, acknowledged.getPainPoint().getTriagedByMeId());

        HttpResponse<String> merged =
            triage(node, alice, emcId, "dup", "{\"action\":\"MERGE\",\"meId\":\"" + laundry + "\",\"into\":\"socks\"}");
        assertEquals(200, merged.statusCode(), merged.body());
        Push mergedPush = nextPush(ws);
        assertEquals("painpoint.merged", mergedPush.getEvent());
        assertEquals("socks", mergedPush.getPainPoint().getMergedInto());
        PainPoint socksNow = parse(node.get("/v1/emcs/" + emcId + "/pain-points/socks", student), PainPoint.newBuilder()).build();
        assertEquals(2, socksNow.getVotes(), "the duplicate's voter counts for the pain point it was merged into");
        assertEquals(java.util.List.of("dup"), socksNow.getMergedFromList());

        HttpResponse<String> noReason = triage(node, alice, emcId, "price", "{\"action\":\"DECLINE\",\"meId\":\"" + laundry + "\"}");
        assertEquals(400, noReason.statusCode(), noReason.body());
        assertEquals(
            200,
            triage(node, alice, emcId, "price", "{\"action\":\"DECLINE\",\"meId\":\"" + laundry + "\",\"reason\":\"prices are set by the university\"}")
                .statusCode());
        Push declined = nextPush(ws);
        assertEquals("painpoint.declined", declined.getEvent());
        assertEquals("prices are set by the university", declined.getPainPoint().getReason());
        assertEquals(price.getPainPointId(), declined.getPainPoint().getPainPointId());
        assertEquals(dup.getPainPointId(), mergedPush.getPainPoint().getPainPointId());

        // the owner turns the acknowledged pain point into a call; they name each other
        String call =
            "{\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"sock-safe drums\",\"maxShareBps\":1500,"
                + "\"mode\":\"SEALED\",\"autoAward\":true,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"10\"}},\"closesInSeconds\":1200}";
        assertEquals(403, node.postJson("/v1/emcs/" + emcId + "/pain-points/socks/call", bob, call).statusCode(), "only the owner's operators");
        HttpResponse<String> opened = node.postJson("/v1/emcs/" + emcId + "/pain-points/socks/call", alice, call);
        assertEquals(201, opened.statusCode(), opened.body());
        PainPoint inCall = parse(opened, PainPoint.newBuilder()).build();
        assertEquals(PainPoint.Status.IN_CALL, inCall.getStatus());
        String roundId = inCall.getRoundId();
        assertTrue(roundId.startsWith("pp-"), roundId);
        Push callOpened = nextPush(ws);
        assertEquals("painpoint.call-opened", callOpened.getEvent());
        assertEquals(roundId, callOpened.getPainPoint().getRoundId());
        HttpResponse<String> again = node.postJson("/v1/emcs/" + emcId + "/pain-points/socks/call", alice, call);
        assertEquals(201, again.statusCode(), again.body());
        assertEquals(roundId, parse(again, PainPoint.newBuilder()).getRoundId(), "a retry opens no second round");
        io.rendan.protocol.api.v1.Round round =
            parse(node.get("/v1/rounds/" + roundId, alice), io.rendan.protocol.api.v1.Round.newBuilder()).build();
        assertEquals("socks", round.getCall().getPainPointId());
        HttpResponse<String> forged =
            node.postJson("/v1/emcs/" + emcId + "/calls", alice, call.replace("\"role\"", "\"painPointId\":\"price\",\"role\""));
        assertEquals(400, forged.statusCode(), forged.body());

        // a bidder wins it; when it joins, the pain point is resolved
        String carol = node.token("carol");
        var sockSavers = node.postJson("/v1/mes", carol, "{\"name\":\"Sock Savers\",\"kind\":\"EXTERNAL_PARTNER\",\"capabilities\":[\"washers\"]}");
        String savers = parse(sockSavers, Me.newBuilder()).getMeId();
        var bid =
            node.postJson(
                "/v1/rounds/" + roundId + "/bids", carol, "{\"bidId\":\"c1\",\"meId\":\"" + savers + "\",\"askShareBps\":1200,\"plan\":\"mesh drums\"}");
        assertEquals(200, bid.statusCode(), bid.body());
        String invitation = "award-" + roundId;
        TestNode.await(
            java.time.Duration.ofSeconds(30),
            "the round awards itself and the award becomes an invitation",
            () -> node.get("/v1/emcs/" + emcId, carol).body().contains(invitation));
        var accepted = node.postJson("/v1/emcs/" + emcId + "/invitations/" + invitation + "/accept", carol, "{}");
        assertEquals(200, accepted.statusCode(), accepted.body());
        Push resolved = nextPush(ws);
        assertEquals("painpoint.resolved", resolved.getEvent());
        assertEquals(PainPoint.Status.RESOLVED, resolved.getPainPoint().getStatus());
        assertEquals(savers, resolved.getPainPoint().getResolvedByMeId());

        // the listing over the WebSocket: most votes first, and what the caller has left
        ws.sendBinary(ClientFrame.newBuilder().setRequestId("l").setListPainPoints(ListPainPointsRequest.newBuilder().setEmcId(emcId)).build());
        Response listed = ws.next().frame().getResponse();
        ListPainPointsResponse list = listed.getPainPoints();
        assertEquals("socks", list.getPainPoints(0).getPainPointId());
        assertEquals(3, list.getPainPointsCount());
        assertEquals(4, list.getPostsLeft(), "student-1 posted one of five this month");
      }

      // limits: five posts per user per period
      for (int i = 2; i <= 4; i++) {
        post(node, student, emcId, "more-" + i, "Another thing " + i, "");
      }
      post(node, student, emcId, "more-5", "And one more", "");
      HttpResponse<String> sixth = postRaw(node, student, emcId, "more-6", "Too many", "");
      assertEquals(429, sixth.statusCode(), sixth.body());
      assertTrue(sixth.body().contains("painpoint:limit.posts"), sixth.body());
      // bad input
      assertEquals(400, postRaw(node, student, emcId, "bad", "", "").statusCode());
      assertEquals(400, node.postJson("/v1/emcs/" + emcId + "/pain-points", student, "{\"text\":\"x\",\"category\":\"Not A Category\"}").statusCode());
      assertEquals(400, node.get("/v1/emcs/" + emcId + "/pain-points?status=NOPE", student).statusCode());
      assertEquals(404, node.get("/v1/emcs/" + emcId + "/pain-points/nope", student).statusCode());
      assertEquals(404, postRaw(node, student, "no-such-emc", "x", "text", "").statusCode());
    }

    try (TestNode node = TestNode.h2(dataDir, fast)) {
      ListPainPointsResponse after =
          parse(node.get("/v1/emcs/" + emcId + "/pain-points", node.token("student-1")), ListPainPointsResponse.newBuilder()).build();
      assertEquals(7, after.getPainPointsCount());
      assertEquals(0, after.getPostsLeft());
      PainPoint socks = after.getPainPoints(0);
      assertEquals("socks", socks.getPainPointId());
      assertEquals(PainPoint.Status.RESOLVED, socks.getStatus());
      assertEquals(2, socks.getVotes());
    }
  }

  static Push nextPush(WsClient ws) throws InterruptedException {
    while (true) {
      WsClient.Received r = ws.next();
      if (r.frame().hasPush()) {
        return r.frame().getPush();
      }
    }
  }

  static PainPoint post(TestNode node, String token, String emcId, String id, String text, String appliance) throws Exception {
    HttpResponse<String> r = postRaw(node, token, emcId, id, text, appliance);
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, PainPoint.newBuilder()).build();
  }

  static HttpResponse<String> postRaw(TestNode node, String token, String emcId, String id, String text, String appliance) throws Exception {
    return node.postJson(
        "/v1/emcs/" + emcId + "/pain-points",
        token,
        "{\"painPointId\":\"" + id + "\",\"text\":\"" + text + "\",\"category\":\"washers\",\"applianceId\":\"" + appliance + "\"}");
  }

  static PainPoint vote(TestNode node, String token, String emcId, String id) throws Exception {
    HttpResponse<String> r = node.postJson("/v1/emcs/" + emcId + "/pain-points/" + id + "/votes", token, "{}");
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, PainPoint.newBuilder()).build();
  }

  static HttpResponse<String> triage(TestNode node, String token, String emcId, String id, String body) throws Exception {
    return node.postJson("/v1/emcs/" + emcId + "/pain-points/" + id + "/triage", token, body);
  }

  static <T extends com.google.protobuf.Message.Builder> T parse(HttpResponse<String> r, T builder) throws Exception {
    JsonFormat.parser().merge(r.body(), builder);
    return builder;
  }

  static String registerMe(TestNode node, String token, String name) throws Exception {
    var r = node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[\"laundry\"]}");
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
}
