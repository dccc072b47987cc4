package io.rendan.emc;

import static io.rendan.emc.EmcStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.GetProspectusRequest;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Prospectus;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Round;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
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
 * An EMC holding a seat of another EMC keeps a record like an ME member: its
 * owner's operators report the seat's value of a period (nobody else), the outer
 * EMC's close counts the seat met, the outer EMC's prospectus shows it in its
 * target attainment, and when the EMC bids as one unit elsewhere the owner of
 * that round sees the bid as an EMC's with the periods it met as a seat holder.
 *
 * <p>A month passes without sleeping: the node is started again with its business
 * clock 40 days ahead (an earlier origin at twice real speed), as in
 * {@code ProspectusStoryTest}.
 */
@Tag("node")
class EmcSeatRecordTest {
  private static final long TARGET = 10;

  @TempDir Path dataDir;

  @Test
  void aSeatHeldByAnEmcReportsThroughItsOwnerAndItsMetPeriodsCountInTheProspectus() throws Exception {
    Instant start = Instant.now();
    YearMonth month = YearMonth.from(start.atZone(ZoneOffset.UTC));
    String outer;
    String coop;
    String daveMe;
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String dave = node.token("dave");
      outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry", "laundry"), "EXPERIENCE").getEmcId();
      // The co-op: bob's ME owns it, dave's ME (the firmware programmer) holds a seat of 4 000 bps.
      coop = story.startEmc(bob, story.registerMe(bob, "Washer Co-op", "washer-repair"), "SOLUTION").getEmcId();
      daveMe = story.registerMe(dave, "Fleet Firmware", "iot-programming");
      assertEquals(200, story.accept(dave, coop, story.invite(bob, coop, daveMe, "SOLUTION", 4_000, "REVENUE", 1).getInvitationId()).statusCode());
      // The co-op holds a seat of the laundry with a reported target.
      HttpResponse<String> invited =
          node.postJson(
              "/v1/emcs/" + outer + "/invitations",
              alice,
              "{\"invitationId\":\"coop-seat\",\"meId\":\"" + coop + "\",\"memberKind\":\"emc\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"terms\":{\"shareBps\":1500,\"target\":{\"metric\":\"REPORTED\",\"amount\":\"" + TARGET + "\"}}}");
      assertEquals(201, invited.statusCode(), invited.body());
      HttpResponse<String> joined = story.accept(bob, outer, "coop-seat");
      assertEquals(200, joined.statusCode(), joined.body());
    }

