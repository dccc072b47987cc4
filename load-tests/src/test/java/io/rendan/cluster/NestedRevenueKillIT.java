package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.auth.Jwt;
import io.rendan.emc.RevenuePassOn;
import io.rendan.emc.RevenueSplit;
import io.rendan.load.harness.NodeProcess;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a node process between the outer split of revenue and the
 * inner one (revenue recorded in an EMC with a seat held by another EMC, the
 * node killed right after the last answer, before the projection passed it on):
 * after a restart on the same H2 file every acknowledged revenue is split in the
 * inner EMC once, its member is credited once, and the books balance.
 */
@Tag("node")
class NestedRevenueKillIT {
  private static final int REVENUES = 30;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void aKillBetweenTheOuterAndTheInnerSplitLosesNothingAndCountsNothingTwice() throws Exception {
    Path jar = Path.of(System.getProperty("rendan.server.jar", "target/rendan-server.jar"));
    assertTrue(Files.isRegularFile(jar), jar + " is missing: run the test through mvn verify, which builds it");
    Path logDir = Path.of("target", "nested-revenue-kill-it").toAbsolutePath();
    if (Files.isDirectory(logDir)) {
      try (var old = Files.walk(logDir)) {
        old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(logDir);
    Jwt jwt = new Jwt(TestNode.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30), Clock.systemUTC());
    String alice = jwt.issue("alice", List.of(), Duration.ofHours(1));
    String bob = jwt.issue("bob", List.of(), Duration.ofHours(1));
    String admin = jwt.issue("ops", List.of("admin"), Duration.ofHours(1));
    Map<String, String> env =
        Map.of("RENDAN_JWT_SECRET", TestNode.SECRET, "RENDAN_DEV_MODE", "false", "RENDAN_EMC_MEMBERS", "true");
    String run = Long.toString(System.currentTimeMillis(), 36);
    String outer = "outer-" + run;
    String middle = "middle-" + run;
    String dave = "dave-" + run;
    long expectedDave = 0;
    Path dataDir = logDir.resolve("node-0");
    NodeProcess node = launch(jar, env, logDir);
    try {
      awaitReady(node);
      assertEquals(201, send(node, "POST", "/v1/mes", alice, "{\"meId\":\"laundry-" + run + "\",\"name\":\"Laundry\",\"kind\":\"INTERNAL\"}").statusCode());
      assertEquals(201, send(node, "POST", "/v1/mes", bob, "{\"meId\":\"coop-" + run + "\",\"name\":\"Co-op\",\"kind\":\"INTERNAL\"}").statusCode());
      assertEquals(201, send(node, "POST", "/v1/mes", bob, "{\"meId\":\"" + dave + "\",\"name\":\"Dave\",\"kind\":\"INTERNAL\"}").statusCode());
      start(node, alice, outer, "laundry-" + run);
      start(node, bob, middle, "coop-" + run);
      invite(node, alice, outer, middle, "emc", 4_000);
      assertEquals(200, send(node, "POST", "/v1/emcs/" + outer + "/invitations/seat/accept", bob, "{}").statusCode());
      invite(node, bob, middle, dave, "", 2_500);
      assertEquals(200, send(node, "POST", "/v1/emcs/" + middle + "/invitations/seat/accept", bob, "{}").statusCode());

      for (int i = 1; i <= REVENUES; i++) {
        long amount = 1_000L + 37 * i;
        HttpResponse<String> r =
            send(node, "POST", "/v1/emcs/" + outer + "/revenue", alice,
                "{\"revenueId\":\"r-" + i + "\",\"amountMinor\":\"" + amount + "\",\"currency\":\"EUR\",\"source\":\"cycle\",\"units\":\"1\"}");
        assertEquals(200, r.statusCode(), r.body());
        long toMiddle = part(RevenueSplit.split(amount, List.of(new RevenueSplit.Party(middle, 4_000, 1, false, true), new RevenueSplit.Party("laundry-" + run, 6_000, 0, true))), middle);
        expectedDave += part(RevenueSplit.split(toMiddle, List.of(new RevenueSplit.Party(dave, 2_500, 1, false), new RevenueSplit.Party("coop-" + run, 7_500, 0, true))), dave);
      }
      node.kill(); // right after the last answer: the pass-on polls the journal every 200 ms

      // Between the two splits: every outer split is stored, some inner ones are not.
      try (Connection c = TestNode.connection(configOf(dataDir))) {
        assertEquals(REVENUES, revenueEvents(c, outer), "every acknowledged outer split is stored");
        long inner = revenueEvents(c, middle);
        assertTrue(inner < REVENUES, "the kill came before some inner splits (" + inner + " of " + REVENUES + " made)");
      }

      NodeProcess restarted = launch(jar, env, logDir); // the same data directory, so the same H2 file
      node = restarted;
      awaitReady(restarted);
      long want = expectedDave;
      await(Duration.ofSeconds(90), "every revenue passed on and credited, the books balanced", () -> {
        BooksReport books = books(restarted, admin);
        return books.getBalanced() && balance(restarted, bob, dave) == want;
      });
      assertEquals(expectedDave, balance(restarted, bob, dave));
      BooksReport.Total total = books(restarted, admin).getTotals(0);
      assertEquals(total.getRevenueMinor(), total.getCreditsMinor());
      assertEquals(total.getSeatPartsMinor(), total.getPassedOnMinor());
      restarted.terminate();
      restarted.waitForExit(Duration.ofSeconds(60));
    } finally {
      node.close();
    }
    try (Connection c = TestNode.connection(configOf(dataDir))) {
      assertEquals(REVENUES, revenueEvents(c, middle), "each revenue split in the inner EMC once");
      assertEquals(REVENUES, count(c, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Me|" + dave + "' AND \"event_ser_manifest\" = 'me.ledger-credited'"));
      assertEquals(REVENUES, count(c, "SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + middle + "' AND revenue_id LIKE 'pass-%'"));
      assertEquals(1, count(c, "SELECT COUNT(*) FROM rendan_revenue WHERE emc_id = '" + middle + "' AND revenue_id = '"
          + RevenuePassOn.passedOnId(outer, "r-" + REVENUES, middle) + "'"));
    }
  }

  private void start(NodeProcess node, String token, String emcId, String owner) throws Exception {
    HttpResponse<String> r =
        send(node, "POST", "/v1/emcs", token,
            "{\"emcId\":\"" + emcId + "\",\"name\":\"" + emcId + "\",\"userGroup\":\"g\",\"ownerMeId\":\"" + owner + "\",\"ownerSide\":\"SOLUTION\"}");
    assertEquals(201, r.statusCode(), r.body());
  }

  private void invite(NodeProcess node, String token, String emcId, String memberId, String kind, int shareBps) throws Exception {
    HttpResponse<String> r =
        send(node, "POST", "/v1/emcs/" + emcId + "/invitations", token,
            "{\"invitationId\":\"seat\",\"meId\":\"" + memberId + "\",\"memberKind\":\"" + kind + "\",\"side\":\"SOLUTION\",\"role\":\"r\","
                + "\"terms\":{\"shareBps\":" + shareBps + ",\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}");
    assertEquals(201, r.statusCode(), r.body());
  }

  private static long part(List<RevenueSplit.Part> parts, String id) {
    return parts.stream().filter(p -> p.meId().equals(id)).findFirst().orElseThrow().amountMinor();
  }

  private long balance(NodeProcess node, String token, String meId) throws Exception {
    HttpResponse<String> r = send(node, "GET", "/v1/mes/" + meId, token, null);
    assertEquals(200, r.statusCode(), r.body());
    Me.Builder b = Me.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), b);
    return b.getBalancesCount() == 0 ? 0 : b.getBalances(0).getAmountMinor();
  }

  private BooksReport books(NodeProcess node, String admin) throws Exception {
    HttpResponse<String> r = send(node, "GET", "/v1/admin/books", admin, null);
    assertEquals(200, r.statusCode(), r.body());
    BooksReport.Builder b = BooksReport.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), b);
    return b.build();
  }

  private static long revenueEvents(Connection c, String emcId) throws Exception {
    return count(c, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Emc|" + emcId + "' AND \"event_ser_manifest\" = 'emc.revenue-shared'");
  }

  private static long count(Connection c, String sql) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The node on H2 in {@code logDir/node-0}, with a cluster port of its own (not the fixed default). */
  private static NodeProcess launch(Path jar, Map<String, String> env, Path logDir) throws java.io.IOException {
    Map<String, String> settings = new java.util.HashMap<>(env);
    settings.put("RENDAN_CLUSTER_PORT", Integer.toString(NodeProcess.freePort()));
    return NodeProcess.launch(0, jar, settings, List.of(), logDir.resolve("node-0.log"), logDir.resolve("node-0"));
  }

  private void awaitReady(NodeProcess node) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      assertTrue(node.isAlive(), "the node exited; see " + node.log());
      try {
        if (http.send(HttpRequest.newBuilder(node.uri("/health/ready")).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString())
                .statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      assertTrue(System.nanoTime() < deadline, "the node was not ready within 120 s; see " + node.log());
      Thread.sleep(200);
    }
  }

  private static void await(Duration within, String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
    TestNode.await(within, what, condition);
  }

  private HttpResponse<String> send(NodeProcess node, String method, String path, String token, String json) throws Exception {
    URI uri = node.uri(path);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token);
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static com.typesafe.config.Config configOf(Path dataDir) {
    return io.rendan.RendanNode.loadConfig(
        com.typesafe.config.ConfigFactory.parseMap(Map.of("rendan.data-dir", dataDir.toAbsolutePath().toString(), "rendan.db.url", "")));
  }
}
