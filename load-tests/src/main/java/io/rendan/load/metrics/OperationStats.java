package io.rendan.load.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one kind of operation did during a scenario: latencies of the successful
 * ones in an HdrHistogram (microseconds), failures by error code, and one point
 * per second for the charts.
 *
 * <p>Latency is taken from the operation's <em>intended</em> start, the instant
 * the constant-rate schedule meant it to be sent, so time spent waiting behind a
 * slow server counts (no coordinated omission). Operations intended before the
 * end of the warm-up are counted apart and left out of every figure.
 */
public final class OperationStats {
  /** Longest latency the histograms hold: longer ones are clamped to it. */
  public static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

  private final String name;
  private final String description;
  private final Recorder recorder = new Recorder(1, MAX_MICROS, 3);
  private final Histogram total = new Histogram(1, MAX_MICROS, 3);
  private final LongAdder warmup = new LongAdder();
  private final AtomicLong intervalErrors = new AtomicLong();
  private final ConcurrentHashMap<String, LongAdder> errorsByCode = new ConcurrentHashMap<>();
  private final List<Point> series = new ArrayList<>();
  private volatile long measureFromNanos = Long.MIN_VALUE;
  private Histogram interval;

  /**
   * One interval of the run (a second, but the last one may be shorter): {@code t}
   * is its end in seconds since the measured part began; successes and errors
   * in it, as counts and per second; latencies of the successes in it.
   */
  public record Point(double t, double seconds, long ok, long errors, double okPerSecond, double p50Ms, double p99Ms, double maxMs) {}

  public OperationStats(String name, String description) {
    this.name = name;
    this.description = description;
  }

  public String name() {
    return name;
  }

  public String description() {
    return description;
  }

  void measureFrom(long nanos) {
    this.measureFromNanos = nanos;
  }

  /** A success of an operation meant to start at {@code intendedNanos} (System.nanoTime). */
  public void success(long intendedNanos) {
    long now = System.nanoTime();
    if (intendedNanos < measureFromNanos) {
      warmup.increment();
      return;
    }
    recorder.recordValue(clamp((now - intendedNanos) / 1_000));
  }

  /**
   * A success whose latency the caller measured itself (a push: from the
   * server's timestamp to its arrival); it counts if it arrived after the warm-up.
   */
  public void successWithLatency(long latencyMicros) {
    if (System.nanoTime() < measureFromNanos) {
      warmup.increment();
      return;
    }
    recorder.recordValue(clamp(latencyMicros));
  }

  /** A failure, by the API's stable error code or a {@code client:...} code of the load generator. */
  public void error(long intendedNanos, String code) {
    if (intendedNanos < measureFromNanos) {
      warmup.increment();
      return;
    }
    intervalErrors.incrementAndGet();
    errorsByCode.computeIfAbsent(code, c -> new LongAdder()).increment();
  }

  private static long clamp(long micros) {
    return Math.max(1, Math.min(MAX_MICROS, micros));
  }

  /** Closes the current interval, {@code seconds} long and ending at {@code t}: called by one thread at a time. */
  synchronized Point tick(double t, double seconds) {
    interval = recorder.getIntervalHistogram(interval);
    total.add(interval);
    Point p =
        new Point(
            t,
            seconds,
            interval.getTotalCount(),
            intervalErrors.getAndSet(0),
            seconds > 0 ? interval.getTotalCount() / seconds : 0,
            ms(interval.getValueAtPercentile(50)),
            ms(interval.getValueAtPercentile(99)),
            ms(interval.getMaxValue()));
    // a sliver of a second (the end of the drain) makes a meaningless rate: counted, not charted
    if (t > 0.05 && seconds >= 0.25) {
      series.add(p);
    }
    return p;
  }

  /** Everything recorded so far (up to the last tick). */
  public synchronized Histogram total() {
    return total.copy();
  }

  public synchronized List<Point> series() {
    return List.copyOf(series);
  }

  public long ok() {
    return total().getTotalCount();
  }

  public long errors() {
    return errorsByCode.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public long warmupCount() {
    return warmup.sum();
  }

  public Map<String, Long> errorsByCode() {
    Map<String, Long> out = new TreeMap<>();
    errorsByCode.forEach((code, n) -> out.put(code, n.sum()));
    return out;
  }

  public static double ms(long micros) {
    return micros / 1000.0;
  }
}
