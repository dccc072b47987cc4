package io.rendan.load.baseline;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code wrk} HTTP benchmark as a yardstick of the harness's own client: where
 * it is, and what its {@code --latency} report says. wrk is C on epoll and costs
 * next to nothing per request, so what the node answers to wrk is close to what
 * the node can answer at all; the harness's {@code http-trivial} should come near.
 */
public final class Wrk {
  private static final Pattern REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ([\\d.]+)(us|ms|s|m|h)");
  private static final Pattern RATE = Pattern.compile("(?m)^Requests/sec:\\s+([\\d.]+)");
  private static final Pattern LATENCY_ROW =
      Pattern.compile("(?m)^\\s*Latency\\s+([\\d.]+)(us|ms|s|m|h)\\s+([\\d.]+)(us|ms|s|m|h)\\s+([\\d.]+)(us|ms|s|m|h)");
  private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s*(50|75|90|99)(?:\\.\\d+)?%\\s+([\\d.]+)(us|ms|s|m|h)");
  private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private Wrk() {}

  /** What one wrk run reported; latencies in ms, NaN where wrk says nothing (it prints no p99.9). */
  public record Report(long requests, double seconds, double requestsPerSecond, double p50Ms, double p90Ms, double p99Ms, double maxMs, long errors) {}

  /** The wrk executable on PATH, if there is one. */
  public static Optional<Path> find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, "wrk");
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** Reads the console report of {@code wrk --latency}; fails on output that has no request count or rate. */
  public static Report parse(String output) {
    Matcher requests = REQUESTS.matcher(output);
    Matcher rate = RATE.matcher(output);
    if (!requests.find() || !rate.find()) {
      throw new IllegalArgumentException("not a wrk report: " + (output.length() > 300 ? output.substring(0, 300) + "..." : output));
    }
    double p50 = Double.NaN;
    double p90 = Double.NaN;
    double p99 = Double.NaN;
    Matcher pct = PERCENTILE.matcher(output);
    while (pct.find()) {
      double ms = millis(pct.group(2), pct.group(3));
      switch (pct.group(1)) {
        case "50" -> p50 = ms;
        case "90" -> p90 = ms;
        case "99" -> p99 = ms;
        default -> {
          // 75 %: not in the report's columns
        }
      }
    }
    Matcher row = LATENCY_ROW.matcher(output);
    double max = row.find() ? millis(row.group(5), row.group(6)) : Double.NaN;
    long errors = 0;
    Matcher non2xx = NON_2XX.matcher(output);
    if (non2xx.find()) {
      errors += Long.parseLong(non2xx.group(1));
    }
    Matcher socket = SOCKET_ERRORS.matcher(output);
    if (socket.find()) {
      for (int g = 1; g <= 4; g++) {
        errors += Long.parseLong(socket.group(g));
      }
    }
    return new Report(
        Long.parseLong(requests.group(1)),
        millis(requests.group(2), requests.group(3)) / 1000,
        Double.parseDouble(rate.group(1)),
        p50,
        p90,
        p99,
        max,
        errors);
  }

  private static double millis(String value, String unit) {
    double v = Double.parseDouble(value);
    return switch (unit) {
      case "us" -> v / 1000;
      case "ms" -> v;
      case "s" -> v * 1000;
      case "m" -> v * 60_000;
      default -> v * 3_600_000;
    };
  }
}
