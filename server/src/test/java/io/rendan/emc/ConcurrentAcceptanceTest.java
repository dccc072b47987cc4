package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Member;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many invitations accepted at the same moment never give away more than 10 000 bps. */
@Tag("node")
class ConcurrentAcceptanceTest {
  @TempDir Path dataDir;

  @Test
  void invitationsAcceptedAtOnceNeverExceedTenThousandBps() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String owner = node.token("owner");
      String ownerMe = story.registerMe(owner, "Internet of Food");
      String emcId = story.startEmc(owner, ownerMe, "EXPERIENCE").getEmcId();

      int invited = 12;
      List<String> tokens = new ArrayList<>();
      List<Invitation> invitations = new ArrayList<>();
      for (int i = 0; i < invited; i++) {
        String token = node.token("partner-" + i);
        String me = story.registerMe(token, "Partner " + i);
        tokens.add(token);
        // 3 000 bps each: any three fit, a fourth never does
        invitations.add(story.invite(owner, emcId, me, i % 2 == 0 ? "SOLUTION" : "EXPERIENCE", 3_000, "REVENUE", 1));
      }

      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < invited; i++) {
        answers.add(
            node.http()
                .sendAsync(
                    node.request("/v1/emcs/" + emcId + "/invitations/" + invitations.get(i).getInvitationId() + "/accept", tokens.get(i))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString()));
      }
      int accepted = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        HttpResponse<String> r = answer.join();
        if (r.statusCode() == 200) {
          accepted++;
        } else {
          assertEquals(409, r.statusCode(), r.body());
          assertTrue(r.body().contains("emc:share.exceeded"), r.body());
          refused++;
        }
      }
      assertEquals(3, accepted);
      assertEquals(invited - 3, refused);

      Emc emc = story.emc(owner, emcId);
      int held = emc.getMembersList().stream().filter(m -> !m.getOwner()).mapToInt(m -> m.getContract().getTerms().getShareBps()).sum();
      assertEquals(9_000, held);
      assertEquals(1_000, emc.getOwnerShareBps());
      assertEquals(4, emc.getMembersCount());
      assertTrue(emc.getMembersList().stream().anyMatch(Member::getOwner));
    }
  }
}
