package io.rendan.load.report;

import io.rendan.load.metrics.OperationStats;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The figures of one operation over the measured part of a run; latencies in ms. */
public record OperationResult(
    String name,
    String description,
    long ok,
    long errors,
    long warmup,
    Map<String, Long> errorsByCode,
    double throughput,
    double p50Ms,
    double p90Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    List<OperationStats.Point> series) {

  public static OperationResult of(OperationStats stats, double seconds) {
    Histogram h = stats.total();
    return new OperationResult(
        stats.name(),
        stats.description(),
        h.getTotalCount(),
        stats.errors(),
        stats.warmupCount(),
        stats.errorsByCode(),
        h.getTotalCount() / seconds,
        OperationStats.ms(h.getValueAtPercentile(50)),
        OperationStats.ms(h.getValueAtPercentile(90)),
        OperationStats.ms(h.getValueAtPercentile(99)),
        OperationStats.ms(h.getValueAtPercentile(99.9)),
        OperationStats.ms(h.getMaxValue()),
        stats.series());
  }
}
