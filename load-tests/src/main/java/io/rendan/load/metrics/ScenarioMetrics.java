package io.rendan.load.metrics;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The operations of one scenario run, the count of operations offered, and the
 * once-a-second ticker that closes an interval and prints progress: offered and
 * achieved rate, errors, and p50/p99 so far.
 */
public final class ScenarioMetrics implements AutoCloseable {
  private final String scenario;
  private final PrintStream progress;
  private final Map<String, OperationStats> operations = new LinkedHashMap<>();
  private final AtomicLong offered = new AtomicLong();
  private final List<double[]> offeredSeries = new ArrayList<>();
  private ScheduledExecutorService ticker;
  private long measureFromNanos;
  private long lastOffered;
  private long lastTickNanos;
  private volatile boolean started;

  public ScenarioMetrics(String scenario, PrintStream progress) {
    this.scenario = scenario;
    this.progress = progress;
  }

  /** Declares an operation; done in the scenario's set-up, before the ticker starts. */
  public synchronized OperationStats operation(String name, String description) {
    if (started) {
      throw new IllegalStateException("operations are declared before the run starts");
    }
    return operations.computeIfAbsent(name, n -> new OperationStats(n, description));
  }

  public synchronized List<OperationStats> operations() {
    return List.copyOf(operations.values());
  }

  /** Called by the driver each time it starts an operation. */
  public void offered() {
    offered.incrementAndGet();
  }

  /** [t, operations offered in that second] per second of the measured part. */
  public synchronized List<double[]> offeredSeries() {
    return List.copyOf(offeredSeries);
  }

  /** Starts the ticker; operations intended before {@code measureFromNanos} are warm-up. */
  public synchronized void start(long measureFromNanos) {
    this.measureFromNanos = measureFromNanos;
    operations.values().forEach(op -> op.measureFrom(measureFromNanos));
    started = true;
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "load-ticker");
              t.setDaemon(true);
              return t;
            });
    // ticks fall on whole seconds from the start of the measured part, so that
    // no interval straddles warm-up and measurement
    long second = TimeUnit.SECONDS.toNanos(1);
    long now = System.nanoTime();
    lastTickNanos = now;
    long delay = Math.floorMod(measureFromNanos - now, second);
    if (delay < second / 10) {
      delay += second;
    }
    ticker.scheduleAtFixedRate(this::tick, delay, second, TimeUnit.NANOSECONDS);
  }

  /** Closes the last interval; the figures are final after this. */
  public synchronized void stop() {
    if (ticker != null) {
      ticker.shutdownNow();
      try {
        ticker.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ticker = null;
      tick();
    }
  }

  private synchronized void tick() {
    long now = System.nanoTime();
    double t = (now - measureFromNanos) / 1e9;
    double seconds = (now - lastTickNanos) / 1e9;
    lastTickNanos = now;
    long offeredNow = offered.get();
    double offeredPerSecond = seconds > 0 ? (offeredNow - lastOffered) / seconds : 0;
    lastOffered = offeredNow;
    boolean warmup = t <= 0.05;
    if (!warmup && seconds >= 0.25) {
      offeredSeries.add(new double[] {t, offeredPerSecond});
    }
    StringBuilder line = new StringBuilder();
    line.append(String.format(Locale.ROOT, "[%s %5.1fs%s] offered %6.0f/s", scenario, t, warmup ? " warm-up" : "", offeredPerSecond));
    for (OperationStats op : operations.values()) {
      OperationStats.Point p = op.tick(t, seconds);
      Histogram total = op.total();
      line.append(
          String.format(
              Locale.ROOT,
              " | %s %6.0f/s err %d p50 %s p99 %s",
              op.name(),
              p.okPerSecond(),
              op.errors(),
              fmtMs(total.getValueAtPercentile(50)),
              fmtMs(total.getValueAtPercentile(99))));
    }
    progress.println(line);
  }

  static String fmtMs(long micros) {
    double ms = micros / 1000.0;
    return ms < 10 ? String.format(Locale.ROOT, "%.2fms", ms) : String.format(Locale.ROOT, "%.0fms", ms);
  }

  @Override
  public void close() {
    stop();
  }
}
