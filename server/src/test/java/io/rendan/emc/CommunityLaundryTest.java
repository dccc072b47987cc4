package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Community Laundry story of the EMC issue, end to end on a real node: over
 * HTTP and WebSocket, with each ME acting through its own operator's token.
 */
@Tag("node")
class CommunityLaundryTest {
  @TempDir Path dataDir;

  @Test
  void anEmcFormsChangesAndDissolvesWhileItsMembersWatchLive() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice"); // runs the laundry ME
      String bob = node.token("bob"); // runs the washer maker
      String carol = node.token("carol"); // runs campus marketing
      String laundry = story.registerMe(alice, "Dorm Laundry", "laundry");
      String washers = story.registerMe(bob, "Washer Works", "washers", "iot-programming");
      String marketing = story.registerMe(carol, "Campus Marketing", "marketing");

      Emc emc = story.startEmc(alice, laundry, "EXPERIENCE");
      assertEquals(Emc.Status.FORMING, emc.getStatus());
      assertEquals(laundry, emc.getOwnerMeId());
      String emcId = emc.getEmcId();

      try (WsClient aliceWs = WsClient.connect(node.wsUri(), alice);
          WsClient bobWs = WsClient.connect(node.wsUri(), bob)) {
        aliceWs.sendJson(subscribe("a1", "emc/" + emcId));
        assertEquals(1, aliceWs.next().frame().getResponse().getSubscribed().getSeq());
        bobWs.sendJson(subscribe("b1", "me/" + washers));
        assertEquals(1, bobWs.next().frame().getResponse().getSubscribed().getSeq());

        Invitation toWashers = story.invite(alice, emcId, washers, "SOLUTION", 3_000, "REVENUE", 500_000);
        assertEquals(Invitation.Status.PENDING, toWashers.getStatus());
        assertEquals(3_000, toWashers.getTerms().getShareBps());
        Invitation toMarketing = story.invite(alice, emcId, marketing, "EXPERIENCE", 1_500, "CYCLES", 800);

        // only the invited ME's operators answer; only the owner's operators invite
        var wrongAnswer = story.accept(carol, emcId, toWashers.getInvitationId());
        assertEquals(403, wrongAnswer.statusCode());
        assertTrue(wrongAnswer.body().contains("emc:not-invitee"));
        var wrongInviter = story.inviteResponse(bob, emcId, marketing, "SOLUTION", 100, "REPORTED", 1);
        assertEquals(403, wrongInviter.statusCode());
        assertTrue(wrongInviter.body().contains("emc:not-owner"));

        var bobAccepts = story.accept(bob, emcId, toWashers.getInvitationId());
        assertEquals(200, bobAccepts.statusCode(), bobAccepts.body());
        Emc afterBob = EmcStories.parse(bobAccepts, Emc.newBuilder()).build();
        assertEquals(Emc.Status.ACTIVE, afterBob.getStatus(), "both sides have a member");
        assertEquals(7_000, afterBob.getOwnerShareBps());

        // carol answers over the WebSocket
        try (WsClient carolWs = WsClient.connect(node.wsUri(), carol)) {
          carolWs.sendJson(
              ClientFrame.newBuilder()
                  .setRequestId("c1")
                  .setAcceptInvitation(
                      AnswerInvitationRequest.newBuilder().setEmcId(emcId).setInvitationId(toMarketing.getInvitationId()))
                  .build());
          Response accepted = carolWs.next().frame().getResponse();
          assertEquals("c1", accepted.getRequestId());
          assertEquals(5_500, accepted.getEmc().getOwnerShareBps(), accepted.toString());
        }
        Emc full = story.emc(bob, emcId);
        // the owner first, then the others by ME id
        List<String> others = new ArrayList<>(List.of(marketing, washers));
        java.util.Collections.sort(others);
        assertEquals(List.of(laundry, others.get(0), others.get(1)), full.getMembersList().stream().map(Member::getMeId).toList());
        Member washerSeat = full.getMembersList().stream().filter(m -> m.getMeId().equals(washers)).findFirst().orElseThrow();
        assertEquals(Member.Side.SOLUTION, washerSeat.getSide());
        assertEquals(1, washerSeat.getContract().getVersion());
        assertEquals(500_000, washerSeat.getContract().getTerms().getTarget().getAmount());

        // the washer maker's operator sees the membership arrive on its ME's topic
        Push membership = bobWs.next().frame().getPush();
        assertEquals("me/" + washers, membership.getTopic());
        assertEquals("me.membership-recorded", membership.getEvent());
        assertEquals(2, membership.getSeq());
        assertEquals(emcId, membership.getMe().getMemberships(0).getEmcId());
        assertEquals(Member.Side.SOLUTION, membership.getMe().getMemberships(0).getSide());

        TestNode.await(
            Duration.ofSeconds(10), "marketing shows its membership", () -> story.me(carol, marketing).getMembershipsCount() == 1);
        Me owner = story.me(alice, laundry);
        TestNode.await(Duration.ofSeconds(10), "laundry shows its ownership", () -> story.me(alice, laundry).getMembershipsCount() == 1);
        assertTrue(story.me(alice, laundry).getMemberships(0).getOwner(), owner.toString());

        // later: marketing leaves, the owner removes the washer maker, nobody removes the owner
        assertEquals(200, node.delete("/v1/emcs/" + emcId + "/members/" + marketing, carol).statusCode());
        var ownerLeaves = node.delete("/v1/emcs/" + emcId + "/members/" + laundry, alice);
        assertEquals(409, ownerLeaves.statusCode());
        assertTrue(ownerLeaves.body().contains("emc:owner.cannot-leave"));
        assertEquals(403, node.delete("/v1/emcs/" + emcId + "/members/" + washers, carol).statusCode());
        assertEquals(200, node.delete("/v1/emcs/" + emcId + "/members/" + washers, alice).statusCode());
        var dissolved = node.postJson("/v1/emcs/" + emcId + "/dissolve", alice, "{}");
        assertEquals(200, dissolved.statusCode(), dissolved.body());
        assertEquals(Emc.Status.DISSOLVED, EmcStories.parse(dissolved, Emc.newBuilder()).getStatus());

        // everyone subscribed saw each change, in order, one seq at a time
        List<String> events = new ArrayList<>();
        long seq = 1;
        while (events.size() < 7) {
          Push push = aliceWs.next().frame().getPush();
          assertEquals("emc/" + emcId, push.getTopic());
          assertEquals(++seq, push.getSeq());
          events.add(push.getEvent());
        }
        assertEquals(
            List.of(
                "emc.member-invited",
                "emc.member-invited",
                "emc.member-joined",
                "emc.member-joined",
                "emc.member-left",
                "emc.member-removed",
                "emc.dissolved"),
            events);

        TestNode.await(
            Duration.ofSeconds(10),
            "every membership has ended",
            () ->
                story.me(alice, laundry).getMembershipsCount() == 0
                    && story.me(bob, washers).getMembershipsCount() == 0
                    && story.me(carol, marketing).getMembershipsCount() == 0);
      }

      // someone who operates none of its MEs sees nothing of it
      var outsider = node.get("/v1/emcs/" + emcId, node.token("dave"));
      assertEquals(403, outsider.statusCode());
      assertFalse(outsider.body().contains("Laundry"));
    }
  }

  static ClientFrame subscribe(String requestId, String topic) {
    return ClientFrame.newBuilder().setRequestId(requestId).setSubscribe(Subscribe.newBuilder().setTopic(topic)).build();
  }
}
