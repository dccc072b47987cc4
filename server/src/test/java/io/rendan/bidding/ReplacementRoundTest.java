package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Round;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member misses its target three months in a row and is flagged at risk; the
 * member agrees to leave (help comes first: until then, or until its help case
 * fails, the seat is not put up); the owner posts a replacement call for its
 * seat; the round awards itself; the
 * winner accepts the invitation and takes over the seat, and the old member
 * leaves. Nothing is replaced automatically.
 *
 * <p>Months pass without sleeping: the node is started again with the business
 * clock about 120 days ahead (an earlier origin at twice real speed).
 */
@Tag("node")
class ReplacementRoundTest {
  @TempDir Path dataDir;

  @Test
  void threeMissedPeriodsFlagAMemberAtRiskAndAReplacementRoundMovesItsSeat() throws Exception {
    Instant start = Instant.now();
    String emcId;
    String laundry;
    String washers;
    String alice;
    String bob;
    String carol;
    try (TestNode node = TestNode.h2(dataDir)) {
      alice = node.token("alice");
      bob = node.token("bob");
      carol = node.token("carol");
      laundry = BiddingStoryTest.registerMe(node, alice, "Dorm Laundry", "laundry");
      washers = BiddingStoryTest.registerMe(node, bob, "Slow Washers", "washers");
      emcId = BiddingStoryTest.startEmc(node, alice, laundry);
      var invited =
          node.postJson(
              "/v1/emcs/" + emcId + "/invitations",
              alice,
              "{\"invitationId\":\"w1\",\"meId\":\"" + washers + "\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"terms\":{\"shareBps\":3000,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"100000\"}}}");
      assertEquals(201, invited.statusCode(), invited.body());
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/invitations/w1/accept", bob, "{}").statusCode());
    }

    Map<String, Object> later =
        Map.of("rendan.clock.speed", 2, "rendan.clock.origin", start.minus(Duration.ofDays(120)).toString());
    try (TestNode node = TestNode.h2(dataDir, later)) {
      String fixers = BiddingStoryTest.registerMe(node, carol, "Fast Fixers", "washers");
      // three months without revenue: the washer maker misses its target three times in a row
      YearMonth month = YearMonth.from(start.atZone(ZoneOffset.UTC));
      for (int i = 0; i < 3; i++) {
        var closed = node.postJson("/v1/emcs/" + emcId + "/periods/" + month.plusMonths(i) + "/close", alice, "{}");
        assertEquals(200, closed.statusCode(), closed.body());
      }
      Emc emc = BiddingStoryTest.parse(node.get("/v1/emcs/" + emcId, alice), Emc.newBuilder()).build();
      String emcJson = node.get("/v1/emcs/" + emcId, alice).body();
      assertTrue(emcJson.contains("\"atRisk\":true"), emcJson);
      assertTrue(emc.getMembersList().stream().anyMatch(m -> m.getMeId().equals(washers)), "nothing was replaced automatically");

      // a replacement call for a member that is not at risk is refused
      var notAtRisk =
          node.postJson(
              "/v1/emcs/" + emcId + "/calls",
              alice,
              "{\"closesInSeconds\":60,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"maxShareBps\":4000,\"mode\":\"SEALED\",\"autoAward\":true,\"replacesMeId\":\"" + laundry + "\","
                  + "\"target\":{\"metric\":\"REVENUE\",\"amount\":\"100000\"}}}");
      assertEquals(404, notAtRisk.statusCode(), notAtRisk.body());

      // help comes first: while the help case is open the seat is not put up for replacement...
      String call =
          "{\"closesInSeconds\":20,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"washers\","
              + "\"maxShareBps\":4000,\"mode\":\"SEALED\",\"autoAward\":true,\"replacesMeId\":\"" + washers + "\","
              + "\"target\":{\"metric\":\"REVENUE\",\"amount\":\"100000\"}}}";
      var helpOpen = node.postJson("/v1/emcs/" + emcId + "/calls", alice, call);
      assertEquals(409, helpOpen.statusCode(), helpOpen.body());
      assertTrue(helpOpen.body().contains("emc:help.open"), helpOpen.body());
      // ...until the member agrees to leave (or the case fails)
      var agreed = node.postJson("/v1/emcs/" + emcId + "/help/case-1/leave", bob, "{}");
      assertEquals(200, agreed.statusCode(), agreed.body());

      var posted =
          node.postJson(
              "/v1/emcs/" + emcId + "/calls",
              alice,
              "{\"closesInSeconds\":20,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"maxShareBps\":4000,\"mode\":\"SEALED\",\"autoAward\":true,\"replacesMeId\":\"" + washers + "\","
                  + "\"target\":{\"metric\":\"REVENUE\",\"amount\":\"100000\"}}}");
      assertEquals(201, posted.statusCode(), posted.body());
      Round round = BiddingStoryTest.parse(posted, Round.newBuilder()).build();
      assertEquals(washers, round.getCall().getReplacesMeId());
      assertEquals(200, BiddingStoryTest.bid(node, carol, round.getRoundId(), "c1", fixers, 2_800).statusCode());

      String invitationId = "award-" + round.getRoundId();
      TestNode.await(
          Duration.ofSeconds(30),
          "the round awards itself and the award becomes an invitation",
          () -> node.get("/v1/emcs/" + emcId, carol).body().contains(invitationId));
      var accepted = node.postJson("/v1/emcs/" + emcId + "/invitations/" + invitationId + "/accept", carol, "{}");
      assertEquals(200, accepted.statusCode(), accepted.body());
      Emc after = BiddingStoryTest.parse(accepted, Emc.newBuilder()).build();
      assertFalse(after.getMembersList().stream().anyMatch(m -> m.getMeId().equals(washers)), "the old member left");
      Member seat = after.getMembersList().stream().filter(m -> m.getMeId().equals(fixers)).findFirst().orElseThrow();
      assertEquals(Member.Side.SOLUTION, seat.getSide());
      assertEquals(2_800, seat.getContract().getTerms().getShareBps());
      assertEquals(10_000 - 2_800, after.getOwnerShareBps());
    }
  }
}
