package io.rendan.appliance;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A token bucket per device on this node, shared by the device's streams so
 * that reconnecting does not refill it. A bucket that has filled up again is
 * forgotten by {@link #sweep}: recreating it later gives the same answer.
 */
final class DeviceRateLimits {
  private final double tokensPerNano;
  private final double burst;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  DeviceRateLimits(double ratePerSecond, int burst) {
    if (ratePerSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rendan.appliance.ingest: rate-per-second must be positive and burst at least 1");
    }
    this.tokensPerNano = ratePerSecond / TimeUnit.SECONDS.toNanos(1);
    this.burst = burst;
  }

  Bucket bucket(String applianceId) {
    return buckets.computeIfAbsent(applianceId, id -> new Bucket(System.nanoTime()));
  }

  /** Forgets the buckets that are full again. */
  void sweep() {
    long now = System.nanoTime();
    buckets.values().removeIf(b -> b.fullAt(now));
  }

  int size() {
    return buckets.size();
  }

  final class Bucket {
    private double tokens = burst;
    private long updatedAt;

    private Bucket(long now) {
      updatedAt = now;
    }

    /** Takes one token if there is one. */
    synchronized boolean tryTake(long now) {
      refill(now);
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    /** Seconds until one token is there again (rounded up, at least 1). */
    synchronized long retryAfterSeconds(long now) {
      refill(now);
      double missing = Math.max(0, 1 - tokens);
      return Math.max(1, (long) Math.ceil(missing / tokensPerNano / TimeUnit.SECONDS.toNanos(1)));
    }

    private synchronized boolean fullAt(long now) {
      refill(now);
      return tokens >= burst;
    }

    private void refill(long now) {
      long elapsed = now - updatedAt;
      if (elapsed > 0) {
        tokens = Math.min(burst, tokens + elapsed * tokensPerNano);
        updatedAt = now;
      }
    }
  }
}
