package io.rendan.load.harness;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.Options;
import io.rendan.load.metrics.OperationStats;
import io.rendan.load.report.OperationResult;
import io.rendan.load.report.ScenarioResult;
import io.rendan.load.scenario.Scenario;
import io.rendan.load.scenario.ScenarioContext;
import io.rendan.load.scenario.Verification;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The driver's promise: load is offered on schedule whatever the server does,
 * and latency counts from the intended send time. A server that stalls once
 * for 500 ms must show up as every operation meant to start during the stall
 * waiting for its end, not as a single slow one (coordinated omission).
 */
@Tag("unit")
class OpenModelTest {
  private static final long STALL_MILLIS = 500;

  /** Answers at once, except that everything meant to start in one 500 ms window is answered at its end. */
  private static final class StallingScenario implements Scenario {
    private final ScheduledExecutorService server = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong fired = new AtomicLong();
    private OperationStats op;
    private long stallStart;

    @Override
    public String name() {
      return "stalling";
    }

    @Override
    public String description() {
      return "a fake server that stalls once";
    }

    @Override
    public void setUp(ScenarioContext context) {
      op = context.metrics().operation("fake.op", "answered at once, or at the end of the stall");
      stallStart = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
    }

    @Override
    public void fire(long intendedNanos) {
      fired.incrementAndGet();
      long stallEnd = stallStart + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
      long delay = intendedNanos >= stallStart && intendedNanos < stallEnd ? stallEnd - System.nanoTime() : 0;
      server.schedule(
          () -> {
            op.success(intendedNanos);
            answered.incrementAndGet();
          },
          Math.max(0, delay),
          TimeUnit.NANOSECONDS);
    }

    @Override
    public void drain(long deadlineNanos) throws InterruptedException {
      while (answered.get() < fired.get() && System.nanoTime() < deadlineNanos) {
        Thread.sleep(10);
      }
    }

    @Override
    public Verification verify() {
      return Verification.nothingToCheck("fake");
    }

    @Override
    public Map<String, String> settings() {
      return Map.of();
    }

    @Override
    public void close() {
      server.shutdownNow();
    }
  }

  @Test
  void operationsMeantToStartDuringAStallWaitForItsEndAndTheScheduleGoesOn() throws Exception {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    ScenarioRunner runner =
        new ScenarioRunner(null, null, null, Options.parse(), quiet, OptionalLong.empty(), Optional.empty(), "t");
    ScenarioResult result =
        runner.run(
            new StallingScenario(),
            new ScenarioRunner.Plan(200, Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(10), 1, 10, true));

    OperationResult op = result.operations().get(0);
    assertEquals(400, result.offered(), "the schedule offers rate x duration whatever the answers");
    assertEquals(400, op.ok());
    // about 100 of 400 operations were meant to start during the stall: the slowest
    // waited all of it, and the slowest tenth waited more than a fifth of it
    assertTrue(op.maxMs() >= STALL_MILLIS * 0.9, "max " + op.maxMs());
    assertTrue(op.p90Ms() >= STALL_MILLIS * 0.2, "p90 " + op.p90Ms());
  }
}
