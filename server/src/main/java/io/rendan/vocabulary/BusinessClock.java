package io.rendan.vocabulary;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock that drives deadlines and periods. At speed 1 it is the real UTC
 * clock. Faster, for demos and load tests, business time runs {@code speed}
 * times as fast as real time from a fixed origin: {@code origin + (real -
 * origin) * speed}. Being a pure function of real time, it is the same on every
 * node and keeps going forward across restarts.
 */
public final class BusinessClock extends Clock {
  private final Clock real;
  private final Instant origin;
  private final double speed;

  public BusinessClock(Clock real, Instant origin, double speed) {
    if (!(speed >= 1.0) || speed > 1_000_000) {
      throw new IllegalArgumentException("rendan.clock.speed must be between 1 and 1000000, not " + speed);
    }
    this.real = real;
    this.origin = origin;
    this.speed = speed;
  }

  public static BusinessClock realTime() {
    return new BusinessClock(Clock.systemUTC(), Instant.EPOCH, 1.0);
  }

  @Override
  public Instant instant() {
    Instant now = real.instant();
    if (speed == 1.0) {
      return now;
    }
    long realNanos = Duration.between(origin, now).toNanos();
    return origin.plusNanos((long) (realNanos * speed));
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  public double speed() {
    return speed;
  }

  /** How long to wait in real time until {@code business} has passed on this clock. */
  public Duration toReal(Duration business) {
    if (business.isNegative()) {
      return Duration.ZERO;
    }
    return speed == 1.0 ? business : Duration.ofNanos((long) (business.toNanos() / speed));
  }

  /** The real-time delay of a timer due at {@code due} on {@code clock}, whatever kind of clock it is. */
  public static Duration delayUntil(Clock clock, Instant due) {
    Duration business = Duration.between(clock.instant(), due);
    if (clock instanceof BusinessClock bc) {
      return bc.toReal(business);
    }
    return business.isNegative() ? Duration.ZERO : business;
  }
}
