package io.rendan.load.scenario;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import io.rendan.load.Options;
import io.rendan.load.client.Api;
import io.rendan.load.metrics.ScenarioMetrics;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An end-of-run check ends by its deadline whatever the node does: reads that
 * answer 503 for a while are sent again until they answer, and those that never
 * answer (503 forever, or no answer at all) are named with what they last got.
 */
@Tag("unit")
class CheckReadsTest {
  private HttpServer server;
  private final AtomicInteger flakyCalls = new AtomicInteger();
  private final CountDownLatch stop = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/e/",
        exchange -> {
          String id = exchange.getRequestURI().getPath().substring(3);
          int status;
          if (id.startsWith("ok")) {
            status = 200;
          } else if (id.equals("flaky")) {
            status = flakyCalls.incrementAndGet() <= 2 ? 503 : 200;
          } else if (id.equals("dead")) {
            status = 503;
          } else {
            try {
              stop.await(); // "hang": never answers while the check runs
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            status = 200;
          }
          byte[] body = (status == 200 ? "{}" : "{\"error\":{\"code\":\"server:unavailable\"}}").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void end() {
    stop.countDown();
    server.stop(0);
  }

  @Test
  void readsEndByTheDeadlineAndNameWhatTheyCouldNotConfirm() throws Exception {
    Api api = new Api(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), false, Duration.ofSeconds(1));
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    ScenarioContext context =
        new ScenarioContext(
            "t", api, null, null, new ScenarioMetrics("check", quiet), Options.parse(), 2, 100, true, quiet, Optional.empty(), Duration.ZERO, Duration.ZERO, 1);
    List<CheckReads.Read> reads = new ArrayList<>();
    for (String id : List.of("ok1", "flaky", "dead", "hang", "ok2")) {
      reads.add(new CheckReads.Read(id, api.get("/e/" + id, "token")));
    }
    long start = System.nanoTime();
    context.startCheck(start + TimeUnit.SECONDS.toNanos(4));

    CheckReads.Result result = CheckReads.readAll(context, "entities", reads, 4);

    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(tookMillis < 6_000, "the check ends at its deadline, took " + tookMillis + " ms");
    assertEquals(List.of("flaky", "ok1", "ok2"), result.answered().keySet().stream().sorted().toList());
    assertEquals(200, result.answered().get("flaky").status(), "a 503 is sent again until it answers");
    assertEquals(List.of("dead", "hang"), List.copyOf(result.unconfirmed().keySet()));
    assertTrue(result.unconfirmed().get("dead").startsWith("503"), result.unconfirmed().toString());
    assertTrue(result.unconfirmedLine("entities").startsWith("2 entities not confirmed"), result.unconfirmedLine("entities"));
    assertTrue(context.checkProgress().startsWith("3 of 5 entities read"), context.checkProgress());
  }
}
