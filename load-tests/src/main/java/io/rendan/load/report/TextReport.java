package io.rendan.load.report;

import java.util.Locale;
import java.util.Map;

/** The report as a person reads it at the end of a run (also saved as report.txt). */
public final class TextReport {
  private TextReport() {}

  public static String of(RunReport r) {
    StringBuilder sb = new StringBuilder();
    line(sb, "Rendan load report, %s to %s", r.startedAt(), r.finishedAt());
    line(sb, "command:  %s", r.command());
    line(sb, "target:   %s", r.target());
    line(sb, "database: %s", r.database());
    r.environment().forEach((k, v) -> line(sb, "%-9s %s", k + ":", v));
    if (!r.baselines().isEmpty()) {
      sb.append('\n');
      line(sb, "Baselines, same run (closed loop; throughput per unit, latency per operation, ms)");
      line(
          sb,
          "%-18s %5s %17s %8s %8s %8s %8s %8s %7s %11s %12s",
          "baseline", "conc", "throughput", "p50", "p90", "p99", "p99.9", "max", "errors", "srv CPU/op", "gen CPU/unit");
      for (BaselineResult b : r.baselines()) {
        line(
            sb,
            "%-18s %5d %17s %8s %8s %8s %8s %8s %7d %11s %12s",
            b.name(),
            b.concurrency(),
            String.format(Locale.ROOT, "%.0f %s/s", b.throughput(), b.unit()),
            ms(b.p50Ms()),
            ms(b.p90Ms()),
            ms(b.p99Ms()),
            ms(b.p999Ms()),
            ms(b.maxMs()),
            b.errors(),
            micros(b.serverCpuMicrosPerOp()),
            micros(b.generatorCpuMicrosPerUnit()));
      }
      for (BaselineResult b : r.baselines()) {
        line(sb, "  %s: %s", b.name(), b.description());
      }
      line(sb, "  srv CPU/op: the node's CPU per request; gen CPU/unit: the load generator's, which holds H2 for the H2 baselines (for wrk: wrk's own)");
      Double ratio = r.httpTrivialToWrk();
      if (ratio != null) {
        BaselineResult trivial = r.baseline("http-trivial");
        BaselineResult wrk = r.baseline("wrk");
        line(
            sb,
            "  http-trivial / wrk: %.2f of wrk's requests/s (%.0f vs %.0f); node CPU per request %s vs %s; client CPU per request %s vs %s",
            ratio,
            trivial.throughput(),
            wrk.throughput(),
            micros(trivial.serverCpuMicrosPerOp()),
            micros(wrk.serverCpuMicrosPerOp()),
            micros(trivial.generatorCpuMicrosPerUnit()),
            micros(wrk.generatorCpuMicrosPerUnit()));
      }
    }
    for (ScenarioResult s : r.scenarios()) {
      sb.append('\n');
      line(sb, "Scenario %s: %s", s.name(), s.description());
      line(
          sb,
          "offered %.0f/s for %ss after %ss of warm-up: %d operations offered in the measured part (%.0f/s achieved by the generator)",
          s.rate(),
          seconds(s.durationSeconds()),
          seconds(s.warmupSeconds()),
          s.offered(),
          s.offered() / s.durationSeconds());
      if (!s.settings().isEmpty()) {
        line(sb, "settings: %s", s.settings());
      }
      line(sb, "%-16s %9s %8s %10s %8s %8s %8s %8s %8s", "operation", "ok", "errors", "ok/s", "p50", "p90", "p99", "p99.9", "max");
      for (OperationResult op : s.operations()) {
        line(
            sb,
            "%-16s %9d %8d %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f",
            op.name(),
            op.ok(),
            op.errors(),
            op.throughput(),
            op.p50Ms(),
            op.p90Ms(),
            op.p99Ms(),
            op.p999Ms(),
            op.maxMs());
      }
      for (OperationResult op : s.operations()) {
        line(sb, "  %s: %s (latency in ms%s)", op.name(), op.description(), op.warmup() > 0 ? "; " + op.warmup() + " in the warm-up not counted" : "");
        for (Map.Entry<String, Long> e : op.errorsByCode().entrySet()) {
          line(sb, "    error %-28s %d", e.getKey(), e.getValue());
        }
      }
      line(
          sb,
          "server CPU: %s, %s per %s; load generator CPU: %.1f s, %.0f µs per %s",
          s.serverCpuSeconds() == null ? "not known (pass --server-pid)" : String.format(Locale.ROOT, "%.1f s", s.serverCpuSeconds()),
          micros(s.serverCpuMicrosPerOp()),
          s.operations().get(0).name(),
          s.generatorCpuSeconds(),
          s.generatorCpuMicrosPerOp(),
          s.operations().get(0).name());
      if (s.serverJitSeconds() != null && s.serverCpuSeconds() != null && s.serverCpuSeconds() > 0) {
        line(
            sb,
            "  of the server CPU, JIT compiler threads: %.1f s (%.0f %%, at least)",
            s.serverJitSeconds(),
            100 * s.serverJitSeconds() / s.serverCpuSeconds());
      }
      boolean any = false;
      for (Ratio ratio : r.ratios()) {
        if (ratio.scenario().equals(s.name())) {
          if (!any) {
            line(sb, "ratio to the baselines of this run (operation / baseline):");
            any = true;
          }
          line(
              sb,
              "  %-16s / %-18s throughput %8.3fx   p50 %8.2fx   p99 %8.2fx",
              ratio.operation(),
              ratio.baseline(),
              ratio.throughput(),
              ratio.p50(),
              ratio.p99());
        }
      }
      line(sb, "check: %s: %s", s.verification().passed() ? "PASS" : "FAIL", s.verification().summary());
      s.verification().problems().forEach(p -> line(sb, "  problem: %s", p));
      s.verification().notes().forEach(n -> line(sb, "  note: %s", n));
    }
    if (!r.notes().isEmpty()) {
      sb.append('\n');
      r.notes().forEach(n -> line(sb, "note: %s", n));
    }
    sb.append('\n');
    line(sb, r.verified() ? "RESULT: every check passed" : "RESULT: a check FAILED");
    return sb.toString();
  }

  private static String seconds(double s) {
    return s == Math.rint(s) ? Long.toString((long) s) : String.format(Locale.ROOT, "%.1f", s);
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String micros(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.0f µs", v);
  }

  private static void line(StringBuilder sb, String format, Object... args) {
    sb.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
