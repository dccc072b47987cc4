package io.rendan.load.baseline;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.harness.ProcCpu;
import io.rendan.load.metrics.OperationStats;
import io.rendan.load.report.BaselineResult;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.postgresql.PGConnection;

/**
 * The baselines a run states its figures beside: what the node's trivial route
 * and the database underneath can do on this machine, now. Each is a closed
 * loop: {@code concurrency} workers, each starting the next operation when the
 * previous one is done, for the given time after a short warm-up that is not
 * counted.
 */
public final class Baselines {
  public static final int PAYLOAD_BYTES = 200;
  /** As the figure issue 15 compares with: {@code wrk -t2}. */
  static final int WRK_THREADS = 2;

  private final int concurrency;
  private final Duration warmup;
  private final Duration duration;
  private final PrintStream out;

  /** Each baseline runs {@code warmup} (not counted), then {@code duration}. */
  public Baselines(int concurrency, Duration warmup, Duration duration, PrintStream out) {
    this.concurrency = concurrency;
    this.warmup = warmup;
    this.duration = duration;
    this.out = out;
  }

  private Duration warmup() {
    return warmup;
  }

  /**
   * The two yardsticks, {@link #httpTrivial} and {@link #wrk}, against an equally
   * warm node: a first pass of http-trivial only warms the node, then wrk runs (its
   * own warm-up, then its measure), then http-trivial is measured. Run one after
   * the other on a freshly started node, the first would meet a colder node (its
   * JIT compiles for minutes) and the two would not compare: that is how a run
   * once read http-trivial at 0.70 of wrk.
   */
  public List<BaselineResult> yardsticks(Api api, URI base, int connections, OptionalLong serverPid, List<String> notes)
      throws Exception {
    out.println("== baseline warm-up: a pass of http-trivial, not counted, so that wrk and http-trivial meet an equally warm node");
    httpTrivial(api, connections, serverPid);
    Optional<BaselineResult> wrk = wrk(base, connections, serverPid, notes);
    List<BaselineResult> results = new ArrayList<>();
    results.add(httpTrivial(api, connections, serverPid));
    wrk.ifPresent(results::add);
    return results;
  }

  /** GET /health/alive over {@code connections} connections, as fast as the node answers. */
  public BaselineResult httpTrivial(Api api, int connections, OptionalLong serverPid) throws Exception {
    out.printf(Locale.ROOT, "== baseline http-trivial: GET /health/alive, %d connections, %d ms%n", connections, duration.toMillis());
    return closedLoop(
        api,
        api.get("/health/alive", null),
        connections,
        serverPid,
        "http-trivial",
        "GET /health/alive of the same node, closed loop, same HTTP client as the scenarios",
        "request");
  }

