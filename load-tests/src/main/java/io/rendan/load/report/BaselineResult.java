package io.rendan.load.report;

/**
 * What the stack underneath can do, measured in the same run: a closed loop of
 * {@code concurrency} workers, each starting its next operation when the last
 * one is done, for {@code durationSeconds}. Throughput is in {@code unit}s per
 * second (rows for the database ones); latency is per operation (one commit,
 * one batch, one COPY, one request).
 *
 * @param serverCpuSeconds the node's CPU during the baseline; null when not the node's
 * @param generatorCpuSeconds the load generator's CPU during the baseline: for the
 *     H2 baselines, which run in the generator's JVM, mostly H2's own work
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
    Double serverCpuSeconds,
    double generatorCpuSeconds) {

  public Double serverCpuMicrosPerOp() {
    return serverCpuSeconds == null || operations == 0 ? null : serverCpuSeconds * 1e6 / operations;
  }

  /** Load generator CPU per unit (per row for the database baselines). */
  public double generatorCpuMicrosPerUnit() {
    return units == 0 ? 0 : generatorCpuSeconds * 1e6 / units;
  }
}
