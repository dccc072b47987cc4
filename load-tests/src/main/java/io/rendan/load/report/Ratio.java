package io.rendan.load.report;

import java.util.ArrayList;
import java.util.List;

/**
 * One operation of a scenario against one baseline of the same run: its
 * throughput, p50 and p99 divided by the baseline's. Throughput of a database
 * baseline is in rows per second, so 0.5 means the operation achieved half as
 * many durable writes per second as that way of writing rows can do at most.
 */
public record Ratio(String scenario, String operation, String baseline, double throughput, double p50, double p99) {

  public static List<Ratio> of(List<ScenarioResult> scenarios, List<BaselineResult> baselines) {
    List<Ratio> out = new ArrayList<>();
    for (ScenarioResult s : scenarios) {
      for (OperationResult op : s.operations()) {
        for (BaselineResult b : baselines) {
          if (b.throughput() > 0 && b.p50Ms() > 0) {
            out.add(
                new Ratio(
                    s.name(),
                    op.name(),
                    b.name(),
                    op.throughput() / b.throughput(),
                    op.p50Ms() / b.p50Ms(),
                    op.p99Ms() / b.p99Ms()));
          }
        }
      }
    }
    return out;
  }
}
