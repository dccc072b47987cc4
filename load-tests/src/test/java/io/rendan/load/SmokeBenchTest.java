package io.rendan.load;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.harness.Harness;
import io.rendan.load.report.OperationResult;
import io.rendan.load.report.ScenarioResult;
import io.rendan.load.scenario.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The harness in SMOKE mode, as part of {@code mvn verify}: it starts a node from
 * the server's jar on H2, measures the baselines, runs every scenario for a few
 * seconds at a low rate and checks that every acknowledged operation is stored
 * once. A failed check, a missing report, or a scenario that got nothing done
 * fails the build.
 */
@Tag("bench")
class SmokeBenchTest {
  @Test
  void everyScenarioRunsAndEveryAcknowledgedOperationIsStoredOnce() throws Exception {
    Path jar = Path.of(System.getProperty("rendan.server.jar", "../server/target/rendan-server.jar"));
    Path out = Path.of(System.getProperty("rendan.load.out", "target/smoke"));
    // every scenario on H2 but crash, which runs on PostgreSQL below: on H2 a kill -9 has lost
    // the last acknowledged writes now and then (docs/BENCHMARKS.md, "The crash finding"), an
    // open bug of the embedded database path, not of the scenario
    // (the cluster scenarios need bench --cluster 3: three more JVMs, not part of the smoke run)
    java.util.List<String> scenarios = Scenarios.defaults().stream().filter(n -> !n.equals("crash")).toList();
    String[] args = {
      "bench", "--smoke", "--scenario", String.join(",", scenarios), "--server-jar", jar.toString(), "--out", out.toString()
    };

    Harness.Outcome outcome = bench(args, out);

    for (String file : new String[] {"report.txt", "report.json", "report.html", "node.log"}) {
      assertTrue(Files.size(out.resolve(file)) > 0, file + " was not written");
    }
    assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"), "report.html has no chart");
    assertTrue(Files.readString(out.resolve("report.json")).contains("\"verification\""));

    assertEquals(scenarios, outcome.report().scenarios().stream().map(ScenarioResult::name).toList());
    for (ScenarioResult s : outcome.report().scenarios()) {
      assertTrue(s.verification().passed(), s.name() + ": " + s.verification().summary() + " " + s.verification().problems());
      OperationResult primary = s.operations().get(0);
      assertTrue(primary.ok() > 0, s.name() + ": no operation succeeded");
      assertNotNull(s.serverCpuSeconds(), s.name() + ": the node's CPU time was not read");
    }
    // wrk runs beside http-trivial where it is installed; without it the report says so in a note
    boolean wrk = io.rendan.load.baseline.Wrk.find().isPresent();
    assertEquals(
        wrk
            ? java.util.List.of("http-trivial", "wrk", "naive-peer", "db-insert-commit", "db-batch-insert")
            : java.util.List.of("http-trivial", "naive-peer", "db-insert-commit", "db-batch-insert"),
        outcome.report().baselines().stream().map(b -> b.name()).toList());
    if (!wrk) {
      assertTrue(outcome.report().notes().stream().anyMatch(n -> n.contains("wrk is not on PATH")), "no note that wrk is missing");
    }
    assertTrue(outcome.report().baselines().stream().allMatch(b -> b.operations() > 0), "a baseline measured nothing");
  }

  @Test
  void aKillOfTheNodeOnPostgresLosesNothingAcknowledged() throws Exception {
    Path jar = Path.of(System.getProperty("rendan.server.jar", "../server/target/rendan-server.jar"));
    Path out = Path.of(System.getProperty("rendan.load.out", "target/smoke")).resolveSibling("smoke-crash");
    String[] args = {
      "bench", "--smoke", "--db", "postgres", "--scenario", "crash", "--no-baselines", "--server-jar", jar.toString(), "--out", out.toString()
    };
    Harness.Outcome outcome = bench(args, out);
    ScenarioResult crash = outcome.report().scenarios().get(0);
    assertEquals("crash", crash.name());
    assertTrue(crash.verification().passed(), crash.verification().summary() + " " + crash.verification().problems());
    assertTrue(crash.operations().get(0).ok() > 0, "no bid was acknowledged");
  }

  /** Runs the harness, keeping its console in {@code out/console.txt} beside the report, whatever happens. */
  private static Harness.Outcome bench(String[] args, Path out) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream printed = new PrintStream(console, true, StandardCharsets.UTF_8);
    try {
      return new Harness(new PrintStream(new Tee(printed, System.out), true)).bench(Options.parse(args), "smoke test");
    } finally {
      Files.createDirectories(out);
      Files.writeString(out.resolve("console.txt"), console.toString(StandardCharsets.UTF_8));
    }
  }

  /** Keeps the console of the run in a file beside the report, and shows it too. */
  private static final class Tee extends java.io.OutputStream {
    private final PrintStream a;
    private final PrintStream b;

    Tee(PrintStream a, PrintStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] buf, int off, int len) {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
