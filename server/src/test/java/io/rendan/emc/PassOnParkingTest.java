package io.rendan.emc;

import static io.rendan.emc.EmcStories.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.Emc;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A part of revenue that the member EMC refuses to take as passed on is never
 * dropped: it is parked, tried again with backoff, listed by the books check
 * until it is passed on, and passed on once when the EMC takes it.
 */
@Tag("node")
class PassOnParkingTest {
  @TempDir Path dataDir;

  @Test
  void aRefusedPassOnIsParkedRetriedAndListedByTheBooks() throws Exception {
    Map<String, Object> settings = Map.of("rendan.emc.emc-members", true, "rendan.emc.pass-on-retry-interval", "1s");
    try (TestNode node = TestNode.h2(dataDir, settings)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String admin = node.token("ops", "admin");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry"), "EXPERIENCE").getEmcId();
      // the co-op keeps its books in dollars: a part in euros is refused there (emc:currency.mismatch)
      HttpResponse<String> started =
          node.postJson(
              "/v1/emcs",
              bob,
              "{\"name\":\"Washer Co-op\",\"userGroup\":\"co-op\",\"ownerMeId\":\"" + story.registerMe(bob, "Washer Co-op")
                  + "\",\"ownerSide\":\"SOLUTION\",\"currency\":\"USD\"}");
      assertEquals(201, started.statusCode(), started.body());
      String coop = parse(started, Emc.newBuilder()).getEmcId();
      assertEquals(200, story.accept(bob, outer, NestedEmcTest.inviteEmc(node, alice, outer, coop, 3_000).getInvitationId()).statusCode());

      assertEquals(200, node.postJson("/v1/emcs/" + outer + "/revenue", alice, RevenueTest.revenue("r-1", 10_000, "EUR")).statusCode());
      String atCoop = RevenuePassOn.passedOnId(outer, "r-1", coop);
      TestNode.await(Duration.ofSeconds(20), "the refused part is parked", () -> parked(node, atCoop) == 1);
      assertEquals(
          1,
          node.queryLong(
              "SELECT COUNT(*) FROM " + PassOnParking.TABLE + " WHERE inner_revenue_id = '" + atCoop + "' AND seat_emc_id = '" + coop
                  + "' AND amount_minor = 3000 AND refusal = '" + EmcCodes.CURRENCY_MISMATCH + "'"));
      // tried again with backoff: the refusal holds, the row stays, its attempts grow
      TestNode.await(
          Duration.ofSeconds(20),
          "the parked part is tried again",
          () -> node.queryLong("SELECT attempts FROM " + PassOnParking.TABLE + " WHERE inner_revenue_id = '" + atCoop + "'") >= 2);
      assertEquals(1, parked(node, atCoop));
      // the books check lists it, and is not balanced while it waits
      BooksReport books = books(node, admin);
      BooksReport.Difference waiting =
          books.getDifferencesList().stream().filter(d -> d.getWhat().equals("passed-on-parked")).findFirst().orElseThrow();
      assertEquals(coop, waiting.getMeId());
      assertEquals("EUR", waiting.getCurrency());
      assertEquals(3_000, waiting.getExpectedMinor());
      assertFalse(books.getBalanced());
      assertEquals(0, node.queryLong("SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + coop + "'"), "nothing recorded there");
    }
  }

  @Test
  void aParkedPartIsPassedOnOnceWhenTheEmcTakesIt() throws Exception {
    Map<String, Object> settings = Map.of("rendan.emc.emc-members", true, "rendan.emc.pass-on-retry-interval", "1s");
    try (TestNode node = TestNode.h2(dataDir, settings)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String admin = node.token("ops", "admin");
      String outer = story.startEmc(alice, story.registerMe(alice, "Dorm Laundry"), "EXPERIENCE").getEmcId();
      String coopMe = story.registerMe(bob, "Washer Co-op");
      String coop = story.startEmc(bob, coopMe, "SOLUTION").getEmcId();
      assertEquals(200, story.accept(bob, outer, NestedEmcTest.inviteEmc(node, alice, outer, coop, 3_000).getInvitationId()).statusCode());
      assertEquals(200, node.postJson("/v1/emcs/" + outer + "/revenue", alice, RevenueTest.revenue("r-1", 10_000, "EUR")).statusCode());
      TestNode.await(Duration.ofSeconds(20), "passed on", () -> balance(story, bob, coopMe) == 3_000);

      // A part parked by an earlier refusal that no longer holds (as a refusal of r-2 would leave it), due now.
      String atCoop = RevenuePassOn.passedOnId(outer, "r-2", coop);
      try (Connection c = node.connection();
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO " + PassOnParking.TABLE + " (inner_revenue_id, seat_emc_id, from_emc_id, from_revenue_id, amount_minor,"
                      + " currency, source, earned_at, units, refund_of, refusal, attempts, parked_at, next_attempt_at)"
                      + " VALUES (?, ?, ?, 'r-2', 700, 'EUR', ?, ?, 1, NULL, 'emc:not-owner', 1, ?, ?)")) {
        long now = Instant.now().toEpochMilli();
        ps.setString(1, atCoop);
        ps.setString(2, coop);
        ps.setString(3, outer);
        ps.setString(4, "emc " + outer + " revenue r-2");
        ps.setLong(5, now);
        ps.setLong(6, now);
        ps.setLong(7, now);
        ps.executeUpdate();
        if (!c.getAutoCommit()) {
          c.commit();
        }
      }
      TestNode.await(Duration.ofSeconds(20), "the parked part is passed on and unparked", () -> parked(node, atCoop) == 0);
      TestNode.await(Duration.ofSeconds(20), "credited once", () -> balance(story, bob, coopMe) == 3_700);
      TestNode.await(
          Duration.ofSeconds(20),
          "the passed-on revenue in the ledger's read model",
          () -> node.queryLong("SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + coop + "' AND revenue_id = '" + atCoop + "'") == 1);
      assertTrue(books(node, admin).getDifferencesList().stream().noneMatch(d -> d.getWhat().equals("passed-on-parked")));
    }
  }

  private static long balance(EmcStories story, String token, String meId) throws Exception {
    var me = story.me(token, meId);
    return me.getBalancesCount() == 0 ? 0 : me.getBalances(0).getAmountMinor();
  }

  private static long parked(TestNode node, String innerRevenueId) throws Exception {
    return node.queryLong("SELECT COUNT(*) FROM " + PassOnParking.TABLE + " WHERE inner_revenue_id = '" + innerRevenueId + "'");
  }

  private static BooksReport books(TestNode node, String admin) throws Exception {
    HttpResponse<String> r = node.get("/v1/admin/books", admin);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, BooksReport.newBuilder()).build();
  }
}
