package io.rendan.prospect;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.GetProspectusRequest;
import io.rendan.protocol.api.v1.Me;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * An EMC earns revenue for a few months and closes them; its member reports its
 * value, meeting its target in some months and missing it in others; then leaves
 * and bids on the EMC's next call. Everyone signed in reads the call's prospectus;
 * the owner sees the bid beside what the EMC would keep. Every figure is checked
 * against the EMC's statements of the same periods, to the minor unit, over HTTP,
 * the WebSocket and the round view, and again after a restart.
 *
 * <p>Months pass without sleeping: the node is started again with its business
 * clock about 100 days ahead (an earlier origin at twice real speed), and revenue
 * is recorded with earnedAt in the months that have passed.
 */
@Tag("node")
class ProspectusStoryTest {
  private static final int TARGET = 10;

  @TempDir Path dataDir;

  @Test
  void aProspectusShowsTheEmcsClosedPeriodsAsItsStatementsDoAndTheOwnerSeesEachBidBesideIt() throws Exception {
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
      laundry = registerMe(node, alice, "Dorm Laundry", "laundry");
      washers = registerMe(node, bob, "Washers", "washers");
      emcId = startEmc(node, alice, laundry);
      var invited =
          node.postJson(
              "/v1/emcs/" + emcId + "/invitations",
              alice,
              "{\"invitationId\":\"w1\",\"meId\":\"" + washers + "\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"terms\":{\"shareBps\":3333,\"target\":{\"metric\":\"REPORTED\",\"amount\":\"" + TARGET + "\"}}}");
      assertEquals(201, invited.statusCode(), invited.body());
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/invitations/w1/accept", bob, "{}").statusCode());
    }

