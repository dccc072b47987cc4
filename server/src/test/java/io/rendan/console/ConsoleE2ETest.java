package io.rendan.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console in a real headless Chromium against a real node: the page sees a
 * bid placed through the API, resumes after its WebSocket drops, shows the washer
 * because the EMC lists it (the address names no appliance) and its fault as an
 * alert, and shows revenue, balance and ledger. The script
 * (src/test/e2e/console.e2e.mjs) says when it waits for something; this test then
 * makes it happen through the API, as another app would. Screenshots of each view
 * are kept in target/console-screenshots/.
 */
@Tag("browser")
class ConsoleE2ETest {
  private static final Logger log = LoggerFactory.getLogger(ConsoleE2ETest.class);
  private static final Path SCRIPTS = Path.of("src/test/e2e");
  private static final Path SHOTS = Path.of("target/console-screenshots");
  private static final List<String> VIEWS = List.of("console", "members", "rounds", "appliances", "revenue", "me");

  @TempDir static Path dataDir;
  static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theConsoleShowsAnEmcLive() throws Exception {
    Path chromium = BrowserTestSupport.chromium();
    Path scripts = BrowserTestSupport.scriptPackages(SCRIPTS);

    String alice = node.token("alice");
    String bob = node.token("bob");
    String carol = node.token("carol");
    created(node.postJson("/v1/mes", alice, "{\"meId\":\"dorm-laundry\",\"name\":\"Dorm Laundry\",\"kind\":\"INTERNAL\",\"capabilities\":[\"logistics\"]}"));
    created(node.postJson("/v1/mes", bob, "{\"meId\":\"washer-works\",\"name\":\"Washer Works\",\"kind\":\"INTERNAL\",\"capabilities\":[\"washers\"]}"));
    created(node.postJson("/v1/mes", carol, "{\"meId\":\"code-cabin\",\"name\":\"Code Cabin\",\"kind\":\"INTERNAL\",\"capabilities\":[\"iot-programming\"]}"));
    created(
        node.postJson(
            "/v1/emcs",
            alice,
            "{\"emcId\":\"laundry\",\"name\":\"Community Laundry\",\"userGroup\":\"dorm students\",\"ownerMeId\":\"dorm-laundry\",\"ownerSide\":\"EXPERIENCE\"}"));
    created(
        node.postJson(
            "/v1/emcs/laundry/invitations",
            alice,
            "{\"invitationId\":\"washers\",\"meId\":\"washer-works\",\"side\":\"SOLUTION\",\"role\":\"washers\",\"terms\":{\"shareBps\":3000,\"target\":{\"metric\":\"REVENUE\",\"amount\":500000}}}"));
    ok(node.postJson("/v1/emcs/laundry/invitations/washers/accept", bob, ""));
    created(
        node.postJson(
            "/v1/emcs/laundry/calls",
            alice,
            "{\"roundId\":\"firmware\",\"call\":{\"capability\":\"iot-programming\",\"side\":\"SOLUTION\",\"role\":\"washer firmware\",\"maxShareBps\":2000,\"mode\":\"OPEN\",\"minStepBps\":50,\"target\":{\"metric\":\"CYCLES\",\"amount\":800}},\"closesInSeconds\":3600}"));
    ProvisionedAppliance.Builder washer = ProvisionedAppliance.newBuilder();
    JsonFormat.parser()
        .merge(
            created(
                node.postJson(
                    "/v1/emcs/laundry/appliances",
                    alice,
                    "{\"applianceId\":\"dorm-washer-1\",\"type\":\"WASHER\",\"model\":\"WM-40\",\"location\":\"Dorm A, basement\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}")),
            washer);
    String secret = washer.getDeviceSecret();
    telemetry(secret, "{\"seq\":1,\"stateChanged\":{\"state\":\"IDLE\"}}\n");
    ok(node.postJson("/v1/emcs/laundry/revenue", alice, "{\"revenueId\":\"r1\",\"amountMinor\":\"12000\",\"currency\":\"EUR\",\"source\":\"laundry-cycle\"}"));

    // read models the page starts from: the directory, the appliance listing, the statement, the ledger
    String period = YearMonth.now(ZoneOffset.UTC).toString();
    TestNode.await(Duration.ofSeconds(20), "the directory lists the round", () -> node.get("/v1/rounds?emcId=laundry", alice).body().contains("firmware"));
    TestNode.await(
        Duration.ofSeconds(20),
        "the EMC lists the washer",
        () -> node.get("/v1/emcs/laundry/appliances", alice).body().contains("\"dorm-washer-1\""));
    TestNode.await(
        Duration.ofSeconds(20),
        "the statement has the revenue",
        () -> node.get("/v1/emcs/laundry/statement?period=" + period, alice).body().contains("\"revenueMinor\":\"12000\""));
    TestNode.await(Duration.ofSeconds(20), "the ledger has the credit", () -> node.get("/v1/mes/dorm-laundry/ledger", alice).body().contains("r1"));
    TestNode.await(Duration.ofSeconds(20), "the ME knows its membership", () -> me(alice, "dorm-laundry").getMembershipsCount() == 1);

    Map<String, String> env =
        Map.ofEntries(
            Map.entry("BASE_URL", "http://127.0.0.1:" + node.port()),
            Map.entry("SUBJECT", "alice"),
            Map.entry("EMC_ID", "laundry"),
            Map.entry("ROUND_ID", "firmware"),
            Map.entry("APPLIANCE_ID", "dorm-washer-1"),
            Map.entry("ME_ID", "dorm-laundry"),
            Map.entry("MEMBER_ID", "washer-works"),
            Map.entry("BID1_ASK_BPS", "1700"),
            Map.entry("BID2_ASK_BPS", "1600"),
            Map.entry("REVENUE_MINOR", "12000"),
            Map.entry("SCREENSHOT_DIR", SHOTS.toAbsolutePath().toString()),
            Map.entry("CHROMIUM", chromium.toString()),
            Map.entry("CHROMIUM_ARGS", String.join("\n", BrowserTestSupport.CHROMIUM_ARGS)));
    for (String view : VIEWS) {
      Files.deleteIfExists(SHOTS.resolve(view + ".png"));
    }
    ConcurrentLinkedQueue<String> passed = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    long started = System.nanoTime();
    int exit =
        BrowserTestSupport.run(
            List.of("node", "console.e2e.mjs"),
            scripts,
            env,
            Duration.ofMinutes(3),
            line -> {
              if (line.startsWith("OK ") || line.startsWith("RESULT ")) {
                passed.add(line);
              }
              // act off the output thread, so that the script's output keeps flowing
              Runnable act =
                  switch (line) {
                    case "READY bid" -> () -> bid(carol, "cabin-1", 1700);
                    case "READY bid2" -> () -> bid(carol, "cabin-2", 1600);
                    case "READY fault" -> () -> telemetry(secret, "{\"seq\":2,\"fault\":{\"code\":\"E21\",\"message\":\"drain pump blocked\"}}\n");
                    case "READY removal" -> () -> scheduleRemoval(alice);
                    default -> null;
                  };
              if (act != null) {
                CompletableFuture.runAsync(act).exceptionally(e -> { failures.add(e); return null; });
              }
            });
    log.info("the browser script took {} ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
    assertTrue(failures.isEmpty(), "acting through the API failed: " + failures);
    assertEquals(0, exit, "the browser script failed (see its FAIL line in the log); passed: " + passed);
    assertTrue(passed.contains("RESULT ok"), "the script ended without its result: " + passed);
    assertTrue(passed.contains("OK the appliance is shown because the EMC lists it"), "the washer came from the listing: " + passed);
    assertTrue(passed.contains("OK the owner cancelled the removal from the page"), "the cancel button: " + passed);
    io.rendan.protocol.api.v1.Emc.Builder laundry = io.rendan.protocol.api.v1.Emc.newBuilder();
    JsonFormat.parser().merge(ok(node.get("/v1/emcs/laundry", alice)), laundry);
    assertEquals(0, laundry.getScheduledRemovalsCount(), "the page's cancel reached the server: " + laundry);
    assertTrue(laundry.getMembersList().stream().anyMatch(m -> m.getMeId().equals("washer-works")), "the member stays");
    for (String view : VIEWS) {
      Path shot = SHOTS.resolve(view + ".png");
      assertTrue(Files.isRegularFile(shot) && Files.size(shot) > 1000, "a screenshot of " + view + " at " + shot.toAbsolutePath());
    }
  }

  private static void bid(String token, String bidId, int ask) {
    try {
      ok(node.postJson("/v1/rounds/firmware/bids", token, "{\"bidId\":\"" + bidId + "\",\"meId\":\"code-cabin\",\"askShareBps\":" + ask + ",\"plan\":\"over-the-air updates\"}"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A charter with 30 days of notice, then the owner removes the washer: scheduled, not done. */
  private static void scheduleRemoval(String owner) {
    try {
      ok(node.putJson("/v1/charter", node.token("root", "admin"), "{\"clauses\":{\"removalNoticeSeconds\":\"2592000\",\"replaceOnlyAfterFailedHelp\":true}}"));
      HttpResponse<String> r = node.delete("/v1/emcs/laundry/members/washer-works", owner);
      assertEquals(202, r.statusCode(), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A device's short stream: the readings, then the end of the body; the acks come back before the answer ends. */
  private static void telemetry(String secret, String lines) {
    try {
      HttpResponse<String> r =
          node.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/appliances/dorm-washer-1/telemetry"))
                  .timeout(Duration.ofSeconds(15))
                  .header("Authorization", "Device " + secret)
                  .header("Content-Type", "application/x-ndjson")
                  .POST(HttpRequest.BodyPublishers.ofString(lines))
                  .build());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"ack\"") && !r.body().contains("Error"), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Me me(String token, String meId) throws Exception {
    Me.Builder b = Me.newBuilder();
    JsonFormat.parser().merge(ok(node.get("/v1/mes/" + meId, token)), b);
    return b.build();
  }

  private static String created(HttpResponse<String> r) {
    assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.statusCode() + " " + r.body());
    return r.body();
  }

  private static String ok(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }
}
