package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.me.MeEntity;
import io.rendan.me.MeProtocol;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revenue that a party's ledger could not hold: refused before it is stored, with
 * a 4xx code; and should a credit that cannot be applied reach the delivery all
 * the same, the stuck projection shows at once in readiness and metrics.
 */
@Tag("node")
class RevenueLimitTest {
  private static final long MAX = RevenueSplit.MAX_AMOUNT;

  @TempDir Path dataDir;

  @Test
  void revenueThatWouldTakeABalancePastTheLimitIsRefusedBeforeItIsStored() throws Exception {
    // a small limit, so that a few revenues of the largest amount reach it
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.ledger.max-balance", 3 * MAX + 2))) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String owner = story.registerMe(alice, "Owner");
      String emcId = story.startEmc(alice, owner, "EXPERIENCE").getEmcId();
      for (int i = 1; i <= 3; i++) {
        HttpResponse<String> ok = node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-" + i, MAX, "EUR"));
        assertEquals(200, ok.statusCode(), ok.body());
        long expected = i * MAX;
        TestNode.await(Duration.ofSeconds(15), "credit " + i + " reaches the owner", () -> balance(story, alice, owner) == expected);
      }

      HttpResponse<String> refused = node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-4", MAX, "EUR"));
      assertEquals(409, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("\"code\":\"emc:revenue.over-limit\""), refused.body());
      assertTrue(refused.body().contains("\"status\":409"), refused.body());

      // a repeat of what was counted is still answered, the refused one was not stored
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-3", MAX, "EUR")).statusCode());
      long rows = node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Emc|" + emcId + "'");
      assertEquals(409, node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-4", MAX, "EUR")).statusCode());
      assertEquals(rows, node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Emc|" + emcId + "'"));
      // a smaller revenue that fits is taken
      assertEquals(200, node.postJson("/v1/emcs/" + emcId + "/revenue", alice, RevenueTest.revenue("r-5", 1, "EUR")).statusCode());
    }
  }

  @Test
  void aCreditThatCannotBeAppliedShowsInReadinessAndMetricsAndTheMeKeepsWorking() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String alice = node.token("alice");
      String owner = story.registerMe(alice, "Owner");
      String emcId = story.startEmc(alice, owner, "EXPERIENCE").getEmcId();
      ClusterSharding sharding = ClusterSharding.get(node.node().system());
      // Bring the owner's balance next to what a long holds, as ten thousand
      // revenues from other EMCs would; then give its EMC revenue directly to the
      // entity, past the route's check, as a credit that cannot be applied.
      MeEntity.Credit near =
          new MeEntity.Credit("elsewhere", 1, "r-0", Long.MAX_VALUE - 5, "EUR", "s", java.time.Instant.now(), 10_000, 0, true);
      assertInstanceOf(
          MeProtocol.Accepted.class,
          sharding.entityRefFor(MeEntity.TYPE_KEY, owner)
              .<MeProtocol.Reply>ask(r -> new MeProtocol.RecordCredit(near, r), Duration.ofSeconds(10))
              .toCompletableFuture()
              .get());
      assertInstanceOf(
          EmcProtocol.Accepted.class,
          sharding.entityRefFor(EmcEntity.TYPE_KEY, emcId)
              .<EmcProtocol.Reply>ask(
                  r -> new EmcProtocol.RecordRevenue("r-1", 1_000, "EUR", "s", null, 0, null, null, owner, r), Duration.ofSeconds(10))
              .toCompletableFuture()
              .get());

      TestNode.await(
          Duration.ofSeconds(30),
          "readiness names the stuck projection",
          () -> {
            HttpResponse<String> ready = node.get("/health/ready", null);
            return ready.statusCode() == 503 && ready.body().contains("projection:emc-memberships/emc-");
          });
      String metrics = node.get("/metrics", null).body();
      Matcher failures = Pattern.compile("rendan_projection_failures_total\\{projection=\"emc-memberships/emc-\\d\"\\} (\\S+)").matcher(metrics);
      assertTrue(failures.find(), "the failures counter of the stuck instance");
      assertTrue(Double.parseDouble(failures.group(1)) >= 1, failures.group());
      assertTrue(metrics.contains("rendan_projection_stuck_seconds{projection=\"emc-memberships/emc-"), "the stuck gauge");

      // the books say the delivery is behind, and so not balanced
      io.rendan.protocol.api.v1.BooksReport books =
          EmcStories.parse(node.get("/v1/admin/books", node.token("ops", "admin")), io.rendan.protocol.api.v1.BooksReport.newBuilder()).build();
      assertEquals(false, books.getComplete(), books.toString());
      assertEquals(false, books.getBalanced(), books.toString());
      assertTrue(
          books.getReadModelsList().stream()
              .anyMatch(m -> m.getProjection().equals("emc-memberships") && !m.getCaughtUp() && m.getReadThrough() < m.getJournalHead()),
          books.toString());

      // the ME itself did not crash: it answers and still holds its balance
      assertEquals(Long.MAX_VALUE - 5, balance(story, alice, owner));
    }
  }

  private static long balance(EmcStories story, String token, String meId) throws Exception {
    var me = story.me(token, meId);
    return me.getBalancesCount() == 0 ? 0 : me.getBalances(0).getAmountMinor();
  }
}
