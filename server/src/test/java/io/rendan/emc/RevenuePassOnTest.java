package io.rendan.emc;

import static io.rendan.emc.EmcStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.LedgerEntry;
import io.rendan.protocol.api.v1.MeStatement;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revenue credited to a seat held by an EMC is split again inside it, once per
 * revenue id at every level, and a node that dies between the outer split and
 * the inner one loses nothing and counts nothing twice; statements show both
 * scales and the books cover every level.
 */
@Tag("node")
class RevenuePassOnTest {
  private static final Map<String, Object> EMC_MEMBERS = Map.of("rendan.emc.emc-members", true);

  @TempDir Path dataDir;

  /** outer (laundry) > middle (coop, member dave) > inner (repair, member erin). */
  private record ThreeLevels(
      String alice, String bob, String carol, String dave, String erin,
      String laundry, String coop, String repair, String daveMe, String erinMe,
      String outer, String middle, String inner) {}

  private static ThreeLevels threeLevels(TestNode node) throws Exception {
    EmcStories story = new EmcStories(node);
    String alice = node.token("alice");
    String bob = node.token("bob");
    String carol = node.token("carol");
    String dave = node.token("dave");
    String erin = node.token("erin");
    String laundry = story.registerMe(alice, "Dorm Laundry");
    String coop = story.registerMe(bob, "Washer Co-op");
    String repair = story.registerMe(carol, "Repair Circle");
    String daveMe = story.registerMe(dave, "Dave's Parts");
    String erinMe = story.registerMe(erin, "Erin Fixes");
    String outer = story.startEmc(alice, laundry, "EXPERIENCE").getEmcId();
    String middle = story.startEmc(bob, coop, "SOLUTION").getEmcId();
    String inner = story.startEmc(carol, repair, "SOLUTION").getEmcId();
    assertEquals(200, story.accept(bob, outer, NestedEmcTest.inviteEmc(node, alice, outer, middle, 3_000).getInvitationId()).statusCode());
    assertEquals(200, story.accept(carol, middle, NestedEmcTest.inviteEmc(node, bob, middle, inner, 5_000).getInvitationId()).statusCode());
    assertEquals(200, story.accept(dave, middle, story.invite(bob, middle, daveMe, "SOLUTION", 2_000, "REVENUE", 1).getInvitationId()).statusCode());
    assertEquals(200, story.accept(erin, inner, story.invite(carol, inner, erinMe, "SOLUTION", 1_000, "REVENUE", 1).getInvitationId()).statusCode());
    return new ThreeLevels(alice, bob, carol, dave, erin, laundry, coop, repair, daveMe, erinMe, outer, middle, inner);
  }

