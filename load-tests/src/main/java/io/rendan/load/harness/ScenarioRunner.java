package io.rendan.load.harness;

import io.rendan.load.Options;
import io.rendan.load.client.Api;
import io.rendan.load.client.Tokens;
import io.rendan.load.metrics.ScenarioMetrics;
import io.rendan.load.report.OperationResult;
import io.rendan.load.report.ScenarioResult;
import io.rendan.load.scenario.Scenario;
import io.rendan.load.scenario.ScenarioContext;
import io.rendan.load.scenario.Scenarios;
import io.rendan.load.scenario.Verification;
import java.io.PrintStream;
import io.rendan.load.client.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one scenario: set-up, then the open-model driver, which starts operations
 * on a fixed schedule (operation i is meant to start at start + i/rate, whether
 * or not earlier ones were answered), then drain, end-of-run check and report.
 */
public final class ScenarioRunner {
  /** How a run is paced and where it goes. */
  public record Plan(
      double rate,
      Duration warmup,
      Duration duration,
      Duration drainTimeout,
      int connections,
      int backlog,
      boolean smoke) {}

  private final Api api;
  private final Tokens tokens;
  private final WsClient http;
  private final Options options;
  private final PrintStream out;
  private final OptionalLong serverPid;
  private final Optional<ScenarioContext.NodeControl> node;
  private final String runId;
  private List<Api> clusterNodes;
  private ScenarioContext.ClusterControl cluster;

  public ScenarioRunner(
      Api api,
      Tokens tokens,
      WsClient http,
      Options options,
      PrintStream out,
      OptionalLong serverPid,
      Optional<ScenarioContext.NodeControl> node,
      String runId) {
    this.api = api;
    this.tokens = tokens;
    this.http = http;
    this.options = options;
    this.out = out;
    this.serverPid = serverPid;
    this.node = node;
    this.runId = runId;
  }

  /** Scenarios spread their clients over these nodes of one cluster, and may kill or restart them. */
  public ScenarioRunner withCluster(List<Api> nodes, ScenarioContext.ClusterControl control) {
    this.clusterNodes = List.copyOf(nodes);
    this.cluster = control;
    return this;
  }

  public ScenarioResult run(String name, Plan plan) throws Exception {
    return run(Scenarios.create(name), plan);
  }

  public ScenarioResult run(Scenario created, Plan plan) throws Exception {
    String name = created.name();
    if (plan.rate() <= 0) {
      created.close();
      throw new IllegalArgumentException("the rate must be above 0 per second");
    }
    ScenarioMetrics metrics = new ScenarioMetrics(name, out);
    ScenarioContext context =
        new ScenarioContext(
            runId, api, tokens, http, metrics, options, plan.connections(), plan.backlog(), plan.smoke(), out, node, plan.warmup(), plan.duration(), plan.rate());
    if (cluster != null) {
      context.withCluster(clusterNodes, cluster);
    }
    try (context;
        Scenario scenario = created) {
      out.printf(Locale.ROOT, "== %s: %s%n", name, scenario.description());
      scenario.setUp(context);
      out.printf(
          Locale.ROOT,
          "== %s: %.0f/s for %s after a warm-up of %s%n",
          name,
          plan.rate(),
          human(plan.duration()),
          human(plan.warmup()));

      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      long measureFrom = start + plan.warmup().toNanos();
      long end = measureFrom + plan.duration().toNanos();
      metrics.start(measureFrom);
      long serverCpuStart = -1;
      long serverJitStart = -1;
      long generatorCpuStart = -1;
      boolean measuring = false;
      long offeredMeasured = 0;
      double period = 1e9 / plan.rate();
      for (long i = 0; ; i++) {
        long intended = start + (long) (i * period);
        if (intended - end >= 0) {
          break;
        }
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        if (!measuring && intended - measureFrom >= 0) {
          measuring = true;
          serverCpuStart = serverCpu();
          serverJitStart = serverJit();
          generatorCpuStart = ProcCpu.selfNanos();
        }
        if (measuring) {
          offeredMeasured++;
        }
        metrics.offered();
        scenario.fire(intended);
      }
      if (!measuring) {
        serverCpuStart = serverCpu();
        serverJitStart = serverJit();
        generatorCpuStart = ProcCpu.selfNanos();
      }
      scenario.drain(System.nanoTime() + plan.drainTimeout().toNanos());
      long serverCpuEnd = serverCpu();
      long serverJitEnd = serverJit();
      long generatorCpuEnd = ProcCpu.selfNanos();
      metrics.stop();

      out.printf(Locale.ROOT, "== %s: checking that every acknowledged operation is stored, and none twice%n", name);
      Verification verification = verifyWithin(scenario, context, options.getDuration("check-timeout", DEFAULT_CHECK_TIMEOUT));
      out.printf(Locale.ROOT, "== %s: %s: %s%n", name, verification.passed() ? "PASS" : "FAIL", verification.summary());
      verification.problems().forEach(p -> out.println("   problem: " + p));
      verification.notes().forEach(n -> out.println("   note: " + n));

      double seconds = plan.duration().toNanos() / 1e9;
      List<OperationResult> operations = new ArrayList<>();
      metrics.operations().forEach(op -> operations.add(OperationResult.of(op, seconds)));
      Double serverCpu =
          serverCpuStart >= 0 && serverCpuEnd >= 0 ? (serverCpuEnd - serverCpuStart) / 1e9 : null;
      Double serverJit =
          serverJitStart >= 0 && serverJitEnd >= 0 ? Math.max(0, serverJitEnd - serverJitStart) / 1e9 : null;
      return new ScenarioResult(
          name,
          scenario.description(),
          plan.rate(),
          seconds,
          plan.warmup().toNanos() / 1e9,
          offeredMeasured,
          operations,
          metrics.offeredSeries(),
          serverCpu,
          serverJit,
          (generatorCpuEnd - generatorCpuStart) / 1e9,
          scenario.settings(),
          verification);
    } finally {
      metrics.close();
    }
  }

