package io.rendan.load.scenario;

import io.rendan.load.metrics.OperationStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code kill -9} of the node under load: bids over WebSocket (the bidding
 * scenario) and appliances streaming readings (the telemetry scenario) run
 * together; halfway through the measured time the node is killed with SIGKILL
 * and started again on the same database and port. Bidders reconnect, devices
 * reconnect and resend from their last ack. The time from the restart to
 * {@code /health/ready} is reported as {@code node.restart}.
 *
 * <p>Check: the bidding and telemetry checks, over the whole run: every bid
 * acknowledged before or after the crash is in its round once, every reading
 * acked is stored and none is counted twice. Needs a node the harness started
 * ({@code bench}).
 */
final class CrashScenario implements Scenario {
  private final BiddingScenario bidding = new BiddingScenario(500);
  private final TelemetryScenario telemetry = new TelemetryScenario(TelemetryScenario.Mode.STREAM);
  private ScenarioContext context;
  private OperationStats restart;
  private final AtomicInteger fired = new AtomicInteger();
  private volatile long killAt = Long.MAX_VALUE;
  private volatile boolean killed;
  private volatile Duration readyAfter;
  private volatile String failure;
  private Thread killer;

  @Override
  public String name() {
    return "crash";
  }

  @Override
  public String description() {
    return "bids and telemetry, kill -9 of the node halfway, restart on the same database; nothing acknowledged lost or counted twice";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    if (context.node().isEmpty()) {
      throw new IllegalStateException("the crash scenario kills and restarts the node: run it with bench, which starts the node");
    }
    this.context = context;
    bidding.setUp(context);
    telemetry.setUp(context);
    restart = context.metrics().operation("node.restart", "kill -9, then start again on the same database until /health/ready answers");
  }

  @Override
  public void fire(long intendedNanos) {
    if (killAt == Long.MAX_VALUE) {
      killAt = intendedNanos + context.warmup().toNanos() + context.duration().toNanos() / 2;
    }
    if (!killed && intendedNanos - killAt >= 0) {
      killed = true;
      killer = new Thread(this::killAndRestart, "crash-killer");
      killer.start();
    }
    // half of the operations are bids; the device fleet paces the readings itself
    if (fired.getAndIncrement() % 2 == 0) {
      bidding.fire(intendedNanos);
    } else {
      telemetry.fire(intendedNanos);
    }
  }

  private void killAndRestart() {
    try {
      context.log().println("crash: kill -9 of the node, pid " + context.node().get().pid());
      readyAfter = context.node().get().killAndRestart();
      restart.successWithLatency(readyAfter.toNanos() / 1_000);
      context.log().printf(Locale.ROOT, "crash: the node is ready again after %.1f s (pid %d)%n", readyAfter.toMillis() / 1000.0, context.node().get().pid());
    } catch (Exception e) {
      failure = "the node did not come back: " + e;
      context.log().println("crash: " + failure);
      return;
    }
    // A node just back from a crash replays its entities on first use and may answer
    // slowly for a while: the bidders reconnect as real clients would, with retries.
    long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    for (int attempt = 1; ; attempt++) {
      try {
        bidding.openConnections();
        return;
      } catch (Exception e) {
        if (System.nanoTime() - giveUp >= 0) {
          failure = "the bidders could not reconnect within 60 s: " + e;
          context.log().println("crash: " + failure);
          return;
        }
        context.log().println("crash: reconnecting the bidders failed (attempt " + attempt + "), retrying: " + e);
        try {
          Thread.sleep(Math.min(5_000, 500L * attempt));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    if (killer != null) {
      killer.join();
    }
    bidding.drain(deadlineNanos);
    telemetry.drain(deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    Verification bids = bidding.verify();
    Verification readings = telemetry.verify();
    List<String> problems = new ArrayList<>();
    if (failure != null) {
      problems.add(failure);
    }
    if (!killed) {
      problems.add("the run ended before the kill");
    }
    problems.addAll(bids.problems());
    problems.addAll(readings.problems());
    List<String> notes = new ArrayList<>();
    notes.add(readyAfter == null ? "no restart" : String.format(Locale.ROOT, "ready %.1f s after the restart", readyAfter.toMillis() / 1000.0));
    bids.notes().forEach(n -> notes.add("bids: " + n));
    readings.notes().forEach(n -> notes.add("readings: " + n));
    boolean passed = failure == null && killed && bids.passed() && readings.passed();
    return new Verification(passed, "after kill -9 and restart: " + bids.summary() + "; " + readings.summary(), problems, notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("kill", "SIGKILL halfway through the measured time, then restart on the same database and port");
    bidding.settings().forEach((k, v) -> s.put("bidding " + k, v));
    telemetry.settings().forEach((k, v) -> s.put("telemetry " + k, v));
    return s;
  }

  @Override
  public void close() {
    bidding.close();
    telemetry.close();
  }
}
