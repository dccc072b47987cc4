package io.rendan.load.scenario;

import io.rendan.load.metrics.OperationStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bidding scenario pushed past what the node sustains: the measured time
 * is cut in four equal phases, offering the rate given ({@code --rate}, meant
 * to be the sustainable one), then 3 times it, then 10 times it, then the rate
 * again. Each phase's bids are their own operation, so the report shows the
 * refusals ({@code 429 server:overloaded}, {@code bidding:round.overloaded})
 * and the latency of what was admitted per phase; the check adds how long after
 * the overload latency was back to normal (target: 30 s).
 *
 * <p>Every acknowledged bid must still be stored once.
 */
final class OverloadScenario implements Scenario {
  private static final int[] FACTORS = {1, 3, 10, 1};
  private final BiddingScenario bidding = new BiddingScenario(1000);
  private final OperationStats[] phase = new OperationStats[FACTORS.length];
  private ScenarioContext context;
  private volatile long measureFrom = Long.MIN_VALUE;
  private long phaseNanos;

  @Override
  public String name() {
    return "overload";
  }

  @Override
  public String description() {
    return "the bidding scenario at 1x, 3x, 10x, then 1x the given rate: refusals under overload, and the time back to normal";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    phase[0] = context.metrics().operation("bid.1x", "bids at the given rate, before the overload");
    phase[1] = context.metrics().operation("bid.3x", "bids at 3 times the rate");
    phase[2] = context.metrics().operation("bid.10x", "bids at 10 times the rate");
    phase[3] = context.metrics().operation("bid.after", "bids at the given rate again, after the overload");
    phaseNanos = context.duration().toNanos() / FACTORS.length;
    bidding.setUp(context);
  }

  private int phaseOf(long intendedNanos) {
    if (intendedNanos - measureFrom < 0) {
      return 0;
    }
    return (int) Math.min(FACTORS.length - 1, (intendedNanos - measureFrom) / phaseNanos);
  }

  @Override
  public void fire(long intendedNanos) {
    if (measureFrom == Long.MIN_VALUE) {
      measureFrom = intendedNanos + context.warmup().toNanos();
    }
    int p = phaseOf(intendedNanos);
    // k bids at the same intended instant: k times the rate, in bursts of k
    for (int k = 0; k < FACTORS[p]; k++) {
      bidding.fire(intendedNanos, phase[p]);
    }
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    bidding.drain(deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    Verification bids = bidding.verify();
    List<String> notes = new ArrayList<>();
    double normal = OperationStats.ms(phase[0].total().getValueAtPercentile(99));
    for (int p = 0; p < FACTORS.length; p++) {
      long refused =
          phase[p].errorsByCode().entrySet().stream()
              .filter(e -> e.getKey().equals("server:overloaded") || e.getKey().equals("bidding:round.overloaded"))
              .mapToLong(Map.Entry::getValue)
              .sum();
      notes.add(
          String.format(
              Locale.ROOT,
              "%s: %d acknowledged (p99 %.1f ms), %d refused with 429, %d other errors",
              phase[p].name(),
              phase[p].ok(),
              OperationStats.ms(phase[p].total().getValueAtPercentile(99)),
              refused,
              phase[p].errors() - refused));
    }
    // back to normal: the first second of the last phase whose p99 is within twice the first phase's (or 100 ms)
    double threshold = Math.max(2 * normal, 100);
    double afterStart = 3.0 * phaseNanos / 1e9;
    String back = "not within the run";
    for (OperationStats.Point point : phase[3].series()) {
      if (point.t() > afterStart && point.ok() > 0 && point.errors() == 0 && point.p99Ms() <= threshold) {
        back = String.format(Locale.ROOT, "%.1f s", point.t() - afterStart);
        break;
      }
    }
    notes.add("back to normal (a second with no error and p99 <= " + String.format(Locale.ROOT, "%.0f", threshold) + " ms) after the overload: " + back);
    notes.addAll(bids.notes());
    return new Verification(bids.passed(), bids.summary() + "; back to normal after " + back, bids.problems(), notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("phases", "1x, 3x, 10x, 1x the rate, each a quarter of the measured time");
    bidding.settings().forEach((k, v) -> s.put("bidding " + k, v));
    return s;
  }

  @Override
  public void close() {
    bidding.close();
  }
}
