package io.rendan.load.report;

import java.util.List;
import java.util.Map;

/** Everything one run measured, as written to report.json, report.txt and report.html. */
public record RunReport(
    String startedAt,
    String finishedAt,
    String command,
    String target,
    String database,
    Map<String, String> environment,
    List<BaselineResult> baselines,
    List<ScenarioResult> scenarios,
    List<Ratio> ratios,
    List<String> notes) {

  /**
   * The harness's {@code http-trivial} requests per second over {@code wrk}'s from
   * the same run, or null without both: how near the harness's own client comes to
   * what the node can answer (issue 15 asks for at least 0.8).
   */
  public Double httpTrivialToWrk() {
    BaselineResult trivial = baseline("http-trivial");
    BaselineResult wrk = baseline("wrk");
    return trivial == null || wrk == null || wrk.throughput() <= 0 ? null : trivial.throughput() / wrk.throughput();
  }

  BaselineResult baseline(String name) {
    return baselines.stream().filter(b -> b.name().equals(name)).findFirst().orElse(null);
  }

  public boolean verified() {
    return scenarios.stream().allMatch(s -> s.verification().passed());
  }
}
