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

  public boolean verified() {
    return scenarios.stream().allMatch(s -> s.verification().passed());
  }
}
