package io.rendan.load.report;

import io.rendan.load.scenario.Verification;
import java.util.List;
import java.util.Map;

/**
 * One scenario run: what was offered, what each operation achieved, CPU used,
 * and the end-of-run check. CPU times cover the measured part and the drain.
 *
 * @param serverCpuSeconds null when the node's process is not known
 * @param serverJitSeconds the part of it spent by the node's JIT compiler threads
 *     (a lower bound: compiler threads that ended meanwhile do not count); null
 *     when not known
 */
public record ScenarioResult(
    String name,
    String description,
    double rate,
    double durationSeconds,
    double warmupSeconds,
    long offered,
    List<OperationResult> operations,
    List<double[]> offeredSeries,
    Double serverCpuSeconds,
    Double serverJitSeconds,
    double generatorCpuSeconds,
    Map<String, String> settings,
    Verification verification) {

  /** Operations of the first (rated) kind that got an answer in the measured part. */
  public long primaryOperations() {
    OperationResult primary = operations.get(0);
    return primary.ok() + primary.errors();
  }

  /** Server CPU per operation of the first kind, in µs; null when unknown. */
  public Double serverCpuMicrosPerOp() {
    long n = primaryOperations();
    return serverCpuSeconds == null || n == 0 ? null : serverCpuSeconds * 1e6 / n;
  }

  public double generatorCpuMicrosPerOp() {
    long n = primaryOperations();
    return n == 0 ? 0 : generatorCpuSeconds * 1e6 / n;
  }
}
