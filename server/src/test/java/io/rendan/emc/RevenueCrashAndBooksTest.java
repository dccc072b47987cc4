package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.ledger.LedgerReadModel;
import io.rendan.protocol.api.v1.BooksReport;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Money under stress: a crash between the EMC's split and the MEs' credits, and
 * thousands of revenues while members come and go; the books always balance.
 */
@Tag("node")
class RevenueCrashAndBooksTest {
  @TempDir Path dataDir;

  @Test
  void afterACrashBetweenSplitAndCreditEveryCreditIsThereOnce() throws Exception {
    String alice;
    String bob;
    String laundry;
    String washers;
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      alice = node.token("alice");
      bob = node.token("bob");
      laundry = story.registerMe(alice, "Dorm Laundry");
      washers = story.registerMe(bob, "Washer Works");
      String emcId = story.startEmc(alice, laundry, "EXPERIENCE").getEmcId();
      var invitation = story.invite(alice, emcId, washers, "SOLUTION", 2_500, "REVENUE", 1);
      assertEquals(200, story.accept(bob, emcId, invitation.getInvitationId()).statusCode());
      for (int i = 1; i <= 3; i++) {
        assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-" + i, 1_000 * i, "EUR")).statusCode());
      }
      String me = washers;
      TestNode.await(Duration.ofSeconds(15), "credits delivered", () -> RevenueTest.ledger(node, bob, me).getEntriesCount() == 3);
    }

    // The crash: the washers' last credit was never stored (nor projected), and
    // the delivery never stored its progress.
    try (Connection c = TestNode.connection(configOf(dataDir))) {
      c.setAutoCommit(true);
      long seq;
      try (PreparedStatement last =
          c.prepareStatement(
              "SELECT \"sequence_number\", \"event_ser_manifest\" FROM \"event_journal\" WHERE \"persistence_id\" = ? "
                  + "ORDER BY \"sequence_number\" DESC LIMIT 1")) {
        last.setString(1, "Me|" + washers);
        try (ResultSet rs = last.executeQuery()) {
          assertTrue(rs.next());
          assertEquals("me.ledger-credited", rs.getString(2));
          seq = rs.getLong(1);
        }
      }
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
        delete.setString(1, "Me|" + washers);
        delete.setLong(2, seq);
        assertEquals(1, delete.executeUpdate());
      }
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM rendan_ledger WHERE me_id = ? AND seq = ?")) {
        delete.setString(1, washers);
        delete.setLong(2, seq);
        assertEquals(1, delete.executeUpdate());
      }
      try (PreparedStatement offsets =
          c.prepareStatement("DELETE FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?")) {
        offsets.setString(1, MembershipDelivery.NAME);
        assertTrue(offsets.executeUpdate() > 0);
      }
    }

    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String me = washers;
      TestNode.await(Duration.ofSeconds(20), "the lost credit is delivered again", () -> RevenueTest.ledger(node, bob, me).getEntriesCount() == 3);
      // 25 % of 1 000 + 2 000 + 3 000, each once.
      assertEquals(1_500, story.me(bob, washers).getBalances(0).getAmountMinor());
      assertEquals(3, credits(node, washers));
      assertEquals(3, credits(node, laundry));
      String admin = node.token("ops", "admin");
      TestNode.await(Duration.ofSeconds(15), "the books balance", () -> books(node, admin).getBalanced());
    }
  }

  @Test
  void theBooksBalanceAfterThousandsOfRevenuesWhileMembersComeAndGo() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String admin = node.token("ops", "admin");
      String laundry = story.registerMe(alice, "Dorm Laundry");
      List<String> partners = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        partners.add(story.registerMe(alice, "Partner " + i));
      }
      List<String> emcs = List.of(story.startEmc(alice, laundry, "EXPERIENCE").getEmcId(), story.startEmc(alice, laundry, "EXPERIENCE").getEmcId());
      int revenues = 2_000;
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(6);
      // Members join and leave the EMCs for as long as revenue flows.
      Future<Integer> churn =
          pool.submit(
              () -> {
                int changes = 0;
                int round = 0;
                while (running.get()) {
                  for (String emcId : emcs) {
                    String me = partners.get(round % partners.size());
                    HttpResponse<String> invited =
                        story.inviteResponse(alice, emcId, me, round % 2 == 0 ? "SOLUTION" : "EXPERIENCE", 1_111 + round % 7, "REVENUE", 1);
                    if (invited.statusCode() == 201) {
                      String invitationId = EmcStories.parse(invited, io.rendan.protocol.api.v1.Invitation.newBuilder()).getInvitationId();
                      if (story.accept(alice, emcId, invitationId).statusCode() == 200) {
                        changes++;
                      }
                    } else if (node.delete("/v1/emcs/" + emcId + "/members/" + me, alice).statusCode() == 200) {
                      changes++;
                    }
                  }
                  round++;
                }
                return changes;
              });
      List<Future<Integer>> senders = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        senders.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  for (int i = thread; i < revenues; i += 4) {
                    String emcId = emcs.get(i % 2);
                    HttpResponse<String> r =
                        node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-" + i, 1 + (i * 7_919L) % 100_003, "EUR"));
                    assertEquals(200, r.statusCode(), r.body());
                    ok++;
                  }
                  return ok;
                }));
      }
      int recorded = 0;
      for (Future<Integer> sender : senders) {
        recorded += sender.get();
      }
      running.set(false);
      int changes = churn.get();
      pool.shutdown();
      assertEquals(revenues, recorded);
      System.out.println("RevenueCrashAndBooksTest: " + recorded + " revenues, " + changes + " membership changes");
      assertTrue(changes > 0);
      TestNode.await(
          Duration.ofSeconds(120),
          "the books balance",
          () -> {
            BooksReport books = books(node, admin);
            return books.getBalanced() && books.getTotalsCount() == 1 && node.queryLong("SELECT COUNT(*) FROM " + "rendan_revenue") == revenues;
          });
      BooksReport books = books(node, admin);
      long expected = 0;
      for (int i = 0; i < revenues; i++) {
        expected += 1 + (i * 7_919L) % 100_003;
      }
      assertEquals(expected, books.getTotals(0).getRevenueMinor());
      assertEquals(expected, books.getTotals(0).getCreditsMinor());
      assertEquals(0, books.getDifferencesCount());
    }
  }

  static BooksReport books(TestNode node, String admin) throws Exception {
    HttpResponse<String> r = node.get("/v1/admin/books", admin);
    assertEquals(200, r.statusCode(), r.body());
    return EmcStories.parse(r, BooksReport.newBuilder()).build();
  }

  private static long credits(TestNode node, String meId) throws Exception {
    return node.queryLong(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Me|" + meId
            + "' AND \"event_ser_manifest\" = 'me.ledger-credited'");
  }

  private static com.typesafe.config.Config configOf(Path dataDir) {
    return io.rendan.RendanNode.loadConfig(
        com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of("rendan.data-dir", dataDir.toString(), "rendan.db.url", "")));
  }
}
