package io.rendan.load.harness;

import io.rendan.load.Options;
import io.rendan.load.client.Api;
import io.rendan.load.client.ControlHttp;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.Tokens;
import io.rendan.load.journal.JournalLoader;
import io.rendan.loadtest.device.DeviceFleet;
import io.rendan.loadtest.device.DeviceSimulator;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rendan-load recovery}: a node on PostgreSQL with a journal of a million
 * events, restarted. Provisions {@code --appliances} through the API (so that
 * they are remembered by sharding, as in production), stops the node, loads
 * {@code --events} telemetry events with {@link JournalLoader} ({@code
 * --big-entity-events} of them on one appliance, the rest spread evenly), and
 * starts the node again. Reported: the load's rows/s, the time until the node
 * is ready, until every remembered appliance runs, until every appliance has
 * answered a read (all replayed), the replay rate over all of them, and the
 * time the one big appliance took to answer. Writes {@code recovery.txt}.
 */
public final class RecoveryBench {
  private static final Pattern ENTITIES = Pattern.compile("rendan_sharding_entities\\{type=\"Appliance\"[^}]*\\} ([0-9.eE+]+)");
  private final PrintStream out;

  public RecoveryBench(PrintStream out) {
    this.out = out;
  }

  public boolean run(Options o) throws Exception {
    int appliances = o.getInt("appliances", 10_000);
    long events = o.getInt("events", 1_000_000);
    int bigEvents = o.getInt("big-entity-events", 100_000);
    int readingsPerEvent = o.getInt("readings-per-event", 2);
    Path jar = Path.of(o.get("server-jar", "server/target/rendan-server.jar"));
    List<String> jvm = o.get("server-jvm-opts", "").isBlank() ? List.of() : List.of(o.get("server-jvm-opts", "").trim().split("\\s+"));
    Path outDir = Path.of(o.get("out", "target/rendan-load/recovery"));
    Files.createDirectories(outDir);
    Duration readyTimeout = o.getDuration("ready-timeout", Duration.ofSeconds(180));
    Path work = Files.createTempDirectory("rendan-recovery-");
    List<String> report = new ArrayList<>();
    try (Postgres pg = Postgres.start(work.resolve("pg"))) {
      Map<String, String> env = new HashMap<>();
      env.put("RENDAN_DATA_DIR", work.resolve("node").toString());
      env.put("RENDAN_DB_URL", pg.jdbcUrl());
      env.put("RENDAN_DB_USER", pg.user());
      env.put("RENDAN_DB_PASSWORD", pg.password());
      env.put("RENDAN_DEV_MODE", "true");
      env.put("RENDAN_LOG_LEVEL", o.get("server-log-level", "INFO"));
      env.put("RENDAN_LIMIT_REQUESTS_PER_SECOND", "1000000");
      env.put("RENDAN_LIMIT_REQUEST_BURST", "1000000");
      // a read of an appliance still replaying waits for it rather than answering 503 after 5 s: the
      // reads below time the replay; provisioning on a loaded machine needs the room too
      env.put("RENDAN_ASK_TIMEOUT", "60s");
      env.putAll(Harness.serverEnv(o));

      // ---- appliances through the API: remembered by sharding as a real fleet is
      out.println("== starting the node (log: " + outDir.resolve("node.log") + ")");
      NodeProcess node = NodeProcess.start(jar, env, jvm, outDir.resolve("node.log"), readyTimeout);
      List<DeviceFleet.Device> devices;
      try {
        long t = System.nanoTime();
        devices =
            DeviceSimulator.provision(
                node.uri(), Map.of("provision", Integer.toString(appliances), "parallel", o.get("parallel", "8")));
        note(report, "provisioned %d appliances through the API in %.1f s (%.0f/s)", appliances, secs(t), appliances / secs(t));
      } finally {
        node.close(); // SIGTERM: the loader must not race a live entity for sequence numbers
      }

      // ---- the journal: a million events, as the node writes them
      long loadedRows;
      long journalRows;
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password())) {
        Map<String, Long> last = new HashMap<>();
        try (Statement s = c.createStatement();
            ResultSet rs =
                s.executeQuery(
                    "SELECT persistence_id, max(sequence_number) FROM event_journal WHERE persistence_id LIKE 'Appliance|%' GROUP BY 1")) {
          while (rs.next()) {
            last.put(rs.getString(1).substring("Appliance|".length()), rs.getLong(2));
          }
        }
        List<String> ids = devices.stream().map(DeviceFleet.Device::applianceId).toList();
        Map<String, Long> perAppliance = new HashMap<>();
        long rest = events - bigEvents;
        for (int i = 1; i < ids.size(); i++) {
          perAppliance.put(ids.get(i), rest / (ids.size() - 1) + (i <= rest % (ids.size() - 1) ? 1 : 0));
        }
        perAppliance.put(ids.get(0), (long) bigEvents);
        long t = System.nanoTime();
        loadedRows = JournalLoader.copy(c, JournalLoader.plan(ids, last, Map.of(), perAppliance, readingsPerEvent));
        double took = secs(t);
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM event_journal")) {
          rs.next();
          journalRows = rs.getLong(1);
        }
        note(
            report,
            "loaded %d telemetry events (%d readings each; %d on appliance %s, ~%d on each other) with COPY in %.1f s: %.0f rows/s; the journal holds %d rows",
            loadedRows,
            readingsPerEvent,
            bigEvents,
            ids.get(0),
            rest / Math.max(1, ids.size() - 1),
            took,
            loadedRows / took,
            journalRows);
      }

      // ---- the restart
      long started = System.nanoTime();
      NodeProcess again = NodeProcess.start(jar, env, jvm, outDir.resolve("node-restarted.log"), readyTimeout);
      try {
        double ready = secs(started);
        note(report, "restarted node ready (/health/ready 200) %.1f s after its start", ready);
        Api api = new Api(again.uri(), false, Duration.ofSeconds(120));
        HttpLane lane = api.lane(o.getInt("connections", 32), 1_000_000);
        try {
          String admin = Tokens.dev("recovery", api, lane).admin();
          AtomicLong allRunning = new AtomicLong();
          Thread watcher = new Thread(() -> watchEntities(again.uri(), appliances, started, allRunning, report), "entity-watcher");
          watcher.setDaemon(true);
          watcher.start();
          // the big one first, then every appliance: each answers once its replay is done
          long bigAsked = System.nanoTime();
          HttpLane.Response big = lane.send(api.get("/v1/appliances/" + devices.get(0).applianceId(), admin));
          double bigSecs = secs(bigAsked);
          if (big.status() == 200) {
            note(
                report,
                "the appliance with %d events answered after %.1f s (%.1f s after the start): at least %.0f events/s for one entity",
                bigEvents,
                bigSecs,
                secs(started),
                bigEvents / bigSecs);
          } else {
            note(report, "the appliance with %d events answered %s after %.1f s: not recovered", bigEvents, Api.errorCode(big), bigSecs);
          }
          CountDownLatch done = new CountDownLatch(devices.size());
          AtomicInteger failed = new AtomicInteger();
          long asked = System.nanoTime();
          for (DeviceFleet.Device d : devices) {
            lane.submit(
                api.get("/v1/appliances/" + d.applianceId(), admin),
                (r, f) -> {
                  if (f != null || r.status() != 200) {
                    failed.incrementAndGet();
                  }
                  done.countDown();
                });
          }
          done.await(10, TimeUnit.MINUTES);
          double all = secs(started);
          note(
              report,
              "every appliance answered a read %.1f s after the node started (%.1f s after ready; the reads themselves took %.1f s), %d failed: %.0f events/s replayed over all",
              all,
              all - ready,
              secs(asked),
              failed.get(),
              journalRows / all);
          watcher.join(TimeUnit.SECONDS.toMillis(30));
        } finally {
          lane.close();
        }
      } finally {
        again.close();
      }
    } finally {
      Files.write(outDir.resolve("recovery.txt"), report);
      out.println("report: " + outDir.resolve("recovery.txt").toAbsolutePath());
      try (var paths = Files.walk(work)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return true;
  }

  /** Polls the node's metrics until every appliance runs; notes when, and how the count grew. */
  private void watchEntities(URI node, int expected, long started, AtomicLong at, List<String> report) {
    List<String> curve = new ArrayList<>();
    long deadline = started + TimeUnit.MINUTES.toNanos(10);
    double lastNoted = -1;
    while (System.nanoTime() < deadline) {
      try {
        String metrics = ControlHttp.get(node.resolve("/metrics")).body();
        Matcher m = ENTITIES.matcher(metrics);
        double running = m.find() ? Double.parseDouble(m.group(1)) : 0;
        double t = secs(started);
        if (t - lastNoted >= 1) {
          curve.add(String.format(Locale.ROOT, "%.0fs:%d", t, (long) running));
          lastNoted = t;
        }
        if (running >= expected) {
          at.set(System.nanoTime());
          note(report, "every remembered appliance (%d) running %.1f s after the node started", expected, t);
          break;
        }
      } catch (Exception e) {
        // the node is busy: ask again
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
    note(report, "appliance entities running, by seconds since the start: %s", String.join(" ", curve));
  }

  private synchronized void note(List<String> report, String format, Object... args) {
    String line = String.format(Locale.ROOT, format, args);
    report.add(Instant.now() + " " + line);
    out.println("recovery: " + line);
  }

  private static double secs(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