    Map<String, Object> later =
        Map.of("rendan.clock.speed", 2, "rendan.clock.origin", start.minus(Duration.ofDays(100)).toString());
    List<String> closed = new ArrayList<>();
    Map<String, Boolean> metIn = new LinkedHashMap<>();
    String roundId;
    try (TestNode node = TestNode.h2(dataDir, later)) {
      Instant now = Instant.now().plus(Duration.ofDays(100));
      Instant earliest = start.plus(Duration.ofDays(11)); // inside the 90-day revenue window, after the EMC started
      YearMonth month = YearMonth.from(start.atZone(ZoneOffset.UTC));
      for (int i = 0; end(month).isBefore(now.minus(Duration.ofDays(1))); i++, month = month.plusMonths(1)) {
        Instant earned = month.atDay(14).atStartOfDay().toInstant(ZoneOffset.UTC);
        if (earned.isBefore(earliest)) {
          earned = earliest;
        }
        if (earned.isBefore(end(month))) {
          // odd amounts, so that splits leave remainders
          revenue(node, alice, emcId, "m" + i + "-a", 100_003L * (i + 1), earned);
          revenue(node, alice, emcId, "m" + i + "-b", 7_777L + i, earned.plusSeconds(60));
        }
        boolean met = i % 2 == 0;
        var report =
            node.postJson(
                "/v1/emcs/" + emcId + "/periods/" + month + "/reports",
                bob,
                "{\"meId\":\"" + washers + "\",\"value\":\"" + (met ? TARGET + 2 : TARGET - 5) + "\"}");
        assertEquals(200, report.statusCode(), report.body());
        var close = node.postJson("/v1/emcs/" + emcId + "/periods/" + month + "/close", alice, "{}");
        assertEquals(200, close.statusCode(), close.body());
        closed.add(0, month.toString());
        metIn.put(month.toString(), met);
      }
      assertTrue(closed.size() >= 3, "months closed: " + closed);
      // the member leaves, so that it may bid on the EMC's call
      assertEquals(200, node.delete("/v1/emcs/" + emcId + "/members/" + washers, bob).statusCode());
      var posted =
          node.postJson(
              "/v1/emcs/" + emcId + "/calls",
              alice,
              "{\"closesInSeconds\":86400,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                  + "\"maxShareBps\":2000,\"mode\":\"SEALED\",\"missedPeriodLimit\":2,"
                  + "\"target\":{\"metric\":\"REPORTED\",\"amount\":\"" + TARGET + "\"}}}");
      assertEquals(201, posted.statusCode(), posted.body());
      roundId = parse(posted, Round.newBuilder()).getRoundId();
      String round = roundId;
      TestNode.await(
          Duration.ofSeconds(20),
          "the former member's memberships have caught up and it may bid",
          () -> bid(node, bob, round, "b1", washers, 1_500).statusCode() == 200);

      // Statements and prospectus come from two read models that catch up on
      // their own: wait until both have every closed period's revenue.
      Map<String, EmcStatement> statements = new LinkedHashMap<>();
      TestNode.await(
          Duration.ofSeconds(30),
          "the statements and the prospectus have caught up with every closed period",
          () -> {
            for (String period : closed) {
              statements.put(
                  period, parse(node.get("/v1/emcs/" + emcId + "/statement?period=" + period, alice), EmcStatement.newBuilder()).build());
            }
            Prospectus p = prospectus(node, carol, roundId, "?askBps=1500");
            return p.getPeriodsCount() == Math.min(6, closed.size())
                && p.getPeriodsList().stream()
                    .allMatch(
                        period ->
                            statements.get(period.getPeriod()).getRevenueMinor() == period.getRevenueMinor()
                                && statements.get(period.getPeriod()).getRevenueCount() == period.getRevenueCount());
          });

      // anyone signed in: the EMC's record, no bids
      Prospectus seen = prospectus(node, carol, roundId, "?askBps=1500");
      checkAgainstStatements(seen, closed, statements, laundry, metIn, 1_500);
      assertEquals(0, seen.getBidsCount(), "only the owner sees the bids");
      assertEquals(TARGET, seen.getSeatTarget().getAmount());
      assertEquals(2, seen.getMissedPeriodLimit());
      assertEquals(emcId, seen.getEmcId());
      assertEquals("EUR", seen.getCurrency());

      // the owner: the bid beside what the EMC keeps and the bidder's record
      Prospectus owners = prospectus(node, alice, roundId, "");
      assertEquals(2_000, owners.getAskBps(), "without askBps: the call's largest share");
      checkAgainstStatements(owners, closed, statements, laundry, metIn, 2_000);
      assertEquals(1, owners.getBidsCount());
      Prospectus.BidView view = owners.getBids(0);
      assertEquals(washers, view.getMeId());
      assertEquals(1_500, view.getAskShareBps());
      long wasMet = metIn.values().stream().filter(m -> m).count();
      assertEquals(wasMet, view.getPeriodsMet());
      assertEquals(closed.size() - wasMet, view.getPeriodsMissed());
      long[] keeps = new long[owners.getPeriodsCount()];
      for (int i = 0; i < keeps.length; i++) {
        EmcStatement s = statements.get(owners.getPeriods(i).getPeriod());
        keeps[i] = ownerAmount(s, laundry) - s.getRevenueMinor() * 1_500 / 10_000;
      }
      assertEquals(range(keeps), view.getEmcKeeps());

      // the round view carries the same prospectus
      Round asOwner = parse(node.get("/v1/rounds/" + roundId, alice), Round.newBuilder()).build();
      assertEquals(owners, asOwner.getProspectus());
      Round asAnyone = parse(node.get("/v1/rounds/" + roundId, carol), Round.newBuilder()).build();
      assertEquals(0, asAnyone.getProspectus().getBidsCount());
      assertEquals(owners.getPeriodsList(), asAnyone.getProspectus().getPeriodsList());

      // the WebSocket answers what HTTP does
      try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
        ws.sendBinary(
            ClientFrame.newBuilder()
                .setRequestId("p1")
                .setGetProspectus(GetProspectusRequest.newBuilder().setRoundId(roundId).setAskBps(1_500))
                .build());
        Response response = ws.next().frame().getResponse();
        assertEquals("p1", response.getRequestId());
        assertEquals(prospectus(node, alice, roundId, "?askBps=1500"), response.getProspectus());
        ws.sendBinary(
            ClientFrame.newBuilder()
                .setRequestId("p2")
                .setGetProspectus(GetProspectusRequest.newBuilder().setRoundId(roundId).setAskBps(10_001))
                .build());
        Response refused = ws.next().frame().getResponse();
        assertEquals("request:invalid", refused.getError().getCode());
      }

