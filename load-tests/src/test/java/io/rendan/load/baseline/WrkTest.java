package io.rendan.load.baseline;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.report.BaselineResult;
import io.rendan.load.report.RunReport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Reading wrk's console report, and the ratio the run report states beside it. */
@Tag("unit")
class WrkTest {
  /** As Debian's wrk 4.1.0 printed it here with --latency. */
  private static final String LOADED =
      """
      Running 5s test @ http://127.0.0.1:28080/health/alive
        2 threads and 32 connections
        Thread Stats   Avg      Stdev     Max   +/- Stdev
          Latency   169.25ms  166.25ms 820.28ms   83.08%
          Req/Sec   129.82    136.04   707.00     85.90%
        Latency Distribution
           50%  109.84ms
           75%  260.61ms
           90%  410.53ms
           99%  693.21ms
        1206 requests in 5.21s, 200.21KB read
      Requests/sec:    231.27
      Transfer/sec:     38.39KB
      """;

  private static final String WITH_ERRORS =
      """
      Running 1m test @ http://127.0.0.1:28080/health/alive
        2 threads and 32 connections
        Thread Stats   Avg      Stdev     Max   +/- Stdev
          Latency   850.00us  300.10us    1.20s    90.00%
          Req/Sec    12.43k     1.02k   14.43k    71.00%
        Latency Distribution
           50%  800.00us
           75%    1.01ms
           90%    1.50ms
           99%    3.00ms
        1482000 requests in 1.00m, 170.00MB read
        Socket errors: connect 1, read 2, write 3, timeout 4
        Non-2xx or 3xx responses: 5
      Requests/sec:  24700.00
      Transfer/sec:      2.83MB
      """;

  @Test
  void readsRateLatencyAndCount() {
    Wrk.Report r = Wrk.parse(LOADED);
    assertEquals(1206, r.requests());
    assertEquals(5.21, r.seconds(), 1e-9);
    assertEquals(231.27, r.requestsPerSecond(), 1e-9);
    assertEquals(109.84, r.p50Ms(), 1e-9);
    assertEquals(410.53, r.p90Ms(), 1e-9);
    assertEquals(693.21, r.p99Ms(), 1e-9);
    assertEquals(820.28, r.maxMs(), 1e-9);
    assertEquals(0, r.errors());
  }

  @Test
  void convertsUnitsAndCountsSocketErrorsAndBadStatuses() {
    Wrk.Report r = Wrk.parse(WITH_ERRORS);
    assertEquals(60.0, r.seconds(), 1e-9);
    assertEquals(0.8, r.p50Ms(), 1e-9);
    assertEquals(1200.0, r.maxMs(), 1e-9);
    assertEquals(15, r.errors());
  }

  @Test
  void refusesWhatIsNotAWrkReport() {
    assertThrows(IllegalArgumentException.class, () -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"));
  }

  @Test
  void theReportStatesHttpTrivialAsAShareOfWrk() {
    RunReport report =
        new RunReport(
            "s", "f", "c", "t", "d", Map.of(),
            List.of(baseline("http-trivial", 20_000), baseline("wrk", 25_000)),
            List.of(), List.of(), List.of());
    assertEquals(0.8, report.httpTrivialToWrk(), 1e-9);
    RunReport without = new RunReport("s", "f", "c", "t", "d", Map.of(), List.of(baseline("http-trivial", 1)), List.of(), List.of(), List.of());
    assertNull(without.httpTrivialToWrk());
  }

  private static BaselineResult baseline(String name, double throughput) {
    return new BaselineResult(name, name, "request", 32, 5, 5 * (long) throughput, 5 * (long) throughput, 0, throughput, 1, 2, 3, Double.NaN, 4, 1.0, 1.0);
  }
}
