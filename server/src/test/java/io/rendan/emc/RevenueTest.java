package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.LedgerPage;
import io.rendan.protocol.api.v1.MeStatement;
import io.rendan.protocol.api.v1.Revenue;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revenue on a real node: split, credited once, ledgers, statements and the books. */
@Tag("postgres")
class RevenueTest {
  @TempDir Path dataDir;

  static String revenue(String id, long amount, String currency) {
    return "{\"revenueId\":\"" + id + "\",\"amountMinor\":\"" + amount + "\",\"currency\":\"" + currency
        + "\",\"source\":\"laundry-cycle\",\"units\":\"1\"}";
  }

  @Test
  void revenueIsSplitOnceCreditedOnceAndTheBooksBalance() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      revenueStory(node);
    }
  }

  /** The same on PostgreSQL, the production path: its read models and queries too. */
  @Test
  void onPostgresRevenueIsSplitOnceCreditedOnceAndTheBooksBalance() throws Exception {
    try (io.rendan.testkit.TestPostgres postgres = io.rendan.testkit.TestPostgres.start();
        TestNode node = TestNode.postgres(postgres.url(), "postgres", "postgres")) {
      revenueStory(node);
    }
  }

  private static void revenueStory(TestNode node) throws Exception {
    {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String bob = node.token("bob");
      String carol = node.token("carol");
      String admin = node.token("ops", "admin");
      String laundry = story.registerMe(alice, "Dorm Laundry");
      String washers = story.registerMe(bob, "Washer Works");
      String emcId = story.startEmc(alice, laundry, "EXPERIENCE").getEmcId();
      var invitation = story.invite(alice, emcId, washers, "SOLUTION", 3_000, "REVENUE", 1);
      assertEquals(200, story.accept(bob, emcId, invitation.getInvitationId()).statusCode());

      // The washer maker's operator watches its ME: the credit arrives live.
      io.rendan.ws.WsClient watching = io.rendan.ws.WsClient.connect(node.wsUri(), bob);
      watching.sendJson(
          io.rendan.protocol.api.v1.ClientFrame.newBuilder()
              .setRequestId("w")
              .setSubscribe(io.rendan.protocol.api.v1.Subscribe.newBuilder().setTopic("me/" + washers))
              .build());
      assertTrue(watching.next().frame().getResponse().hasSubscribed());

      // Twenty copies of one revenue at once: one split, the same answer to all.
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<HttpResponse<String>>> copies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        copies.add(pool.submit(() -> node.postJson("/v1/emcs/" + emcId + "/revenue", alice, revenue("r-1", 1_001, "EUR"))));
      }
      Set<String> answers = new HashSet<>();
      for (Future<HttpResponse<String>> copy : copies) {
        HttpResponse<String> r = copy.get();
        assertEquals(200, r.statusCode(), r.body());
        answers.add(r.body());
      }
      pool.shutdown();
      assertEquals(1, answers.size());
      Revenue split = EmcStories.parse(node.postJson("/v1/emcs/" + emcId + "/revenue", alice, revenue("r-1", 1_001, "EUR")), Revenue.newBuilder()).build();
      // 1 001 at 70 % / 30 %: 700.7 and 300.3 → 700 and 300, the cent left over to the larger remainder (the owner).
      assertEquals(List.of(laundry, washers).stream().sorted().toList(), split.getPartsList().stream().map(p -> p.getMeId()).toList());
      var ownerPart = split.getPartsList().stream().filter(p -> p.getMeId().equals(laundry)).findFirst().orElseThrow();
      var memberPart = split.getPartsList().stream().filter(p -> p.getMeId().equals(washers)).findFirst().orElseThrow();
      assertEquals(701, ownerPart.getAmountMinor());
      assertTrue(ownerPart.getOwner());
      assertEquals(300, memberPart.getAmountMinor());
      assertEquals(1, memberPart.getContractVersion());

      io.rendan.protocol.api.v1.Push credited = watching.next().frame().getPush();
      while (!credited.getEvent().equals("me.ledger-credited")) {
        credited = watching.next().frame().getPush();
      }
      assertEquals("me/" + washers, credited.getTopic());
      assertEquals(300, credited.getMe().getBalances(0).getAmountMinor(), "30 % of 1 001, rounded by the remainder rule");
      watching.close();
      HttpResponse<String> conflict = node.postJson("/v1/emcs/" + emcId + "/revenue", alice, revenue("r-1", 1_002, "EUR"));
      assertEquals(409, conflict.statusCode());
      assertTrue(conflict.body().contains("emc:revenue.conflict"), conflict.body());
      HttpResponse<String> dollars = node.postJson("/v1/emcs/" + emcId + "/revenue", alice, revenue("r-2", 500, "USD"));
      assertEquals(409, dollars.statusCode());
      assertTrue(dollars.body().contains("emc:currency.mismatch"), dollars.body());
      assertEquals(403, node.postJson("/v1/emcs/" + emcId + "/revenue", bob, revenue("r-3", 500, "EUR")).statusCode());

      // A refund flows back through the same split.
      HttpResponse<String> refund =
          node.postJson(
              "/v1/emcs/" + emcId + "/revenue",
              alice,
              "{\"revenueId\":\"r-1-refund\",\"amountMinor\":\"-1001\",\"currency\":\"EUR\",\"source\":\"refund\",\"refundOf\":\"r-1\"}");
      assertEquals(200, refund.statusCode(), refund.body());
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/revenue", alice, revenue("r-4", 250, "EUR")).statusCode());

      TestNode.await(Duration.ofSeconds(15), "the credits reach the ledger", () -> ledger(node, bob, washers).getEntriesCount() == 3);
      LedgerPage page = ledger(node, bob, washers);
      assertEquals(List.of(75L, -300L, 300L), page.getEntriesList().stream().map(e -> e.getAmountMinor()).toList());
      assertEquals(75, story.me(bob, washers).getBalances(0).getAmountMinor());
      assertEquals(0, story.me(carol, washers).getBalancesCount(), "balances are for operators only");
      assertEquals(403, node.get("/v1/mes/" + washers + "/ledger", carol).statusCode());
      LedgerPage first = EmcStories.parse(node.get("/v1/mes/" + washers + "/ledger?limit=2", bob), LedgerPage.newBuilder()).build();
      assertEquals(2, first.getEntriesCount());
      LedgerPage rest =
          EmcStories.parse(node.get("/v1/mes/" + washers + "/ledger?limit=2&after=" + first.getNextPage(), bob), LedgerPage.newBuilder()).build();
      assertEquals(List.of(300L), rest.getEntriesList().stream().map(e -> e.getAmountMinor()).toList());
      assertEquals("", rest.getNextPage());

      String period = split.getEarnedAt().getSeconds() > 0
          ? java.time.YearMonth.from(java.time.Instant.ofEpochSecond(split.getEarnedAt().getSeconds()).atOffset(java.time.ZoneOffset.UTC)).toString()
          : "";
      MeStatement mine = EmcStories.parse(node.get("/v1/mes/" + washers + "/statement?period=" + period, bob), MeStatement.newBuilder()).build();
      assertEquals(75, mine.getEmcs(0).getEarnedMinor());
      TestNode.await(Duration.ofSeconds(15), "the owner's credits arrive", () -> ledger(node, alice, laundry).getEntriesCount() == 3);
      EmcStatement theirs = EmcStories.parse(node.get("/v1/emcs/" + emcId + "/statement?period=" + period, alice), EmcStatement.newBuilder()).build();
      assertEquals(250, theirs.getRevenueMinor());
      assertEquals(250, theirs.getSharesList().stream().mapToLong(s -> s.getAmountMinor()).sum());

      assertEquals(403, node.get("/v1/admin/books", alice).statusCode());
      // balanced only once every read model has caught up (a delivery stores its offset a moment after)
      TestNode.await(
          Duration.ofSeconds(15),
          "a complete check finds the books balanced",
          () -> EmcStories.parse(node.get("/v1/admin/books", admin), BooksReport.newBuilder()).build().getBalanced());
      BooksReport books = EmcStories.parse(node.get("/v1/admin/books", admin), BooksReport.newBuilder()).build();
      assertTrue(books.getBalanced() && books.getComplete(), books.toString());
      assertTrue(books.getReadModelsList().stream().allMatch(m -> m.getCaughtUp() && m.getReadThrough() >= m.getJournalHead()), books.toString());
      assertEquals(250, books.getTotals(0).getCreditsMinor());
    }
  }

  static LedgerPage ledger(TestNode node, String token, String meId) throws Exception {
    HttpResponse<String> r = node.get("/v1/mes/" + meId + "/ledger", token);
    assertEquals(200, r.statusCode(), r.body());
    return EmcStories.parse(r, LedgerPage.newBuilder()).build();
  }
}
