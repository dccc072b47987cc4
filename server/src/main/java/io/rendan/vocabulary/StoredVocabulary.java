package io.rendan.vocabulary;

import io.rendan.protocol.persistence.v1.TargetMetric;

/**
 * The shared words as the journal stores them ({@code rendan/persistence/v1}): the
 * one mapping of {@link Side} and {@link Metric} that the ME, EMC and round
 * serializers all use, so that none of them reaches into another's serializer.
 */
public final class StoredVocabulary {
  private StoredVocabulary() {}

  public static TargetMetric metric(Metric m) {
    return switch (m) {
      case REVENUE -> TargetMetric.TARGET_METRIC_REVENUE;
      case CYCLES -> TargetMetric.TARGET_METRIC_CYCLES;
      case UPTIME -> TargetMetric.TARGET_METRIC_UPTIME;
      case REPORTED -> TargetMetric.TARGET_METRIC_REPORTED;
    };
  }

  public static Metric metric(TargetMetric m) {
    return switch (m) {
      case TARGET_METRIC_REVENUE -> Metric.REVENUE;
      case TARGET_METRIC_CYCLES -> Metric.CYCLES;
      case TARGET_METRIC_UPTIME -> Metric.UPTIME;
      case TARGET_METRIC_REPORTED -> Metric.REPORTED;
      default -> throw new IllegalArgumentException("stored target metric " + m);
    };
  }

  /** {@code SIDE_UNSPECIFIED} for no side (an ended membership stores none). */
  public static io.rendan.protocol.persistence.v1.Side side(Side s) {
    if (s == null) {
      return io.rendan.protocol.persistence.v1.Side.SIDE_UNSPECIFIED;
    }
    return switch (s) {
      case EXPERIENCE -> io.rendan.protocol.persistence.v1.Side.SIDE_EXPERIENCE;
      case SOLUTION -> io.rendan.protocol.persistence.v1.Side.SIDE_SOLUTION;
    };
  }

  /** {@code null} for an unspecified side (an ended membership stores none). */
  public static Side side(io.rendan.protocol.persistence.v1.Side s) {
    return switch (s) {
      case SIDE_EXPERIENCE -> Side.EXPERIENCE;
      case SIDE_SOLUTION -> Side.SOLUTION;
      default -> null;
    };
  }
}