  /**
   * The same {@code GET /health/alive} driven by {@code wrk -t2 -c<connections>}, right
   * beside {@link #httpTrivial}: the yardstick of the harness's own client. First a
   * warm-up run of wrk (not counted), then the measured one; the node's CPU is read
   * around the measured run, wrk's own from this JVM's reaped children. Empty, with
   * the reason in {@code notes}, when wrk is not on PATH or fails: not an error of the run.
   */
  public Optional<BaselineResult> wrk(URI base, int connections, OptionalLong serverPid, List<String> notes) throws InterruptedException {
    Optional<Path> wrk = Wrk.find();
    if (wrk.isEmpty()) {
      String note = "baseline wrk: not measured, wrk is not on PATH (apt-get install wrk)";
      out.println("== " + note);
      notes.add(note);
      return Optional.empty();
    }
    int threads = Math.min(WRK_THREADS, connections);
    String url = base.resolve("/health/alive").toString();
    long seconds = Math.max(1, (duration.toMillis() + 999) / 1000);
    out.printf(Locale.ROOT, "== baseline wrk: %s -t%d -c%d -d%ds --latency %s%n", wrk.get(), threads, connections, seconds, url);
    try {
      long warmupSeconds = (warmup.toMillis() + 999) / 1000;
      if (warmupSeconds > 0) {
        runWrk(wrk.get(), threads, connections, warmupSeconds, url);
      }
      long cpuStart = serverPid.isPresent() ? ProcCpu.nanos(serverPid.getAsLong()) : -1;
      long childStart = ProcCpu.reapedChildrenNanos();
      String output = runWrk(wrk.get(), threads, connections, seconds, url);
      long cpuEnd = serverPid.isPresent() ? ProcCpu.nanos(serverPid.getAsLong()) : -1;
      long childEnd = ProcCpu.reapedChildrenNanos();
      Wrk.Report w = Wrk.parse(output);
      BaselineResult r =
          new BaselineResult(
              "wrk",
              String.format(
                  Locale.ROOT,
                  "GET /health/alive of the same node by wrk -t%d -c%d -d%ds (C, epoll): the yardstick of http-trivial's client",
                  threads,
                  connections,
                  seconds),
              "request",
              connections,
              w.seconds(),
              w.requests(),
              w.requests(),
              w.errors(),
              w.requestsPerSecond(),
              w.p50Ms(),
              w.p90Ms(),
              w.p99Ms(),
              Double.NaN,
              w.maxMs(),
              cpuStart >= 0 && cpuEnd >= 0 ? (cpuEnd - cpuStart) / 1e9 : null,
              childStart >= 0 && childEnd >= 0 ? (childEnd - childStart) / 1e9 : 0);
      out.printf(Locale.ROOT, "   wrk: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, errors %d%n", r.throughput(), r.p50Ms(), r.p99Ms(), r.errors());
      return Optional.of(r);
    } catch (java.io.IOException | IllegalArgumentException e) {
      String note = "baseline wrk: not measured, " + e.getMessage();
      out.println("   " + note);
      notes.add(note);
      return Optional.empty();
    }
  }

