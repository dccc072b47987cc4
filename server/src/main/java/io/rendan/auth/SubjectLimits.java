package io.rendan.auth;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What one authenticated subject may use: requests per second (a token bucket:
 * {@code ratePerSecond} sustained, {@code burst} at once) and WebSocket
 * connections open at the same time. A subject that hits a limit is refused
 * alone; others keep their own buckets.
 *
 * <p>The state is bounded: a bucket left idle long enough to be full again is
 * indistinguishable from a new one and is dropped by a sweep; connection counts
 * are dropped when they reach zero. If {@code maxSubjects} busy buckets are
 * tracked anyway (many subjects at once), further subjects share one overflow
 * bucket rather than making the node hold more.
 */
public final class SubjectLimits {
  /** rendan.limits */
  public record Settings(double ratePerSecond, int burst, int maxWsConnections, int maxSubjects) {
    public Settings {
      if (ratePerSecond <= 0 || burst < 1 || maxWsConnections < 1 || maxSubjects < 1) {
        throw new IllegalArgumentException("rendan.limits: rates, burst and maxima must be positive");
      }
    }
  }

  /** Unlimited enough for code paths (tests) that do not configure limits. */
  public static final Settings GENEROUS = new Settings(1_000_000, 1_000_000, 1_000_000, 100_000);
  private static final String OVERFLOW = "\u0000overflow";

  private final Settings settings;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final long idleNanos;
  private volatile long nextSweep;

  public SubjectLimits(Settings settings) {
    this(settings, System::nanoTime);
  }

  SubjectLimits(Settings settings, LongSupplier nanoClock) {
    this.settings = settings;
    this.nanoClock = nanoClock;
    // after this long without requests a bucket is full again: forgetting it changes nothing
    this.idleNanos = (long) Math.ceil(settings.burst() / settings.ratePerSecond() * 1e9);
    this.nextSweep = nanoClock.getAsLong() + Math.max(idleNanos, Duration.ofSeconds(1).toNanos());
  }

  public Settings settings() {
    return settings;
  }

  /** Takes one request from the subject's bucket: {@link Duration#ZERO} when allowed, else how long until one is. */
  public Duration acquire(String subject) {
    long now = nanoClock.getAsLong();
    sweepIfDue(now);
    Bucket bucket = buckets.get(subject);
    if (bucket == null) {
      if (buckets.size() >= settings.maxSubjects()) {
        sweep(now);
      }
      String key = buckets.size() >= settings.maxSubjects() ? OVERFLOW : subject;
      bucket = buckets.computeIfAbsent(key, k -> new Bucket(settings.burst(), now));
    }
    return bucket.take(now, settings);
  }

  /** Counts a new WebSocket connection of the subject; false (and nothing counted) when it has its maximum open. */
  public boolean openConnection(String subject) {
    boolean[] opened = {false};
    connections.compute(
        subject,
        (s, count) -> {
          AtomicInteger c = count == null ? new AtomicInteger() : count;
          if (c.get() < settings.maxWsConnections()) {
            c.incrementAndGet();
            opened[0] = true;
          }
          return c.get() == 0 ? null : c;
        });
    return opened[0];
  }

  public void closeConnection(String subject) {
    connections.computeIfPresent(subject, (s, count) -> count.decrementAndGet() <= 0 ? null : count);
  }

  /** Subjects with state held: for tests of the bound. */
  int trackedSubjects() {
    return buckets.size() + connections.size();
  }

  private void sweepIfDue(long now) {
    if (now - nextSweep >= 0) {
      nextSweep = now + Math.max(idleNanos, Duration.ofSeconds(1).toNanos());
      sweep(now);
    }
  }

  private void sweep(long now) {
    for (Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue().idleSince(now) >= idleNanos) {
        it.remove();
      }
    }
  }

  private static final class Bucket {
    private double tokens;
    private long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }

    synchronized Duration take(long now, Settings settings) {
      tokens = Math.min(settings.burst(), tokens + (now - refilledAt) / 1e9 * settings.ratePerSecond());
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return Duration.ZERO;
      }
      return Duration.ofNanos((long) Math.ceil((1 - tokens) / settings.ratePerSecond() * 1e9));
    }

    synchronized long idleSince(long now) {
      return now - refilledAt;
    }
  }
}