      // bad input is a clear 400; an unknown round a 404
      for (String bad : List.of("?askBps=abc", "?askBps=-1", "?askBps=10001")) {
        HttpResponse<String> r = node.get("/v1/rounds/" + roundId + "/prospectus" + bad, carol);
        assertEquals(400, r.statusCode(), bad + ": " + r.body());
        assertTrue(r.body().contains("request:invalid"), r.body());
      }
      HttpResponse<String> unknown = node.get("/v1/rounds/no-such-round/prospectus", carol);
      assertEquals(404, unknown.statusCode(), unknown.body());
      assertEquals(401, node.get("/v1/rounds/" + roundId + "/prospectus", null).statusCode());
    }

    // after a restart the read model is where it was
    try (TestNode node = TestNode.h2(dataDir, later)) {
      Prospectus again = prospectus(node, node.token("carol"), roundId, "?askBps=1500");
      assertEquals(Math.min(6, closed.size()), again.getPeriodsCount());
      assertEquals(closed.subList(0, again.getPeriodsCount()), again.getPeriodsList().stream().map(Prospectus.Period::getPeriod).toList());
    }
  }

  /** Every period as the statement of that period shows it; ranges and attainment recomputed here. */
  private static void checkAgainstStatements(
      Prospectus p, List<String> closed, Map<String, EmcStatement> statements, String owner, Map<String, Boolean> metIn, int ask) {
    int n = Math.min(6, closed.size());
    assertEquals(n, p.getPeriodsCount());
    long[] revenue = new long[n];
    long[] projected = new long[n];
    int met = 0;
    for (int i = 0; i < n; i++) {
      Prospectus.Period period = p.getPeriods(i);
      assertEquals(closed.get(i), period.getPeriod(), "newest first");
      EmcStatement s = statements.get(period.getPeriod());
      assertEquals(s.getRevenueMinor(), period.getRevenueMinor(), period.getPeriod());
      assertEquals(s.getRevenueCount(), period.getRevenueCount(), period.getPeriod());
      assertEquals(ownerAmount(s, owner), period.getOwnerKeptMinor(), period.getPeriod());
      assertEquals(1, period.getMembersEvaluated());
      assertEquals(metIn.get(period.getPeriod()) ? 1 : 0, period.getMembersMet());
      met += period.getMembersMet();
      revenue[i] = s.getRevenueMinor();
      projected[i] = s.getRevenueMinor() * ask / 10_000;
      assertEquals(projected[i], period.getProjectedMinor());
    }
    assertEquals(range(revenue), p.getRevenue());
    assertEquals(range(projected), p.getProjected());
    assertEquals(p.getRevenue().getHighMinor() - p.getRevenue().getLowMinor(), p.getSpreadMinor());
    assertEquals(n, p.getMembersEvaluated());
    assertEquals(met, p.getMembersMet());
    assertEquals(met * 10_000 / n, p.getAttainmentBps());
    assertEquals(ask, p.getAskBps());
    // the revenue of these months grows by about 100 003 a month: the trend says so
    assertTrue(p.getTrendMinorPerPeriod() > 90_000 && p.getTrendMinorPerPeriod() < 110_000, "trend " + p.getTrendMinorPerPeriod());
  }

  private static long ownerAmount(EmcStatement s, String owner) {
    return s.getSharesList().stream().filter(x -> x.getMeId().equals(owner)).mapToLong(EmcStatement.Share::getAmountMinor).sum();
  }

  private static Prospectus.Range range(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return Prospectus.Range.newBuilder()
        .setLowMinor(sorted[0])
        .setMedianMinor(sorted[(sorted.length - 1) / 2])
        .setHighMinor(sorted[sorted.length - 1])
        .build();
  }

  private static Instant end(YearMonth month) {
    return month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
  }

  static Prospectus prospectus(TestNode node, String token, String roundId, String query) throws Exception {
    HttpResponse<String> r = node.get("/v1/rounds/" + roundId + "/prospectus" + query, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, Prospectus.newBuilder()).build();
  }

  static void revenue(TestNode node, String token, String emcId, String id, long amount, Instant earnedAt) throws Exception {
    var r =
        node.postJson(
            "/v1/emcs/" + emcId + "/revenue",
            token,
            "{\"revenueId\":\"" + id + "\",\"amountMinor\":\"" + amount + "\",\"currency\":\"EUR\",\"source\":\"laundry-cycle\","
                + "\"units\":\"1\",\"earnedAt\":\"" + earnedAt + "\"}");
    assertEquals(200, r.statusCode(), r.body());
  }

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

  static HttpResponse<String> bid(TestNode node, String token, String roundId, String bidId, String meId, int ask) throws Exception {
    return node.postJson(
        "/v1/rounds/" + roundId + "/bids",
        token,
        "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + meId + "\",\"askShareBps\":" + ask + ",\"plan\":\"faster washers\"}");
  }
}
