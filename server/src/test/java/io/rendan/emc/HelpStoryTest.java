package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.AnswerPledgeRequest;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.HelpCase;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.MeStatement;
import io.rendan.protocol.api.v1.Pledge;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Revenue;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * Help before replacement on a real node, over HTTP and the WebSocket. The EMC
 * is set up at today's date; the node is then started again with the business
 * clock about 100 days ahead (an earlier origin at twice real speed), so that
 * periods can be closed without sleeping.
 */
@Tag("node")
class HelpStoryTest {
  private static final long TARGET = 100_000;

  @TempDir Path dataDir;

  /** What the first node set up. */
  record Setup(String emcId, String laundry, String washers, String dryers, String alice, String bob, String carol, YearMonth month) {}

  private Setup setUp(TestNode node) throws Exception {
    EmcStories story = new EmcStories(node);
    String alice = node.token("alice");
    String bob = node.token("bob");
    String carol = node.token("carol");
    String laundry = story.registerMe(alice, "Dorm Laundry", "laundry");
    String washers = story.registerMe(bob, "Slow Washers", "washers");
    String dryers = story.registerMe(carol, "Dryer Service", "dryers");
    Emc emc = story.startEmc(alice, laundry, "EXPERIENCE");
    String emcId = emc.getEmcId();
    // washers: 30 %, at risk after one missed month; dryers: 20 %, a target of nothing
    HttpResponse<String> w =
        node.postJson(
            "/v1/emcs/" + emcId + "/invitations",
            alice,
            "{\"invitationId\":\"w\",\"meId\":\"" + washers + "\",\"side\":\"SOLUTION\",\"role\":\"washers\","
                + "\"terms\":{\"shareBps\":3000,\"missedPeriodLimit\":1,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"" + TARGET + "\"}}}");
    assertEquals(201, w.statusCode(), w.body());
    assertEquals(200, story.accept(bob, emcId, "w").statusCode());
    HttpResponse<String> d =
        node.postJson(
            "/v1/emcs/" + emcId + "/invitations",
            alice,
            "{\"invitationId\":\"d\",\"meId\":\"" + dryers + "\",\"side\":\"SOLUTION\",\"role\":\"dryers\","
                + "\"terms\":{\"shareBps\":2000,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"0\"}}}");
    assertEquals(201, d.statusCode(), d.body());
    assertEquals(200, story.accept(carol, emcId, "d").statusCode());
    return new Setup(emcId, laundry, washers, dryers, alice, bob, carol, YearMonth.from(emc.getCreatedAt().getSeconds() == 0 ? Instant.now().atOffset(ZoneOffset.UTC) : Instant.ofEpochSecond(emc.getCreatedAt().getSeconds()).atOffset(ZoneOffset.UTC)));
  }

  private static Map<String, Object> later() {
    return Map.of("rendan.clock.speed", 2, "rendan.clock.origin", Instant.now().minus(Duration.ofDays(100)).toString());
  }

