package io.rendan.load.client;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The lane against a server socket that writes exactly the bytes each test
 * wants: answers split across writes, chunked bodies with trailers, connections
 * closed by the server at awkward moments.
 */
@Tag("unit")
class HttpLaneWireTest {
  /** What the server does with one request on one connection; answers false to close the connection. */
  @FunctionalInterface
  interface Script {
    boolean answer(String path, byte[] body, OutputStream out) throws IOException, InterruptedException;
  }

  private ServerSocket server;
  private URI base;
  private volatile Script script;
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    base = URI.create("http://127.0.0.1:" + server.getLocalPort());
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  accepted.incrementAndGet();
                  synchronized (sockets) {
                    sockets.add(s);
                  }
                  Thread t = new Thread(() -> serve(s), "wire-test-conn");
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return;
                }
              }
            },
            "wire-test-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
        int length = 0;
        for (String line : head.split("\r\n")) {
          if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        byte[] body = in.readNBytes(length);
        if (!script.answer(path, body, out)) {
          return;
        }
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // the test is over, or the client went away
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      head.write(c);
      matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static HttpLane.Request get(String path) {
    return new HttpLane.Request("GET", path, null, null, null, null);
  }

  private static String text(HttpLane.Response r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void answersSplitAcrossWritesComeBackWholeOnOneKeptAliveConnection() throws Exception {
    script =
        (path, body, out) -> {
          String answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 10\r\n\r\n" + path.substring(1, 11);
          for (int i = 0; i < answer.length(); i += 7) {
            write(out, answer.substring(i, Math.min(answer.length(), i + 7)));
          }
          return true;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(10))) {
      for (int i = 0; i < 50; i++) {
        HttpLane.Response r = lane.send(get(String.format(Locale.ROOT, "/answer%04d", i)));
        assertEquals(200, r.status());
        assertEquals("text/plain", r.contentType());
        assertEquals(String.format(Locale.ROOT, "answer%04d", i), text(r));
      }
    }
    assertEquals(1, accepted.get(), "one keep-alive connection");
  }

  @Test
  void readsChunkedBodiesWithExtensionsAndTrailers() throws Exception {
    script =
        (path, body, out) -> {
          write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;note=x\r\nhello\r\n");
          write(out, "1");
          write(out, "\r\n,\r\n6\r\nwor");
          write(out, "ld!\r\n0\r\nX-Trailer: yes\r\n\r\n");
          return true;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(10))) {
      assertEquals("hello,world!", text(lane.send(get("/a"))));
      assertEquals("hello,world!", text(lane.send(get("/b"))), "the connection is usable after a chunked answer");
    }
    assertEquals(1, accepted.get());
  }

  @Test
  void aBodyWithoutLengthEndsWithTheConnection() throws Exception {
    script =
        (path, body, out) -> {
          write(out, "HTTP/1.0 200 OK\r\n\r\nall of it");
          return false;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(10))) {
      assertEquals("all of it", text(lane.send(get("/x"))));
      assertEquals("all of it", text(lane.send(get("/y"))));
    }
    assertEquals(2, accepted.get(), "a new connection after the server closed one");
  }

  @Test
  void connectionCloseFromTheServerOpensANewConnectionForTheNextRequest() throws Exception {
    script =
        (path, body, out) -> {
          write(out, "HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n");
          out.write(body);
          return false;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(10))) {
      for (int i = 0; i < 3; i++) {
        HttpLane.Response r =
            lane.send(new HttpLane.Request("POST", "/echo", "tok", "text/plain", null, ("body" + i).getBytes(StandardCharsets.UTF_8)));
        assertEquals(201, r.status());
        assertEquals("body" + i, text(r));
      }
    }
    assertEquals(3, accepted.get());
  }

  @Test
  void aReadOnAKeptAliveConnectionTheServerDroppedIsSentAgainButAWriteFails() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    // the first request is answered; the next one on that connection is read and then the connection dropped
    script =
        (path, body, out) -> {
          if (answered.getAndIncrement() % 2 == 1) {
            return false;
          }
          write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          return true;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofSeconds(10))) {
      assertEquals("ok", text(lane.send(get("/first"))));
      assertEquals("ok", text(lane.send(get("/again"))), "a GET is sent again on a new connection");
      assertEquals(2, accepted.get());
      IOException failure =
          assertThrows(IOException.class, () -> lane.send(new HttpLane.Request("POST", "/once", null, "text/plain", null, new byte[] {1})));
      assertInstanceOf(EOFException.class, failure, "a POST is not sent twice: " + failure);
    }
  }

  @Test
  void anAnswerThatNeverComesTimesOut() throws Exception {
    CountDownLatch forever = new CountDownLatch(1);
    script =
        (path, body, out) -> {
          forever.await();
          return false;
        };
    try (HttpLane lane = new HttpLane(base, 1, 10, Duration.ofMillis(200))) {
      assertInstanceOf(SocketTimeoutException.class, assertThrows(IOException.class, () -> lane.send(get("/never"))));
    } finally {
      forever.countDown();
    }
  }

  @Test
  void refusesBeyondItsBacklogAndDropsWhatWasNeverSent() throws Exception {
    CountDownLatch arrived = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    script =
        (path, body, out) -> {
          arrived.countDown();
          release.await();
          write(out, "HTTP/1.1 204 No Content\r\n\r\n");
          return true;
        };
    try (HttpLane lane = new HttpLane(base, 2, 1, Duration.ofSeconds(10), 2)) {
      List<CompletableFuture<HttpLane.Response>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        CompletableFuture<HttpLane.Response> answer = new CompletableFuture<>();
        answers.add(answer);
        lane.submit(get("/slow"), (r, f) -> {
          if (f != null) {
            answer.completeExceptionally(f);
          } else {
            answer.complete(r);
          }
        });
        if (i == 1) {
          assertTrue(arrived.await(10, TimeUnit.SECONDS), "both connections carry a request");
        }
      }
      // two in flight, one waiting (the backlog of 1), the fourth refused at once
      assertEquals(3, lane.outstanding());
      assertInstanceOf(HttpLane.BacklogFull.class, cause(answers.get(3)));
      lane.cancelQueued();
      assertInstanceOf(HttpLane.NotSent.class, cause(answers.get(2)));
      release.countDown();
      assertEquals(204, answers.get(0).get(10, TimeUnit.SECONDS).status());
      assertEquals(204, answers.get(1).get(10, TimeUnit.SECONDS).status());
      assertEquals(0, lane.outstanding());
    }
  }

  @Test
  void manyConnectionsOnTwoThreadsAnswerEveryRequestOfAClosedLoop() throws Exception {
    script =
        (path, body, out) -> {
          write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + (path.length() - 1) + "\r\n\r\n" + path.substring(1));
          return true;
        };
    int perLoop = 200;
    int loops = 8;
    try (HttpLane lane = new HttpLane(base, 8, 8, Duration.ofSeconds(10), 2)) {
      assertEquals(2, lane.ioThreads());
      CountDownLatch done = new CountDownLatch(loops);
      AtomicReference<String> wrong = new AtomicReference<>();
      for (int l = 0; l < loops; l++) {
        closedLoop(lane, l, 0, perLoop, done, wrong);
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "every loop finished");
      assertNull(wrong.get());
      AtomicReference<Throwable> fromCallback = new AtomicReference<>();
      CountDownLatch tried = new CountDownLatch(1);
      lane.submit(get("/x"), (r, f) -> {
        try {
          lane.send(get("/y"));
        } catch (Throwable t) {
          fromCallback.set(t);
        }
        tried.countDown();
      });
      assertTrue(tried.await(10, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, fromCallback.get(), "send() from a callback would wait for itself");
    }
    assertTrue(accepted.get() <= 8, "connections used: " + accepted.get());
  }

  private static void closedLoop(HttpLane lane, int loop, int i, int count, CountDownLatch done, AtomicReference<String> wrong) {
    if (i == count) {
      done.countDown();
      return;
    }
    String expected = "l" + loop + "-" + i;
    lane.submit(
        get("/" + expected),
        (r, f) -> {
          String got = f != null ? f.toString() : text(r);
          if (!got.equals(expected)) {
            wrong.compareAndSet(null, "expected " + expected + ", got " + got);
          }
          closedLoop(lane, loop, i + 1, count, done, wrong);
        });
  }

  private static Throwable cause(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(10, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      return e;
    }
  }
}
