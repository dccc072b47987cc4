package io.rendan.emc;

import static io.rendan.emc.EmcStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Member;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An EMC as one member of another, over HTTP: invited, answered by its owner, never in a cycle. */
@Tag("node")
class NestedEmcTest {
  @TempDir Path dataDir;

  @Test
  void anEmcIsInvitedOnlyWhereTheNodeAllowsEmcMembers() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, java.util.Map.of("rendan.emc.emc-members", false))) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry"), "EXPERIENCE").getEmcId();
      String middle = story.startEmc(bob, story.registerMe(bob, "Washer Co-op"), "SOLUTION").getEmcId();
      HttpResponse<String> refused = inviteEmcResponse(node, alice, outer, middle, 3_000);
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("rendan.emc.emc-members"), refused.body());
      assertEquals(0, story.emc(alice, outer).getInvitationsCount(), "nothing stored");
    }
  }

  @Test
  void anEmcHoldsASeatThroughItsOwnerAndNoCycleIsAccepted() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, java.util.Map.of("rendan.emc.emc-members", true))) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry"), "EXPERIENCE").getEmcId();
      String middle = story.startEmc(bob, story.registerMe(bob, "Washer Co-op"), "SOLUTION").getEmcId();
      String inner = story.startEmc(carol, story.registerMe(carol, "Repair Circle"), "SOLUTION").getEmcId();

      // The outer EMC invites the middle one as one member; only its owner's operators answer.
      Invitation seat = inviteEmc(node, alice, outer, middle, 3_000);
      // The invited EMC's owner sees the EMC it is invited to; others do not.
      assertEquals(1, story.emc(bob, outer).getInvitationsCount());
      assertEquals(403, node.get("/v1/emcs/" + outer, carol).statusCode());
      assertEquals("emc", seat.getMemberKind());
      assertEquals(middle, seat.getMeId());
      HttpResponse<String> byStranger = story.accept(carol, outer, seat.getInvitationId());
      assertEquals(403, byStranger.statusCode(), byStranger.body());
      assertTrue(byStranger.body().contains(EmcCodes.NOT_INVITEE), byStranger.body());
      HttpResponse<String> accepted = story.accept(bob, outer, seat.getInvitationId());
      assertEquals(200, accepted.statusCode(), accepted.body());
      Member held = parse(accepted, Emc.newBuilder()).getMembersList().stream()
          .filter(m -> m.getMeId().equals(middle))
          .findFirst()
          .orElseThrow();
      assertEquals("emc", held.getMemberKind());
      assertEquals(3_000, held.getContract().getTerms().getShareBps());
      // Accepted again: the same seat, no second one.
      assertEquals(200, story.accept(bob, outer, seat.getInvitationId()).statusCode());

      // The middle EMC takes the inner one in: outer > middle > inner.
      Invitation deeper = inviteEmc(node, bob, middle, inner, 2_000);
      assertEquals(200, story.accept(carol, middle, deeper.getInvitationId()).statusCode());

      // The outer EMC in the middle one (directly) or in the inner one (deeper): a cycle, refused at acceptance.
      Invitation back = inviteEmc(node, bob, middle, outer, 1_000);
      assertCycle(story.accept(alice, middle, back.getInvitationId()));
      Invitation around = inviteEmc(node, carol, inner, outer, 1_000);
      assertCycle(story.accept(alice, inner, around.getInvitationId()));
      // Refused, the invitation stays open and nothing joined.
      assertEquals(2, story.emc(bob, middle).getMembersCount());
      assertEquals(1, story.emc(carol, inner).getMembersCount());

      // An EMC in itself is refused when it is invited; an unknown member kind is invalid.
      assertCycle(inviteEmcResponse(node, alice, outer, outer, 1_000));
      HttpResponse<String> unknownKind =
          node.postJson(
              "/v1/emcs/" + outer + "/invitations",
              alice,
              "{\"meId\":\"" + inner + "\",\"memberKind\":\"guild\",\"side\":\"SOLUTION\",\"role\":\"r\","
                  + "\"terms\":{\"shareBps\":100,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}");
      assertEquals(400, unknownKind.statusCode(), unknownKind.body());
      // An EMC that does not exist cannot be invited.
      assertEquals(404, inviteEmcResponse(node, alice, outer, "no-such-emc", 1_000).statusCode());
    }
  }

  private static void assertCycle(HttpResponse<String> response) {
    assertEquals(409, response.statusCode(), response.body());
    assertTrue(response.body().contains(EmcCodes.CYCLE), response.body());
  }

  static HttpResponse<String> inviteEmcResponse(TestNode node, String token, String emcId, String memberEmcId, int shareBps)
      throws Exception {
    return node.postJson(
        "/v1/emcs/" + emcId + "/invitations",
        token,
        "{\"meId\":\"" + memberEmcId + "\",\"memberKind\":\"emc\",\"side\":\"SOLUTION\",\"role\":\"member EMC\","
            + "\"terms\":{\"shareBps\":" + shareBps + ",\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}");
  }

  static Invitation inviteEmc(TestNode node, String token, String emcId, String memberEmcId, int shareBps) throws Exception {
    HttpResponse<String> r = inviteEmcResponse(node, token, emcId, memberEmcId, shareBps);
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Invitation.newBuilder()).build();
  }
}