  @Test
  void twoPledgesAnAdvanceRepaidOverTwoPeriodsAFailedCaseAndThenAReplacement() throws Exception {
    Setup s;
    Revenue first0;
    try (TestNode node = TestNode.h2(dataDir)) {
      s = setUp(node);
      // the first month's revenue: the dryers' part (20 %) is what they later advance; the washers stay short
      HttpResponse<String> r0 =
          node.postJson(
              "/v1/emcs/" + s.emcId() + "/revenue",
              s.alice(),
              "{\"revenueId\":\"r-0\",\"amountMinor\":\"250005\",\"currency\":\"EUR\",\"source\":\"laundry-cycle\"}");
      assertEquals(200, r0.statusCode(), r0.body());
      first0 = EmcStories.parse(r0, Revenue.newBuilder()).build();
      assertEquals(50_001, part(first0, s.dryers()));
    }
    long washers0 = part(first0, s.washers());
    try (TestNode node = TestNode.h2(dataDir, later());
        WsClient ws = WsClient.connect(node.wsUri(), node.token("bob"))) {
      String admin = node.token("ops", "admin");
      String emcPath = "/v1/emcs/" + s.emcId();
      subscribe(ws, "emc/" + s.emcId());
      subscribe(ws, "me/" + s.washers());
      List<String> pushed = new ArrayList<>();

      // the first month closes with the washer maker short of its whole target: a help case opens
      Emc closed = ok(node.postJson(emcPath + "/periods/" + s.month() + "/close", s.alice(), "{}"));
      HelpCase opened = closed.getHelpCases(0);
      assertEquals("case-1", opened.getCaseId());
      assertEquals(s.washers(), opened.getMeId());
      assertEquals(HelpCase.Status.OPEN, opened.getStatus());
      assertEquals(TARGET - washers0, opened.getShortfalls(0).getShortBy());
      awaitPush(ws, pushed, "emc.help-case-opened");
      awaitPush(ws, pushed, "me.help-recorded");
      booksBalanced(node, admin);

      // no replacement round while the case is open
      HttpResponse<String> early = node.postJson(emcPath + "/calls", s.alice(), replacementCall(s.washers()));
      assertEquals(409, early.statusCode(), early.body());
      assertTrue(early.body().contains("emc:help.open"), early.body());

      // two pledges: an advance from the dryers, knowledge from the owner
      HttpResponse<String> advance =
          node.postJson(
              emcPath + "/help/case-1/pledges",
              s.carol(),
              "{\"pledgeId\":\"adv-1\",\"helperMeId\":\"" + s.dryers() + "\",\"kind\":\"ADVANCE\",\"description\":\"parts for two months\",\"amountMinor\":\"50001\"}");
      assertEquals(201, advance.statusCode(), advance.body());
      assertEquals(200, node.postJson(emcPath + "/help/case-1/pledges", s.carol(), "{\"pledgeId\":\"adv-1\",\"helperMeId\":\"" + s.dryers() + "\",\"kind\":\"ADVANCE\",\"description\":\"parts for two months\",\"amountMinor\":\"50001\"}").statusCode(), "a repeat");
      HttpResponse<String> knowledge =
          node.postJson(
              emcPath + "/help/case-1/pledges",
              s.alice(),
              "{\"pledgeId\":\"know-1\",\"helperMeId\":\"" + s.laundry() + "\",\"kind\":\"KNOWLEDGE\",\"description\":\"how the dorms book washers\"}");
      assertEquals(201, knowledge.statusCode(), knowledge.body());
      assertEquals(403, node.postJson(emcPath + "/help/case-1/pledges/adv-1/accept", s.carol(), "{}").statusCode(), "only the helped member answers");
      HttpResponse<String> bad = node.postJson(emcPath + "/help/case-1/pledges", s.carol(), "{\"helperMeId\":\"" + s.dryers() + "\",\"kind\":\"ADVANCE\",\"description\":\"x\"}");
      assertEquals(400, bad.statusCode(), bad.body());
      awaitPush(ws, pushed, "emc.help-pledged");

      // the helped member accepts the advance over HTTP and the knowledge over the WebSocket
      ok(node.postJson(emcPath + "/help/case-1/pledges/adv-1/accept", s.bob(), "{}"));
      ws.sendJson(
          ClientFrame.newBuilder()
              .setRequestId("answer")
              .setAnswerPledge(AnswerPledgeRequest.newBuilder().setEmcId(s.emcId()).setCaseId("case-1").setPledgeId("know-1").setAccept(true))
              .build());
      Response answered = response(ws, pushed, "answer");
      assertFalse(answered.hasError(), answered.toString());
      assertEquals(Pledge.Status.ACCEPTED, pledge(answered.getEmc(), "know-1").getStatus());

      // both are delivered: the advance moves 50 001 from the dryers to the washers
      HttpResponse<String> notTheirs = node.postJson(emcPath + "/help/case-1/leave", s.alice(), "{}");
      assertEquals(403, notTheirs.statusCode(), "only the helped member agrees to leave: " + notTheirs.body());
      TestNode.await(Duration.ofSeconds(15), "the dryers hold what they advance", () -> balance(node, s.carol(), s.dryers()) == 50_001);
      ok(node.postJson(emcPath + "/help/case-1/pledges/adv-1/deliver", s.carol(), "{}"));
      ok(node.postJson(emcPath + "/help/case-1/pledges/know-1/deliver", s.alice(), "{}"));
      awaitPush(ws, pushed, "emc.help-delivered");
      TestNode.await(Duration.ofSeconds(15), "the advance reaches both ledgers", () -> balance(node, s.bob(), s.washers()) == washers0 + 50_001 && balance(node, s.carol(), s.dryers()) == 0);
      booksBalanced(node, admin);

      // revenue of the next month: the washers' part, 30 000, all goes to repay
      YearMonth next = s.month().plusMonths(1);
      Revenue first = revenue(node, s, "r-1", 100_001, next);
      assertEquals(30_000, part(first, s.washers()));
      Emc afterFirst = new EmcStories(node).emc(s.alice(), s.emcId());
      assertEquals(30_000, pledge(afterFirst, "adv-1").getRepaidMinor());
      assertEquals(20_001, afterFirst.getHelpCases(0).getOutstandingMinor());
      awaitPush(ws, pushed, "emc.advance-repaid");
      booksBalanced(node, admin);

      // that month closes short again: the help period is over, the case fails
      Emc failed = ok(node.postJson(emcPath + "/periods/" + next + "/close", s.alice(), "{}"));
      assertEquals(HelpCase.Status.FAILED, failed.getHelpCases(0).getStatus());
      awaitPush(ws, pushed, "emc.help-case-failed");

      // the month after: the rest, exactly 20 001, and not a minor unit more
      YearMonth third = next.plusMonths(1);
      revenue(node, s, "r-2", 100_000, third);
      booksBalanced(node, admin);
      revenue(node, s, "r-3", 100_000, third);
      Emc repaid = new EmcStories(node).emc(s.alice(), s.emcId());
      assertEquals(50_001, pledge(repaid, "adv-1").getRepaidMinor());
      assertEquals(0, repaid.getHelpCases(0).getOutstandingMinor());
      booksBalanced(node, admin);
      // washers: +50 001 advanced, 3 × 30 000 earned, 50 001 repaid; dryers: the mirror, plus 3 parts of 20 %
      TestNode.await(Duration.ofSeconds(15), "every credit reached the ledgers", () -> balance(node, s.bob(), s.washers()) == washers0 + 90_000);
      assertEquals(50_001 - 50_001 + 20_000 + 20_000 + 20_000 + 50_001, balance(node, s.carol(), s.dryers()));

      // statements show the repayments in the months of the credits they came from
      MeStatement nextMonth = statement(node, s.bob(), s.washers(), next);
      assertEquals(30_000, nextMonth.getEmcs(0).getEarnedMinor());
      assertEquals(-30_000, nextMonth.getEmcs(0).getRepaymentsMinor());
      MeStatement thirdMonth = statement(node, s.carol(), s.dryers(), third);
      assertEquals(20_001, thirdMonth.getEmcs(0).getRepaymentsMinor());
      assertEquals(40_000, thirdMonth.getEmcs(0).getEarnedMinor());

      // the record of help: profiles, and the rating of the helper
      TestNode.await(
          Duration.ofSeconds(15),
          "the case's steps reach the MEs",
          () -> me(node, s.bob(), s.washers()).getHelp().getCasesFailed() == 1 && me(node, s.carol(), s.dryers()).getHelp().getDeliveredGiven() == 1);
      Me washers = me(node, s.bob(), s.washers());
      assertEquals(2, washers.getHelp().getPledgesReceived());
      assertEquals(2, washers.getHelp().getDeliveredReceived());
      assertEquals(1, washers.getHelp().getCasesOpened());
      Me dryers = me(node, s.carol(), s.dryers());
      assertEquals(1, dryers.getHelp().getPledgesGiven());
      // two targets met, none missed, one help delivered (half a target): round(1000 × 3.5 / 4.5)
      assertEquals(2, dryers.getTargetsMet());
      assertEquals(778, dryers.getRating());

      // now the owner may open a replacement round for the seat
      String dave = node.token("dave");
      String fixers = new EmcStories(node).registerMe(dave, "Fast Fixers", "washers");
      HttpResponse<String> posted = node.postJson(emcPath + "/calls", s.alice(), replacementCall(s.washers()));
      assertEquals(201, posted.statusCode(), posted.body());
      Round round = EmcStories.parse(posted, Round.newBuilder()).build();
      HttpResponse<String> bid =
          node.postJson(
              "/v1/rounds/" + round.getRoundId() + "/bids",
              dave,
              "{\"bidId\":\"f1\",\"meId\":\"" + fixers + "\",\"askShareBps\":2800,\"plan\":\"new drums\"}");
      assertEquals(200, bid.statusCode(), bid.body());
      String invitationId = "award-" + round.getRoundId();
      TestNode.await(Duration.ofSeconds(30), "the round awards itself", () -> node.get(emcPath, dave).body().contains(invitationId));
      Emc replaced = ok(node.postJson(emcPath + "/invitations/" + invitationId + "/accept", dave, "{}"));
      assertTrue(replaced.getMembersList().stream().noneMatch(m -> m.getMeId().equals(s.washers())), "the old member left");
      assertTrue(replaced.getMembersList().stream().anyMatch(m -> m.getMeId().equals(fixers)));
      assertEquals(HelpCase.Status.FAILED, replaced.getHelpCases(0).getStatus(), "the case stays on record");
      booksBalanced(node, admin);
    }
  }

