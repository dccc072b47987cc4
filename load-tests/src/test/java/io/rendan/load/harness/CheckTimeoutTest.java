package io.rendan.load.harness;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.Options;
import io.rendan.load.metrics.ScenarioMetrics;
import io.rendan.load.scenario.Scenario;
import io.rendan.load.scenario.ScenarioContext;
import io.rendan.load.scenario.Verification;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A scenario's check that never ends fails after --check-timeout, saying what it had confirmed and where it waited. */
@Tag("unit")
class CheckTimeoutTest {
  private static final class StuckCheck implements Scenario {
    final CountDownLatch never = new CountDownLatch(1);
    ScenarioContext context;

    @Override
    public String name() {
      return "stuck";
    }

    @Override
    public String description() {
      return "a check that waits for an answer that never comes";
    }

    @Override
    public void setUp(ScenarioContext context) {
      this.context = context;
    }

    @Override
    public void fire(long intendedNanos) {}

    @Override
    public void drain(long deadlineNanos) {}

    @Override
    public Verification verify() throws Exception {
      context.checkProgress("7 of 9 rounds read");
      never.await();
      return Verification.nothingToCheck("unreachable");
    }

    @Override
    public Map<String, String> settings() {
      return Map.of();
    }

    @Override
    public void close() {}
  }

  @Test
  void aCheckThatNeverEndsFailsInTimeWithWhatItHadConfirmed() throws Exception {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    ScenarioContext context =
        new ScenarioContext(
            "t", null, null, null, new ScenarioMetrics("stuck", quiet), Options.parse(), 1, 1, true, quiet, Optional.empty(), Duration.ZERO, Duration.ZERO, 1);
    StuckCheck scenario = new StuckCheck();
    scenario.setUp(context);

    long start = System.nanoTime();
    Verification v = ScenarioRunner.verifyWithin(scenario, context, Duration.ofMillis(800));

    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(tookMillis < 3_000, "took " + tookMillis + " ms");
    assertFalse(v.passed());
    assertEquals("the check did not end within 800ms", v.summary());
    assertTrue(v.problems().get(0).contains("7 of 9 rounds read"), v.problems().toString());
    assertTrue(v.problems().get(1).contains("CheckTimeoutTest$StuckCheck.verify"), v.problems().toString());
    assertTrue(context.checkDeadline() - start < TimeUnit.MILLISECONDS.toNanos(800), "the reads' deadline comes before the runner's");
  }
}
