package io.rendan.painpoint;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;

/**
 * When repeated appliance faults open a pain point by themselves: the same fault
 * code reported {@code repeats} times by one appliance within {@code window} of
 * business time ({@code rendan.painpoint.fault-rule}). Once such a pain point is
 * open, every later report of that code by that appliance adds to it instead of
 * opening another, until it is declined, merged or resolved; the next pain point
 * takes {@code repeats} reports again.
 */
public record FaultRule(int repeats, Duration window) {
  public FaultRule {
    if (repeats < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("rendan.painpoint.fault-rule: repeats must be at least 1 and the window positive");
    }
  }

  public static FaultRule from(Config config) {
    Config rule = config.getConfig("rendan.painpoint.fault-rule");
    return new FaultRule(rule.getInt("repeats"), rule.getDuration("window"));
  }

  /** Whether {@code reportsInWindow} reports of one code (the latest included) open a pain point. */
  public boolean opens(int reportsInWindow) {
    return reportsInWindow >= repeats;
  }

  /** The earliest report that still counts with one made at {@code at}: the window ends at it. */
  public Instant windowStart(Instant at) {
    return at.minus(window);
  }

  /** The window as a pain point's text gives it: "24 hours", "90 minutes", "45 seconds". */
  public String windowText() {
    if (window.toSeconds() % 3600 == 0) {
      return plural(window.toHours(), "hour");
    }
    if (window.toSeconds() % 60 == 0) {
      return plural(window.toMinutes(), "minute");
    }
    return plural(Math.max(1, window.toSeconds()), "second");
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }
}
