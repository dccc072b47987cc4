package io.rendan.load.client;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The load generator's own HTTP/1.1 client against the JDK's HTTP server. */
@Tag("unit")
class HttpLaneTest {
  private HttpServer server;
  private URI base;
  private final Set<String> clientPorts = ConcurrentHashMap.newKeySet();
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch arrived = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/fixed",
        exchange -> {
          clientPorts.add(Integer.toString(exchange.getRemoteAddress().getPort()));
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          byte[] body = exchange.getRequestBody().readAllBytes();
          byte[] answer = ("auth=" + auth + " body=" + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain");
          exchange.sendResponseHeaders(201, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    server.createContext(
        "/chunked",
        exchange -> {
          exchange.sendResponseHeaders(200, 0);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write("first,".getBytes(StandardCharsets.UTF_8));
            out.flush();
            out.write("second".getBytes(StandardCharsets.UTF_8));
          }
        });
    server.createContext(
        "/stuck",
        exchange -> {
          arrived.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  @Test
  void sendsHeadersAndBodyAndReadsAContentLengthAnswer() throws Exception {
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(5))) {
      HttpLane.Response r =
          lane.send(new HttpLane.Request("POST", "/fixed", "tok", "text/plain", null, "hello".getBytes(StandardCharsets.UTF_8)));
      assertEquals(201, r.status());
      assertEquals("text/plain", r.contentType());
      assertEquals("auth=Bearer tok body=hello", new String(r.body(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void readsAChunkedAnswer() throws Exception {
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(5))) {
      HttpLane.Response r = lane.send(new HttpLane.Request("GET", "/chunked", null, null, null, null));
      assertEquals("first,second", new String(r.body(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void keepsItsConnectionsOpenBetweenRequests() throws Exception {
    try (HttpLane lane = new HttpLane(base, 2, 100, Duration.ofSeconds(5))) {
      for (int i = 0; i < 20; i++) {
        assertEquals(201, lane.send(new HttpLane.Request("GET", "/fixed", null, null, null, null)).status());
      }
    }
    assertTrue(clientPorts.size() <= 2, "connections used: " + clientPorts);
  }

  @Test
  void refusesBeyondItsBacklogAndDropsWhatWasNeverSent() throws Exception {
    try (HttpLane lane = new HttpLane(base, 1, 1, Duration.ofSeconds(10))) {
      AtomicReference<Throwable> first = new AtomicReference<>();
      AtomicReference<Throwable> queued = new AtomicReference<>();
      AtomicReference<Throwable> refused = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(3);
      HttpLane.Request stuck = new HttpLane.Request("GET", "/stuck", null, null, null, null);
      lane.submit(stuck, (r, f) -> { first.set(f); done.countDown(); });
      assertTrue(arrived.await(10, TimeUnit.SECONDS), "the first request reached the server");
      lane.submit(stuck, (r, f) -> { queued.set(f); done.countDown(); });
      lane.submit(stuck, (r, f) -> { refused.set(f); done.countDown(); });
      assertInstanceOf(HttpLane.BacklogFull.class, refused.get());
      lane.cancelQueued();
      assertInstanceOf(HttpLane.NotSent.class, queued.get());
      release.countDown();
      assertTrue(done.await(10, TimeUnit.SECONDS));
      assertNull(first.get(), "the request in flight is answered");
    }
  }
}