  private static String runWrk(Path wrk, int threads, int connections, long seconds, String url)
      throws java.io.IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                wrk.toString(), "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency", url)
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String output;
    try (var in = p.getInputStream()) {
      output = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    if (!p.waitFor(seconds + 30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new java.io.IOException("wrk did not end");
    }
    if (p.exitValue() != 0) {
      throw new java.io.IOException("wrk exited with " + p.exitValue() + ": " + output.strip());
    }
    return output;
  }

  /**
   * The naive peer: bids on one round through a plain sharded entity that persists one
   * event per bid and replies once stored (the node's {@code NaivePeer}, admins only), over
   * the same HTTP client and connections as the hot round. What the batching round is
   * compared with: "how much better than the obvious implementation", from one run.
   */
  public BaselineResult naivePeer(Api api, String adminToken, int connections, OptionalLong serverPid) throws Exception {
    out.printf(
        Locale.ROOT, "== baseline naive-peer: one persist per bid on one round, %d connections, %d ms%n", connections, duration.toMillis());
    String round = "naive-" + Long.toString(System.nanoTime(), 36);
    HttpLane.Request request =
        api.send(
            "POST",
            "/v1/admin/naive-rounds/" + round + "/bids",
            adminToken,
            io.rendan.protocol.api.v1.PlaceBidRequest.newBuilder().setBidId("b").setMeId("naive-bidder").setAskShareBps(1500).setPlan("p").build());
    return closedLoop(
        api,
        request,
        connections,
        serverPid,
        "naive-peer",
        "bids on one round through a plain sharded entity, one persisted event per bid, answered once stored (NaivePeer)",
        "bid");
  }

  private BaselineResult closedLoop(
      Api api, HttpLane.Request request, int connections, OptionalLong serverPid, String name, String description, String unit)
      throws Exception {
    Recorder recorder = new Recorder(1, OperationStats.MAX_MICROS, 3);
    AtomicLong errors = new AtomicLong();
    long measureFrom = System.nanoTime() + warmup().toNanos();
    long end = measureFrom + duration.toNanos();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    try (HttpLane lane = api.lane(connections, connections)) {
      for (int i = 0; i < connections; i++) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loops.add(done);
        httpLoop(lane, request, recorder, errors, measureFrom, end, done);
      }
      long untilMeasure = measureFrom - System.nanoTime();
      if (untilMeasure > 0) {
        TimeUnit.NANOSECONDS.sleep(untilMeasure);
      }
      long cpuStart = serverPid.isPresent() ? ProcCpu.nanos(serverPid.getAsLong()) : -1;
      long selfStart = ProcCpu.selfNanos();
      CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(duration.toSeconds() + 60, TimeUnit.SECONDS);
      long cpuEnd = serverPid.isPresent() ? ProcCpu.nanos(serverPid.getAsLong()) : -1;
      long selfEnd = ProcCpu.selfNanos();
      Histogram h = recorder.getIntervalHistogram();
      Double serverCpu = cpuStart >= 0 && cpuEnd >= 0 ? (cpuEnd - cpuStart) / 1e9 : null;
      return result(
          name,
          description,
          unit,
          connections,
          h,
          h.getTotalCount(),
          errors.get(),
          serverCpu,
          (selfEnd - selfStart) / 1e9);
    }
  }

  private static void httpLoop(
      HttpLane lane,
      HttpLane.Request request,
      Recorder recorder,
      AtomicLong errors,
      long measureFrom,
      long end,
      CompletableFuture<Void> done) {
    long sent = System.nanoTime();
    if (sent - end >= 0) {
      done.complete(null);
      return;
    }
    lane.submit(
        request,
        (response, failure) -> {
          if (sent - measureFrom >= 0) {
            if (failure == null && response.status() == 200) {
              recorder.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
            } else {
              errors.incrementAndGet();
            }
          }
          httpLoop(lane, request, recorder, errors, measureFrom, end, done);
        });
  }

  /** One row per INSERT, one commit each: what one persist per event costs without batching. */
  public BaselineResult insertCommits(ScratchDb db) throws Exception {
    out.printf(Locale.ROOT, "== baseline db-insert-commit: single-row INSERT + commit, %d connections, %d ms%n", concurrency, duration.toMillis());
    db.reset();
    return jdbc(
        db,
        "db-insert-commit",
        "single-row INSERT, one commit each (autocommit), " + db.describe(),
        1,
        (c, worker, seq, payload) -> {
          try (PreparedStatement ps = c.prepareStatement(insertSql())) {
            bind(ps, worker, seq, payload);
            ps.executeUpdate();
          }
          return 1;
        },
        true);
  }

  /** {@code batch} rows per JDBC batch, one commit per batch. */
  public BaselineResult batchInserts(ScratchDb db, int batch) throws Exception {
    out.printf(Locale.ROOT, "== baseline db-batch-insert: JDBC batches of %d rows, %d connections, %d ms%n", batch, concurrency, duration.toMillis());
    db.reset();
    return jdbc(
        db,
        "db-batch-insert",
        "JDBC batch INSERT of " + batch + " rows, one commit per batch, " + db.describe(),
        batch,
        (c, worker, seq, payload) -> {
          try (PreparedStatement ps = c.prepareStatement(insertSql())) {
            for (int i = 0; i < batch; i++) {
              bind(ps, worker, seq + i, payload);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          c.commit();
          return batch;
        },
        false);
  }

  /** PostgreSQL COPY of {@code rows} rows per statement. */
  public BaselineResult copy(ScratchDb db, int rows) throws Exception {
    out.printf(Locale.ROOT, "== baseline db-copy: COPY of %d rows, %d connections, %d ms%n", rows, concurrency, duration.toMillis());
    db.reset();
    String sql =
        "COPY " + ScratchDb.TABLE + " (persistence_id, sequence_number, writer, write_timestamp, payload) FROM STDIN (FORMAT csv)";
    return jdbc(
        db,
        "db-copy",
        "COPY of " + rows + " rows per statement (CSV), " + db.describe(),
        rows,
        (c, worker, seq, payload) -> {
          String hex = "\\x" + HexFormat.of().formatHex(payload);
          StringBuilder csv = new StringBuilder(rows * (hex.length() + 48));
          long ts = System.currentTimeMillis();
          for (int i = 0; i < rows; i++) {
            csv.append("baseline-").append(worker).append(',').append(seq + i).append(",lt,").append(ts).append(',').append(hex).append('\n');
          }
          c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new StringReader(csv.toString()));
          return rows;
        },
        true);
  }

  private static String insertSql() {
    return "INSERT INTO "
        + ScratchDb.TABLE
        + " (persistence_id, sequence_number, writer, write_timestamp, payload) VALUES (?, ?, ?, ?, ?)";
  }

  private static void bind(PreparedStatement ps, int worker, long seq, byte[] payload) throws java.sql.SQLException {
    ps.setString(1, "baseline-" + worker);
    ps.setLong(2, seq);
    ps.setString(3, "lt");
    ps.setLong(4, System.currentTimeMillis());
    ps.setBytes(5, payload);
  }

  @FunctionalInterface
  private interface DbOperation {
    /** Writes rows from {@code seq} on; answers how many. */
    int run(Connection c, int worker, long seq, byte[] payload) throws Exception;
  }

  private BaselineResult jdbc(ScratchDb db, String name, String description, int rowsPerOp, DbOperation op, boolean autoCommit)
      throws Exception {
    Recorder recorder = new Recorder(1, OperationStats.MAX_MICROS, 3);
    AtomicLong rows = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long measureFrom = System.nanoTime() + warmup().toNanos();
    long end = measureFrom + duration.toNanos();
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int w = 0; w < concurrency; w++) {
      int worker = w;
      Thread t =
          new Thread(
              () -> {
                byte[] payload = new byte[PAYLOAD_BYTES];
                new Random(worker).nextBytes(payload);
                long seq = 1;
                try (Connection c = db.connect()) {
                  c.setAutoCommit(autoCommit);
                  while (true) {
                    long started = System.nanoTime();
                    if (started - end >= 0) {
                      break;
                    }
                    try {
                      int n = op.run(c, worker, seq, payload);
                      seq += n;
                      if (started - measureFrom >= 0) {
                        recorder.recordValue(Math.max(1, (System.nanoTime() - started) / 1000));
                        rows.addAndGet(n);
                      }
                    } catch (Exception e) {
                      seq += rowsPerOp;
                      errors.incrementAndGet();
                      if (!autoCommit) {
                        c.rollback();
                      }
                      if (errors.get() == 1) {
                        failures.add(e);
                      }
                    }
                  }
                } catch (Exception e) {
                  failures.add(e);
                }
              },
              name + "-" + w);
      workers.add(t);
      t.start();
    }
    long untilMeasure = measureFrom - System.nanoTime();
    if (untilMeasure > 0) {
      TimeUnit.NANOSECONDS.sleep(untilMeasure);
    }
    long selfStart = ProcCpu.selfNanos();
    for (Thread t : workers) {
      t.join();
    }
    long selfEnd = ProcCpu.selfNanos();
    if (!failures.isEmpty()) {
      out.println("   " + name + " failed: " + failures.get(0));
    }
    Histogram h = recorder.getIntervalHistogram();
    return result(name, description, "row", concurrency, h, rows.get(), errors.get(), null, (selfEnd - selfStart) / 1e9);
  }

  private BaselineResult result(
      String name,
      String description,
      String unit,
      int concurrency,
      Histogram h,
      long units,
      long errors,
      Double serverCpu,
      double generatorCpu) {
    double seconds = duration.toNanos() / 1e9;
    BaselineResult r =
        new BaselineResult(
            name,
            description,
            unit,
            concurrency,
            seconds,
            h.getTotalCount(),
            units,
            errors,
            units / seconds,
            OperationStats.ms(h.getValueAtPercentile(50)),
            OperationStats.ms(h.getValueAtPercentile(90)),
            OperationStats.ms(h.getValueAtPercentile(99)),
            OperationStats.ms(h.getValueAtPercentile(99.9)),
            OperationStats.ms(h.getMaxValue()),
            serverCpu,
            generatorCpu);
    out.printf(
        Locale.ROOT,
        "   %s: %.0f %ss/s, p50 %.2f ms, p99 %.2f ms, errors %d%n",
        name,
        r.throughput(),
        unit,
        r.p50Ms(),
        r.p99Ms(),
        errors);
    return r;
  }
}