    Map<String, Object> later = Map.of("rendan.clock.speed", 2, "rendan.clock.origin", start.minus(Duration.ofDays(40)).toString());
    try (TestNode node = TestNode.h2(dataDir, later)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String dave = node.token("dave");
      String mallory = node.token("mallory");
      story.registerMe(mallory, "Mallory Works");

      // Only the co-op's owner's operators report for its seat: not its member, not the laundry's owner, not a stranger.
      long version = story.emc(alice, outer).getVersion();
      for (String other : new String[] {dave, alice, mallory}) {
        HttpResponse<String> refused = report(node, other, outer, month, coop, TARGET + 2);
        assertEquals(403, refused.statusCode(), refused.body());
      }
      assertEquals(version, story.emc(alice, outer).getVersion(), "a refused report stored something");
      HttpResponse<String> reported = report(node, bob, outer, month, coop, TARGET + 2);
      assertEquals(200, reported.statusCode(), reported.body());
      assertEquals(version + 1, parse(reported, Emc.newBuilder()).getVersion());

      // The laundry closes the month: the co-op's seat is evaluated on what it reported, and met.
      HttpResponse<String> closed = node.postJson("/v1/emcs/" + outer + "/periods/" + month + "/close", alice, "{}");
      assertEquals(200, closed.statusCode(), closed.body());
      Member seat = parse(closed, Emc.newBuilder()).getMembersList().stream().filter(m -> m.getMeId().equals(coop)).findFirst().orElseThrow();
      assertEquals(0, seat.getMissedInRow(), seat.toString());

      // The laundry's prospectus counts the seat in its target attainment.
      String laundryRound = postCall(node, alice, outer, "laundry");
      TestNode.await(
          Duration.ofSeconds(30),
          "the laundry's prospectus has the closed month",
          () -> prospectus(node, carol, laundryRound).getPeriodsCount() == 1);
      Prospectus laundry = prospectus(node, carol, laundryRound);
      assertEquals(month.toString(), laundry.getPeriods(0).getPeriod());
      assertEquals(1, laundry.getPeriods(0).getMembersEvaluated(), laundry.toString());
      assertEquals(1, laundry.getPeriods(0).getMembersMet(), laundry.toString());
      assertEquals(10_000, laundry.getAttainmentBps());

      // Elsewhere the co-op bids as one unit beside an ME: the round's owner sees which bid is an EMC's, and its record.
      String carolMe = story.registerMe(carol, "Campus Dryers", "dryers");
      String dryers = story.startEmc(carol, carolMe, "EXPERIENCE").getEmcId();
      String roundId = postCall(node, carol, dryers, "iot-programming");
      HttpResponse<String> unitBid =
          node.postJson(
              "/v1/rounds/" + roundId + "/bids",
              bob,
              "{\"bidId\":\"coop-1\",\"meId\":\"" + coop + "\",\"bidderKind\":\"emc\",\"askShareBps\":1500,\"plan\":\"the co-op\"}");
      assertEquals(200, unitBid.statusCode(), unitBid.body());
      HttpResponse<String> meBid =
          node.postJson(
              "/v1/rounds/" + roundId + "/bids",
              dave,
              "{\"bidId\":\"dave-1\",\"meId\":\"" + daveMe + "\",\"askShareBps\":1800,\"plan\":\"alone\"}");
      assertEquals(200, meBid.statusCode(), meBid.body());
      TestNode.await(
          Duration.ofSeconds(30),
          "the co-op's met period reaches its record",
          () -> view(prospectus(node, carol, roundId), coop).getPeriodsMet() == 1);
      Prospectus owners = prospectus(node, carol, roundId);
      Prospectus.BidView asUnit = view(owners, coop);
      assertEquals("emc", asUnit.getBidderKind());
      assertEquals(1, asUnit.getPeriodsMet());
      assertEquals(0, asUnit.getPeriodsMissed());
      Prospectus.BidView asMe = view(owners, daveMe);
      assertEquals("", asMe.getBidderKind());
      assertEquals(0, asMe.getPeriodsMet() + asMe.getPeriodsMissed(), "dave's seat is in the co-op, whose months are not closed");

      // The WebSocket answers what HTTP does; a caller who does not own the round sees no bids.
      try (WsClient ws = WsClient.connect(node.wsUri(), carol)) {
        ws.sendBinary(
            ClientFrame.newBuilder().setRequestId("p1").setGetProspectus(GetProspectusRequest.newBuilder().setRoundId(roundId)).build());
        Response response = ws.next().frame().getResponse();
        assertEquals(owners, response.getProspectus());
      }
      assertEquals(0, prospectus(node, bob, roundId).getBidsCount());
    }
  }

  private static HttpResponse<String> report(TestNode node, String token, String emcId, YearMonth period, String meId, long value)
      throws Exception {
    return node.postJson(
        "/v1/emcs/" + emcId + "/periods/" + period + "/reports", token, "{\"meId\":\"" + meId + "\",\"value\":\"" + value + "\"}");
  }

  private static String postCall(TestNode node, String token, String emcId, String capability) throws Exception {
    HttpResponse<String> r =
        node.postJson(
            "/v1/emcs/" + emcId + "/calls",
            token,
            "{\"call\":{\"capability\":\"" + capability + "\",\"side\":\"SOLUTION\",\"role\":\"firmware\",\"maxShareBps\":2000,"
                + "\"mode\":\"SEALED\",\"target\":{\"metric\":\"REPORTED\",\"amount\":\"" + TARGET + "\"}},\"closesInSeconds\":86400}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Round.newBuilder()).getRoundId();
  }

  private static Prospectus prospectus(TestNode node, String token, String roundId) throws Exception {
    HttpResponse<String> r = node.get("/v1/rounds/" + roundId + "/prospectus", token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, Prospectus.newBuilder()).build();
  }

  private static Prospectus.BidView view(Prospectus prospectus, String meId) {
    return prospectus.getBidsList().stream()
        .filter(b -> b.getMeId().equals(meId))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no bid of " + meId + " in " + prospectus));
  }
}