  @Test
  void aMemberThatRecoversKeepsItsSeat() throws Exception {
    Setup s;
    try (TestNode node = TestNode.h2(dataDir)) {
      s = setUp(node);
    }
    try (TestNode node = TestNode.h2(dataDir, later())) {
      String admin = node.token("ops", "admin");
      String emcPath = "/v1/emcs/" + s.emcId();
      ok(node.postJson(emcPath + "/periods/" + s.month() + "/close", s.alice(), "{}"));
      HttpResponse<String> pledged =
          node.postJson(
              emcPath + "/help/case-1/pledges",
              s.carol(),
              "{\"pledgeId\":\"staff-1\",\"helperMeId\":\"" + s.dryers() + "\",\"kind\":\"STAFF\",\"description\":\"a technician for a week\"}");
      assertEquals(201, pledged.statusCode(), pledged.body());
      ok(node.postJson(emcPath + "/help/case-1/pledges/staff-1/accept", s.bob(), "{}"));
      ok(node.postJson(emcPath + "/help/case-1/pledges/staff-1/deliver", s.carol(), "{}"));
      // an advance is paid from the helper's balance: more than it holds is refused and nothing is stored
      assertEquals(
          201,
          node.postJson(
                  emcPath + "/help/case-1/pledges",
                  s.alice(),
                  "{\"pledgeId\":\"adv-9\",\"helperMeId\":\"" + s.laundry() + "\",\"kind\":\"ADVANCE\",\"description\":\"more than it has\",\"amountMinor\":\"999999\"}")
              .statusCode());
      ok(node.postJson(emcPath + "/help/case-1/pledges/adv-9/accept", s.bob(), "{}"));
      HttpResponse<String> tooMuch = node.postJson(emcPath + "/help/case-1/pledges/adv-9/deliver", s.alice(), "{}");
      assertEquals(409, tooMuch.statusCode(), tooMuch.body());
      assertTrue(tooMuch.body().contains("emc:help.advance-exceeds-balance"), tooMuch.body());
      assertEquals(Pledge.Status.ACCEPTED, pledge(new EmcStories(node).emc(s.alice(), s.emcId()), "adv-9").getStatus(), "nothing stored");
      assertEquals(0, balance(node, s.alice(), s.laundry()));
      // the next month the washers earn 120 000 of their 100 000: the case recovers
      YearMonth next = s.month().plusMonths(1);
      revenue(node, s, "r-1", 400_000, next);
      Emc recovered = ok(node.postJson(emcPath + "/periods/" + next + "/close", s.alice(), "{}"));
      assertEquals(HelpCase.Status.RECOVERED, recovered.getHelpCases(0).getStatus());
      // and no replacement is allowed
      HttpResponse<String> call = node.postJson(emcPath + "/calls", s.alice(), replacementCall(s.washers()));
      assertEquals(409, call.statusCode(), call.body());
      assertTrue(call.body().contains("emc:member.not-at-risk"), call.body());
      // once closed, the case takes no more pledges
      HttpResponse<String> late =
          node.postJson(
              emcPath + "/help/case-1/pledges",
              s.alice(),
              "{\"helperMeId\":\"" + s.laundry() + "\",\"kind\":\"INTRODUCTION\",\"description\":\"too late\"}");
      assertEquals(409, late.statusCode(), late.body());
      assertTrue(late.body().contains("emc:help.case-closed"), late.body());
      TestNode.await(
          Duration.ofSeconds(15),
          "the recovery is on both records",
          () -> me(node, s.bob(), s.washers()).getHelp().getCasesRecovered() == 1 && me(node, s.carol(), s.dryers()).getHelp().getRecoveriesHelped() == 1);
      booksBalanced(node, admin);
    }
  }

