package io.rendan.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock that a test moves by hand, for the entities, APIs and token checks
 * that take a {@link Clock}. {@code now} is a public field so that a test can
 * read or set the instant in one expression ({@code clock.now = START}); it is
 * volatile because the actors that read it run on other threads.
 */
public final class TestClock extends Clock {
  public volatile Instant now;

  public TestClock(Instant start) {
    this.now = start;
  }

  public void advance(Duration by) {
    now = now.plus(by);
  }

  public void set(Instant at) {
    now = at;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