  @Test
  void revenueToAnEmcSeatIsSplitAgainAtEveryLevelAndTheBooksCoverThemAll() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, EMC_MEMBERS)) {
      EmcStories story = new EmcStories(node);
      ThreeLevels t = threeLevels(node);
      String admin = node.token("ops", "admin");
      assertEquals(200, node.postJson("/v1/emcs/" + t.outer() + "/revenue", t.alice(), RevenueTest.revenue("r-1", 10_001, "EUR")).statusCode());

      // outer: 30 % of 10 001 to the middle EMC's seat (3 000, the odd unit to the owner by the remainder rule)
      String atMiddle = RevenuePassOn.passedOnId(t.outer(), "r-1", t.middle());
      String atInner = RevenuePassOn.passedOnId(t.middle(), atMiddle, t.inner());
      List<RevenueSplit.Part> outerParts =
          RevenueSplit.split(10_001, List.of(new RevenueSplit.Party(t.middle(), 3_000, 1, false, true), new RevenueSplit.Party(t.laundry(), 7_000, 0, true)));
      long toMiddle = part(outerParts, t.middle());
      // middle: its own contracts split the 3 000 again; inner: the same with its part
      List<RevenueSplit.Part> middleParts =
          RevenueSplit.split(
              toMiddle,
              List.of(
                  new RevenueSplit.Party(t.inner(), 5_000, 1, false, true),
                  new RevenueSplit.Party(t.daveMe(), 2_000, 1, false),
                  new RevenueSplit.Party(t.coop(), 3_000, 0, true)));
      long toInner = part(middleParts, t.inner());
      List<RevenueSplit.Part> innerParts =
          RevenueSplit.split(toInner, List.of(new RevenueSplit.Party(t.erinMe(), 1_000, 1, false), new RevenueSplit.Party(t.repair(), 9_000, 0, true)));
      TestNode.await(Duration.ofSeconds(20), "passed on to the innermost MEs", () -> balance(story, t.erin(), t.erinMe()) != 0);
      assertEquals(part(outerParts, t.laundry()), balance(story, t.alice(), t.laundry()));
      assertEquals(part(middleParts, t.daveMe()), balance(story, t.dave(), t.daveMe()));
      assertEquals(part(middleParts, t.coop()), balance(story, t.bob(), t.coop()));
      assertEquals(part(innerParts, t.erinMe()), balance(story, t.erin(), t.erinMe()));
      assertEquals(part(innerParts, t.repair()), balance(story, t.carol(), t.repair()));
      assertEquals(10_001, part(outerParts, t.laundry()) + part(middleParts, t.daveMe()) + part(middleParts, t.coop()) + part(innerParts, t.erinMe()) + part(innerParts, t.repair()));
      // Recorded once at each level, under the derived ids.
      assertEquals(1, revenueEvents(node, t.middle()));
      assertEquals(1, revenueEvents(node, t.inner()));
      // rendan_revenue is the ledger's read model: it follows the journal within about a second
      TestNode.await(
          Duration.ofSeconds(20),
          "the inner revenue in the ledger's read model",
          () -> node.queryLong("SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + t.inner() + "' AND revenue_id = '" + atInner + "'") > 0);
      assertEquals(1, node.queryLong("SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + t.inner() + "' AND revenue_id = '" + atInner + "'"));

      // A refund at the top flows back down through the same splits.
      assertEquals(
          200,
          node.postJson(
                  "/v1/emcs/" + t.outer() + "/revenue",
                  t.alice(),
                  "{\"revenueId\":\"r-1-back\",\"amountMinor\":\"-10001\",\"currency\":\"EUR\",\"source\":\"refund\",\"refundOf\":\"r-1\"}")
              .statusCode());
      TestNode.await(Duration.ofSeconds(20), "the refund reaches the innermost MEs", () -> balance(story, t.erin(), t.erinMe()) == 0);
      assertEquals(0, balance(story, t.carol(), t.repair()));
      assertEquals(0, balance(story, t.dave(), t.daveMe()));

      // Statements: the outer EMC sees one member for the middle EMC; the inner members see where their share came from.
      String month = YearMonth.now(ZoneOffset.UTC).toString();
      // the statements are read models: they follow the entities within about a second
      TestNode.await(
          Duration.ofSeconds(20),
          "the refund in erin's statement",
          () -> meStatement(node, t.erin(), t.erinMe(), month).getEmcsList().stream().anyMatch(f -> f.getPassedFromCount() == 2)
              && RevenueTest.ledger(node, t.dave(), t.daveMe()).getEntriesCount() == 2
              && emcStatement(node, t.bob(), t.middle(), month).getRevenueCount() == 2
              && emcStatement(node, t.alice(), t.outer(), month).getRevenueCount() == 2);
      EmcStatement outerStatement = emcStatement(node, t.alice(), t.outer(), month);
      EmcStatement.Share seat = outerStatement.getSharesList().stream().filter(s -> s.getMeId().equals(t.middle())).findFirst().orElseThrow();
      assertEquals("emc", seat.getMemberKind());
      assertEquals(0, seat.getAmountMinor(), "revenue and its refund");
      assertEquals(2, outerStatement.getSharesCount(), "the owner and the middle EMC: none of the middle EMC's members");
      assertEquals(0, outerStatement.getPassedOnMinor());
      EmcStatement middleStatement = emcStatement(node, t.bob(), t.middle(), month);
      assertEquals(2, middleStatement.getRevenueCount());
      assertEquals(0, middleStatement.getPassedOnMinor());
      assertEquals("emc", middleStatement.getSharesList().stream().filter(s -> s.getMeId().equals(t.inner())).findFirst().orElseThrow().getMemberKind());
      MeStatement erins = meStatement(node, t.erin(), t.erinMe(), month);
      MeStatement.FromEmc fromInner = erins.getEmcs(0);
      assertEquals(t.inner(), fromInner.getEmcId());
      assertEquals(2, fromInner.getPassedFromCount(), "the revenue and its refund, each from the middle EMC");
      assertTrue(fromInner.getPassedFromList().stream().allMatch(p -> p.getEmcId().equals(t.middle())));
      assertEquals(part(innerParts, t.erinMe()), fromInner.getPassedFrom(0).getAmountMinor());
      assertEquals(atMiddle, fromInner.getPassedFrom(0).getRevenueId());
      assertFalse(fromInner.getPassedFromTruncated());
      LedgerEntry davesFirst = RevenueTest.ledger(node, t.dave(), t.daveMe()).getEntriesList().stream()
          .filter(e -> e.getAmountMinor() > 0).findFirst().orElseThrow();
      assertEquals(t.outer(), davesFirst.getPassedFromEmcId());
      assertEquals("r-1", davesFirst.getPassedFromRevenueId());

      // The books: revenue counted once, where it was first recorded, whatever it passed through.
      assertEquals(
          200, node.postJson("/v1/emcs/" + t.outer() + "/revenue", t.alice(), RevenueTest.revenue("r-2", 777, "EUR")).statusCode());
      TestNode.await(Duration.ofSeconds(20), "the books balance", () -> RevenueCrashAndBooksTest.books(node, admin).getBalanced()
          && RevenueCrashAndBooksTest.books(node, admin).getTotals(0).getCreditsMinor() == 777);
      BooksReport.Total total = RevenueCrashAndBooksTest.books(node, admin).getTotals(0);
      assertEquals(777, total.getRevenueMinor());
      assertEquals(777, total.getPartsMinor());
      assertEquals(total.getSeatPartsMinor(), total.getPassedOnMinor());
      assertTrue(total.getPassedOnMinor() > 0);
    }
  }

  @Test
  void aCrashBetweenTheOuterSplitAndTheInnerOneLosesNothingAndCountsNothingTwice() throws Exception {
    String alice;
    String bob;
    String dave;
    String coop;
    String daveMe;
    String outer;
    String middle;
    try (TestNode node = TestNode.h2(dataDir, EMC_MEMBERS)) {
      EmcStories story = new EmcStories(node);
      alice = node.token("alice");
      bob = node.token("bob");
      dave = node.token("dave");
      String laundry = story.registerMe(alice, "Dorm Laundry");
      coop = story.registerMe(bob, "Washer Co-op");
      daveMe = story.registerMe(dave, "Dave's Parts");
      outer = story.startEmc(alice, laundry, "EXPERIENCE").getEmcId();
      middle = story.startEmc(bob, coop, "SOLUTION").getEmcId();
      assertEquals(200, story.accept(bob, outer, NestedEmcTest.inviteEmc(node, alice, outer, middle, 4_000).getInvitationId()).statusCode());
      assertEquals(200, story.accept(dave, middle, story.invite(bob, middle, daveMe, "SOLUTION", 2_500, "REVENUE", 1).getInvitationId()).statusCode());
      for (int i = 1; i <= 2; i++) {
        assertEquals(200, node.postJson("/v1/emcs/" + outer + "/revenue", alice, RevenueTest.revenue("r-" + i, 1_000 * i, "EUR")).statusCode());
      }
      String d = daveMe;
      String b = bob;
      String c = coop;
      TestNode.await(Duration.ofSeconds(20), "both passed on and credited", () -> balance(story, dave, d) == 300 && balance(story, b, c) == 900);
    }

    // The crash: the outer EMC stored r-2's split, the middle EMC never stored its own (nor
    // did anything that follows from it happen), and the pass-on stored no progress at all.
    String lost = RevenuePassOn.passedOnId(outer, "r-2", middle);
    try (Connection c = TestNode.connection(configOf(dataDir))) {
      c.setAutoCommit(true);
      deleteLast(c, "Emc|" + middle, "emc.revenue-shared");
      long daveSeq = deleteLast(c, "Me|" + daveMe, "me.ledger-credited");
      long coopSeq = deleteLast(c, "Me|" + coop, "me.ledger-credited");
      update(c, "DELETE FROM rendan_ledger WHERE (me_id = ? AND seq = ?) OR (me_id = ? AND seq = ?)", daveMe, daveSeq, coop, coopSeq);
      update(c, "DELETE FROM rendan_revenue_part WHERE emc_id = ? AND revenue_id = ?", middle, lost);
      update(c, "DELETE FROM rendan_revenue WHERE emc_id = ? AND revenue_id = ?", middle, lost);
      assertTrue(update(c, "DELETE FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?", RevenuePassOn.NAME) > 0);
    }

    try (TestNode node = TestNode.h2(dataDir, EMC_MEMBERS)) {
      EmcStories story = new EmcStories(node);
      String admin = node.token("ops", "admin");
      String d = daveMe;
      // 40 % of 3 000 reaches the middle EMC; dave holds 25 % of it, the co-op the rest.
      TestNode.await(Duration.ofSeconds(30), "the lost split is made again", () -> balance(story, dave, d) == 300);
      TestNode.await(Duration.ofSeconds(20), "the books balance", () -> RevenueCrashAndBooksTest.books(node, admin).getBalanced());
      assertEquals(900, balance(story, bob, coop));
      // r-1 was passed on again from the start and counted once; r-2 once.
      assertEquals(2, revenueEvents(node, middle));
      assertEquals(2, node.queryLong("SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + middle + "'"));
      assertEquals(2, node.queryLong(
          "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Me|" + daveMe + "' AND \"event_ser_manifest\" = 'me.ledger-credited'"));
      BooksReport.Total total = RevenueCrashAndBooksTest.books(node, admin).getTotals(0);
      assertEquals(3_000, total.getRevenueMinor());
      assertEquals(3_000, total.getCreditsMinor());
      assertEquals(1_200, total.getPassedOnMinor());
    }
  }

  private static long part(List<RevenueSplit.Part> parts, String id) {
    return parts.stream().filter(p -> p.meId().equals(id)).findFirst().orElseThrow().amountMinor();
  }

  private static long balance(EmcStories story, String token, String meId) throws Exception {
    var me = story.me(token, meId);
    return me.getBalancesCount() == 0 ? 0 : me.getBalances(0).getAmountMinor();
  }

  private static long revenueEvents(TestNode node, String emcId) throws Exception {
    return node.queryLong(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Emc|" + emcId + "' AND \"event_ser_manifest\" = 'emc.revenue-shared'");
  }

  private static EmcStatement emcStatement(TestNode node, String token, String emcId, String month) throws Exception {
    HttpResponse<String> r = node.get("/v1/emcs/" + emcId + "/statement?period=" + month, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, EmcStatement.newBuilder()).build();
  }

  private static MeStatement meStatement(TestNode node, String token, String meId, String month) throws Exception {
    HttpResponse<String> r = node.get("/v1/mes/" + meId + "/statement?period=" + month, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, MeStatement.newBuilder()).build();
  }

  /** Deletes the last event of an entity, which must be of the given manifest; its sequence number. */
  private static long deleteLast(Connection c, String persistenceId, String manifest) throws Exception {
    long seq;
    try (PreparedStatement last =
        c.prepareStatement(
            "SELECT \"sequence_number\", \"event_ser_manifest\" FROM \"event_journal\" WHERE \"persistence_id\" = ? "
                + "ORDER BY \"sequence_number\" DESC LIMIT 1")) {
      last.setString(1, persistenceId);
      try (ResultSet rs = last.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(manifest, rs.getString(2), persistenceId);
        seq = rs.getLong(1);
      }
    }
    update(c, "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?", persistenceId, seq);
    return seq;
  }

  private static int update(Connection c, String sql, Object... args) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  private static com.typesafe.config.Config configOf(Path dataDir) {
    return io.rendan.RendanNode.loadConfig(
        com.typesafe.config.ConfigFactory.parseMap(Map.of("rendan.data-dir", dataDir.toString(), "rendan.db.url", "")));
  }
}
