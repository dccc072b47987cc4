package io.rendan.vocabulary;

/** What a member's target counts. */
public enum Metric {
  REVENUE,
  CYCLES,
  UPTIME,
  REPORTED
}
