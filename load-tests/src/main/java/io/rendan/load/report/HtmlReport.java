package io.rendan.load.report;

import io.rendan.load.metrics.OperationStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report as one self-contained HTML page: the text report, and per scenario
 * two inline SVG charts (throughput and latency over time), with no script and
 * nothing loaded from elsewhere.
 */
public final class HtmlReport {
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  private static final int W = 860;
  private static final int H = 260;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 30;
  private static final int BOTTOM = 40;

  private record Series(String name, List<double[]> points, boolean dashed) {}

  private HtmlReport() {}

  public static String of(RunReport r) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rendan load report</title>\n")
        .append("<style>body{font-family:sans-serif;margin:24px;max-width:980px}pre{background:#f6f6f6;padding:12px;")
        .append("overflow-x:auto;font-size:12px}svg{background:#fff;border:1px solid #ddd;margin:8px 0}")
        .append("h2{margin-top:32px}</style></head><body>\n");
    sb.append("<h1>Rendan load report</h1>\n<p>").append(esc(r.startedAt())).append(" &middot; ").append(esc(r.database()))
        .append(" &middot; ").append(r.verified() ? "every check passed" : "<b>a check FAILED</b>").append("</p>\n");
    for (ScenarioResult s : r.scenarios()) {
      sb.append("<h2>").append(esc(s.name())).append("</h2>\n<p>").append(esc(s.description()))
          .append(String.format(Locale.ROOT, ": offered %.0f/s for %.0f s", s.rate(), s.durationSeconds())).append("</p>\n");
      List<Series> throughput = new ArrayList<>();
      throughput.add(new Series("offered", s.offeredSeries(), true));
      List<Series> latency = new ArrayList<>();
      for (OperationResult op : s.operations()) {
        List<double[]> ok = new ArrayList<>();
        List<double[]> p50 = new ArrayList<>();
        List<double[]> p99 = new ArrayList<>();
        List<double[]> errors = new ArrayList<>();
        boolean anyErrors = false;
        for (OperationStats.Point p : op.series()) {
          ok.add(new double[] {p.t(), p.okPerSecond()});
          errors.add(new double[] {p.t(), p.seconds() > 0 ? p.errors() / p.seconds() : 0});
          anyErrors |= p.errors() > 0;
          if (p.ok() > 0) {
            p50.add(new double[] {p.t(), p.p50Ms()});
            p99.add(new double[] {p.t(), p.p99Ms()});
          }
        }
        throughput.add(new Series(op.name() + " ok/s", ok, false));
        if (anyErrors) {
          throughput.add(new Series(op.name() + " errors/s", errors, true));
        }
        latency.add(new Series(op.name() + " p50", p50, true));
        latency.add(new Series(op.name() + " p99", p99, false));
      }
      chart(sb, "throughput per second", "ops/s", throughput, false);
      chart(sb, "latency per second (ms, log scale)", "ms", latency, true);
    }
    sb.append("<h2>Figures</h2>\n<pre>").append(esc(TextReport.of(r))).append("</pre>\n</body></html>\n");
    return sb.toString();
  }

  private static void chart(StringBuilder sb, String title, String unit, List<Series> series, boolean log) {
    double maxX = 1;
    double maxY = 0;
    double minY = Double.MAX_VALUE;
    for (Series s : series) {
      for (double[] p : s.points()) {
        maxX = Math.max(maxX, p[0]);
        maxY = Math.max(maxY, p[1]);
        if (p[1] > 0) {
          minY = Math.min(minY, p[1]);
        }
      }
    }
    if (maxY <= 0) {
      maxY = 1;
    }
    double lo;
    double hi;
    if (log) {
      lo = Math.floor(Math.log10(minY == Double.MAX_VALUE ? 0.1 : Math.max(minY, 0.01)));
      hi = Math.max(lo + 1, Math.ceil(Math.log10(maxY)));
    } else {
      lo = 0;
      hi = niceCeiling(maxY);
    }
    int plotW = W - LEFT - RIGHT;
    int plotH = H - TOP - BOTTOM;
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H + 20 * ((series.size() + 2) / 3), W, H + 20 * ((series.size() + 2) / 3)));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">%s</text>\n", LEFT, esc(title)));
    // axes and grid
    int ticks = log ? (int) (hi - lo) : 4;
    for (int i = 0; i <= ticks; i++) {
      double frac = (double) i / ticks;
      double y = TOP + plotH - frac * plotH;
      double value = log ? Math.pow(10, lo + i) : hi * frac;
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", LEFT, y, W - RIGHT, y));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y + 4, label(value)));
    }
    double step = niceStep(maxX / 6);
    maxX = Math.ceil(maxX / step - 1e-9) * step;
    for (double v = 0; v <= maxX + 1e-9; v += step) {
      double x = LEFT + plotW * v / maxX;
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%ss</text>\n", x, TOP + plotH + 16, label(v)));
    }
    sb.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>\n", TOP + plotH / 2, TOP + plotH / 2, esc(unit)));
    sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n", LEFT, TOP, plotW, plotH));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      String colour = s.name().equals("offered") ? "#777" : COLOURS[(i / (log ? 2 : 1)) % COLOURS.length];
      StringBuilder pts = new StringBuilder();
      for (double[] p : s.points()) {
        double fy;
        if (log) {
          fy = (Math.log10(Math.max(p[1], Math.pow(10, lo))) - lo) / (hi - lo);
        } else {
          fy = p[1] / hi;
        }
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + plotW * p[0] / maxX, TOP + plotH - fy * plotH));
      }
      sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"%s\"/>\n", colour, s.dashed() ? " stroke-dasharray=\"5,3\"" : "", pts.toString().trim()));
      int lx = LEFT + (i % 3) * 260;
      int ly = H + 20 * (i / 3) - 4;
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>", lx, ly - 4, lx + 24, ly - 4, colour, s.dashed() ? " stroke-dasharray=\"5,3\"" : ""));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", lx + 30, ly, esc(s.name())));
    }
    sb.append("</svg>\n");
  }

  /** 1, 2 or 5 times a power of ten, at least {@code v}. */
  private static double niceStep(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String label(double v) {
    if (v >= 1000) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 1) {
      return String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+$", "");
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