  // ---- steps ----------------------------------------------------------------------------------

  private static String replacementCall(String replaces) {
    return "{\"closesInSeconds\":20,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"washers\","
        + "\"maxShareBps\":3000,\"mode\":\"SEALED\",\"autoAward\":true,\"replacesMeId\":\"" + replaces + "\","
        + "\"target\":{\"metric\":\"REVENUE\",\"amount\":\"100000\"}}}";
  }

  private static Revenue revenue(TestNode node, Setup s, String id, long amount, YearMonth month) throws Exception {
    HttpResponse<String> r =
        node.postJson(
            "/v1/emcs/" + s.emcId() + "/revenue",
            s.alice(),
            "{\"revenueId\":\"" + id + "\",\"amountMinor\":\"" + amount + "\",\"currency\":\"EUR\",\"source\":\"laundry-cycle\","
                + "\"earnedAt\":\"" + month.atDay(15).atTime(12, 0).toInstant(ZoneOffset.UTC) + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return EmcStories.parse(r, Revenue.newBuilder()).build();
  }

  private static long part(Revenue r, String meId) {
    return r.getPartsList().stream().filter(p -> p.getMeId().equals(meId)).findFirst().orElseThrow().getAmountMinor();
  }

  private static Emc ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return EmcStories.parse(r, Emc.newBuilder()).build();
  }

