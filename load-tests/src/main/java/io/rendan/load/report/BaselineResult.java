package io.rendan.load.report;

/**
 * What the stack underneath can do, measured in the same run: a closed loop of
 * {@code concurrency} workers, each starting its next operation when the last
 * one is done, for {@code durationSeconds}. Throughput is in {@code unit}s per
 * second (rows for the database ones); latency is per operation (one commit,
 * one batch, one COPY, one request).
 *
 * @param serverCpuSeconds the node's CPU during the baseline; null when not the node's
 */
public record BaselineResult(
    String name,
    String description,
    String unit,
    int concurrency,
    double durationSeconds,
    long operations,
    long units,
    long errors,
    double throughput,
    double p50Ms,
    double p90Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    Double serverCpuSeconds) {

  public Double serverCpuMicrosPerOp() {
    return serverCpuSeconds == null || operations == 0 ? null : serverCpuSeconds * 1e6 / operations;
  }
}
