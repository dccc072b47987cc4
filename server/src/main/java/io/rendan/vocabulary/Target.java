package io.rendan.vocabulary;

/** A member's target per period: an amount of a metric. */
public record Target(Metric metric, long amount) {}