  private static Pledge pledge(Emc emc, String pledgeId) {
    return emc.getHelpCases(0).getPledgesList().stream().filter(p -> p.getPledgeId().equals(pledgeId)).findFirst().orElseThrow();
  }

  private static Me me(TestNode node, String token, String meId) throws Exception {
    return new EmcStories(node).me(token, meId);
  }

  private static long balance(TestNode node, String token, String meId) throws Exception {
    return me(node, token, meId).getBalancesList().stream().filter(b -> b.getCurrency().equals("EUR")).mapToLong(b -> b.getAmountMinor()).sum();
  }

  private static MeStatement statement(TestNode node, String token, String meId, YearMonth period) throws Exception {
    HttpResponse<String> r = node.get("/v1/mes/" + meId + "/statement?period=" + period, token);
    assertEquals(200, r.statusCode(), r.body());
    return EmcStories.parse(r, MeStatement.newBuilder()).build();
  }

  /** Every read model caught up, nothing differs: revenue = parts = ledger, every balance = its entries. */
  private static void booksBalanced(TestNode node, String admin) throws Exception {
    TestNode.await(
        Duration.ofSeconds(20),
        "the books are balanced",
        () -> EmcStories.parse(node.get("/v1/admin/books", admin), BooksReport.newBuilder()).build().getBalanced());
  }

  private static void subscribe(WsClient ws, String topic) throws Exception {
    ws.sendJson(ClientFrame.newBuilder().setRequestId(topic).setSubscribe(Subscribe.newBuilder().setTopic(topic)).build());
    Response r = ws.next().frame().getResponse();
    assertTrue(r.hasSubscribed(), r.toString());
  }

  /** Reads pushes until one named {@code event} came (or had come). */
  private static void awaitPush(WsClient ws, List<String> seen, String event) throws Exception {
    while (!seen.contains(event)) {
      var frame = ws.next().frame();
      if (frame.hasPush()) {
        Push push = frame.getPush();
        seen.add(push.getEvent());
      }
    }
  }

  /** Reads frames until the response to {@code requestId}, keeping the pushes met on the way. */
  private static Response response(WsClient ws, List<String> seen, String requestId) throws Exception {
    while (true) {
      var frame = ws.next().frame();
      if (frame.hasPush()) {
        seen.add(frame.getPush().getEvent());
      } else if (frame.getResponse().getRequestId().equals(requestId)) {
        return frame.getResponse();
      }
    }
  }
}
