package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invitations of EMCs into each other accepted at the same moment, over HTTP:
 * however they interleave, EMCs never end up holding seats in each other
 * (NestingGate). Without the gate both checks could read the seats before
 * either was stored and both pass.
 */
@Tag("node")
class NestingRaceTest {
  @TempDir Path dataDir;

  @Test
  void twoEmcsAcceptingSeatsInEachOtherAtOnceNeverBothJoin() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.emc.emc-members", true))) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String aliceMe = story.registerMe(alice, "Dorm Laundry");
      String bobMe = story.registerMe(bob, "Washer Co-op");
      int pairs = 8;
      for (int i = 0; i < pairs; i++) {
        String a = story.startEmc(alice, aliceMe, "EXPERIENCE").getEmcId();
        String b = story.startEmc(bob, bobMe, "SOLUTION").getEmcId();
        // a invites b, b invites a; each owner accepts the other's at the same moment
        String bIntoA = NestedEmcTest.inviteEmc(node, alice, a, b, 1_000).getInvitationId();
        String aIntoB = NestedEmcTest.inviteEmc(node, bob, b, a, 1_000).getInvitationId();
        List<HttpResponse<String>> answers = acceptAtOnce(node, List.of(new Accept(bob, a, bIntoA), new Accept(alice, b, aIntoB)));
        long joined = answers.stream().filter(r -> r.statusCode() == 200).count();
        for (HttpResponse<String> r : answers) {
          if (r.statusCode() != 200) {
            assertEquals(409, r.statusCode(), r.body());
            assertTrue(r.body().contains(EmcCodes.CYCLE), r.body());
          }
        }
        assertEquals(1, joined, "pair " + i + ": exactly one of the two seats is taken: " + answers.stream().map(HttpResponse::body).toList());
        boolean bInA = story.emc(alice, a).getMembersList().stream().anyMatch(m -> m.getMeId().equals(b));
        boolean aInB = story.emc(bob, b).getMembersList().stream().anyMatch(m -> m.getMeId().equals(a));
        assertFalse(bInA && aInB, "pair " + i + ": EMCs hold seats in each other");
        assertTrue(bInA || aInB, "pair " + i + ": the accepted seat is stored");
      }
    }
  }

  @Test
  void threeEmcsClosingACircleAtOnceLeaveItOpen() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.emc.emc-members", true))) {
      EmcStories story = new EmcStories(node);
      List<String> tokens = List.of(node.token("alice"), node.token("bob"), node.token("carol"));
      List<String> emcs = new ArrayList<>();
      for (String token : tokens) {
        emcs.add(story.startEmc(token, story.registerMe(token, "Owner"), "EXPERIENCE").getEmcId());
      }
      // emc i invites emc i+1: accepted together they would make a circle of three
      List<Accept> accepts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int next = (i + 1) % 3;
        String invitation = NestedEmcTest.inviteEmc(node, tokens.get(i), emcs.get(i), emcs.get(next), 1_000).getInvitationId();
        accepts.add(new Accept(tokens.get(next), emcs.get(i), invitation));
      }
      List<HttpResponse<String>> answers = acceptAtOnce(node, accepts);
      assertEquals(2, answers.stream().filter(r -> r.statusCode() == 200).count(), answers.stream().map(HttpResponse::body).toList().toString());
      HttpResponse<String> refused = answers.stream().filter(r -> r.statusCode() != 200).findFirst().orElseThrow();
      assertEquals(409, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains(EmcCodes.CYCLE), refused.body());
    }
  }

  record Accept(String token, String emcId, String invitationId) {}

  private static List<HttpResponse<String>> acceptAtOnce(TestNode node, List<Accept> accepts) {
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (Accept a : accepts) {
      sent.add(
          node.http()
              .sendAsync(
                  node.request("/v1/emcs/" + a.emcId() + "/invitations/" + a.invitationId() + "/accept", a.token())
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString("{}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }
    return sent.stream().map(CompletableFuture::join).toList();
  }
}