  /**
   * Runs the scenario's check within {@code timeout}: its reads give up a little
   * before (and name what they could not confirm); a check that still has not
   * ended then fails with what it had confirmed and where it waited.
   */
  static Verification verifyWithin(Scenario scenario, ScenarioContext context, Duration timeout) throws Exception {
    long start = System.nanoTime();
    long margin = Math.min(timeout.toNanos() / 10, TimeUnit.SECONDS.toNanos(15));
    context.startCheck(start + timeout.toNanos() - margin);
    FutureTask<Verification> check = new FutureTask<>(scenario::verify);
    Thread thread = new Thread(check, scenario.name() + "-check");
    thread.setDaemon(true);
    thread.start();
    try {
      return check.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (TimeoutException e) {
      List<String> problems = new ArrayList<>();
      String progress = context.checkProgress();
      problems.add("still unconfirmed when the time ran out; confirmed so far: " + (progress.isEmpty() ? "nothing the scenario reported" : progress));
      StringBuilder where = new StringBuilder("the check was waiting in");
      for (StackTraceElement frame : thread.getStackTrace()) {
        if (frame.getClassName().startsWith("io.rendan.")) {
          where.append(' ').append(frame.getClassName().substring(frame.getClassName().lastIndexOf('.') + 1)).append('.').append(frame.getMethodName()).append(':').append(frame.getLineNumber());
          break;
        }
      }
      problems.add(where.toString());
      thread.interrupt();
      return new Verification(false, "the check did not end within " + human(timeout), problems, List.of());
    }
  }

  /** {@code --check-timeout}: how long an end-of-run check may take. */
  static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofMinutes(3);

  /** CPU of the node's JIT compiler threads so far (a restarted node starts again from zero); -1 when unknown. */
  private long serverJit() {
    OptionalLong pid = node.isPresent() ? OptionalLong.of(node.get().pid()) : serverPid;
    return pid.isPresent() ? ProcCpu.jitNanos(pid.getAsLong()) : -1;
  }

  /** The node's CPU so far: through the node the harness runs (restarts included), else from /proc by pid. */
  private long serverCpu() {
    if (node.isPresent()) {
      return node.get().cpuNanos();
    }
    return serverPid.isPresent() ? ProcCpu.nanos(serverPid.getAsLong()) : -1;
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}
