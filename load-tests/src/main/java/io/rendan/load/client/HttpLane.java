package io.rendan.load.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * HTTP/1.1 over a fixed number of keep-alive connections, one request at a time
 * on each, as a pooled client of a real app does. Requests wait in one queue
 * until a connection is free; that wait counts in the latency, which callers
 * take from the intended send time. A queue longer than {@code maxQueued} makes
 * new requests fail at once ({@link BacklogFull}) instead of filling the heap.
 *
 * <p>Purpose-built rather than the JDK's HttpClient: on a 2-core machine shared
 * with the node, the JDK client spent about 0.5 ms of CPU per request, more
 * than the node did to answer it, so the load generator was what limited the
 * rate. A thread per connection with blocking sockets costs a fraction of that.
 * Only what the node sends is understood: Content-Length or chunked bodies.
 */
public final class HttpLane implements AutoCloseable {
  /** The lane refused a request because too many were waiting. */
  public static final class BacklogFull extends RuntimeException {
    BacklogFull() {
      super("load generator backlog full", null, false, false);
    }
  }

  /** The request was still waiting for a connection when the run gave up on it: it never left. */
  public static final class NotSent extends IOException {
    NotSent() {
      super("never sent: the run ended while it waited for a connection");
    }
  }

  /** A request; {@code body} null for none. */
  public record Request(String method, String path, String token, String contentType, String accept, byte[] body) {}

  public record Response(int status, String contentType, byte[] body) {}

  private record Pending(Request request, BiConsumer<Response, Throwable> done) {}

  /** Connections idle longer than this are replaced before use: the node closes idle ones after a while. */
  private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final InetSocketAddress address;
  private final String host;
  private final int timeoutMillis;
  private final int maxQueued;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final Thread[] workers;
  private volatile boolean closed;

  public HttpLane(URI base, int connections, int maxQueued, Duration timeout) {
    int port = base.getPort() > 0 ? base.getPort() : 80;
    this.address = new InetSocketAddress(base.getHost(), port);
    this.host = base.getHost() + ":" + port;
    this.timeoutMillis = (int) timeout.toMillis();
    this.maxQueued = maxQueued;
    this.workers = new Thread[connections];
    for (int i = 0; i < connections; i++) {
      workers[i] = new Thread(this::work, "http-lane-" + i);
      workers[i].setDaemon(true);
      workers[i].start();
    }
  }

  public void submit(Request request, BiConsumer<Response, Throwable> done) {
    if (closed) {
      done.accept(null, new IOException("lane closed"));
      return;
    }
    if (outstanding.incrementAndGet() > maxQueued + workers.length) {
      outstanding.decrementAndGet();
      done.accept(null, new BacklogFull());
      return;
    }
    queue.add(new Pending(request, done));
  }

  /** Sends and waits for the answer: for set-up, not for measured operations. */
  public Response send(Request request) throws IOException, InterruptedException {
    CompletableFuture<Response> answer = new CompletableFuture<>();
    submit(
        request,
        (r, f) -> {
          if (f != null) {
            answer.completeExceptionally(f);
          } else {
            answer.complete(r);
          }
        });
    try {
      return answer.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  /** Requests sent and not yet answered, plus those waiting for a connection. */
  public int outstanding() {
    return outstanding.get();
  }

  private void work() {
    Connection connection = null;
    while (!closed) {
      Pending p;
      try {
        p = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (p == null) {
        continue;
      }
      Response response = null;
      Throwable failure = null;
      try {
        if (connection != null && System.nanoTime() - connection.lastUsed > MAX_IDLE_NANOS) {
          connection.close();
          connection = null;
        }
        boolean reused = connection != null;
        if (connection == null) {
          connection = new Connection();
        }
        try {
          response = connection.exchange(p.request());
        } catch (IOException e) {
          // a kept-alive connection the node closed meanwhile (it restarted, say): a read is safe to send again, once
          if (!reused || !p.request().method().equals("GET")) {
            throw e;
          }
          connection.close();
          connection = new Connection();
          response = connection.exchange(p.request());
        }
        if (!connection.keepAlive) {
          connection.close();
          connection = null;
        }
      } catch (IOException | RuntimeException e) {
        failure = e;
        if (connection != null) {
          connection.close();
          connection = null;
        }
      }
      outstanding.decrementAndGet();
      try {
        p.done().accept(response, failure);
      } catch (RuntimeException e) {
        // a scenario's bug must not stop the lane
        e.printStackTrace();
      }
    }
    if (connection != null) {
      connection.close();
    }
  }

  /** Fails the requests still waiting for a connection with {@link NotSent}; those in flight go on. */
  public void cancelQueued() {
    Pending p;
    while ((p = queue.poll()) != null) {
      outstanding.decrementAndGet();
      p.done().accept(null, new NotSent());
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread t : workers) {
      t.interrupt();
    }
    cancelQueued();
  }

  private final class Connection {
    private final Socket socket = new Socket();
    private final InputStream in;
    private final OutputStream out;
    private long lastUsed = System.nanoTime();
    private boolean keepAlive = true;

    Connection() throws IOException {
      socket.setTcpNoDelay(true);
      socket.connect(address, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    Response exchange(Request r) throws IOException {
      StringBuilder head = new StringBuilder(256);
      head.append(r.method()).append(' ').append(r.path()).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
      if (r.token() != null) {
        // a bare token is a bearer token; "Device <secret>" (an appliance) is sent as it is
        head.append("Authorization: ").append(r.token().startsWith("Device ") ? "" : "Bearer ").append(r.token()).append("\r\n");
      }
      if (r.accept() != null) {
        head.append("Accept: ").append(r.accept()).append("\r\n");
      }
      if (r.body() != null) {
        head.append("Content-Type: ").append(r.contentType()).append("\r\nContent-Length: ").append(r.body().length).append("\r\n");
      }
      head.append("\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (r.body() != null) {
        out.write(r.body());
      }
      out.flush();

      String status = line();
      if (!status.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + abbreviate(status));
      }
      int code = Integer.parseInt(status.substring(9, 12));
      keepAlive = !status.startsWith("HTTP/1.0");
      long length = -1;
      boolean chunked = false;
      String contentType = null;
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = h.substring(0, colon).trim();
        String value = h.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(value);
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = value.equalsIgnoreCase("chunked");
        } else if (name.equalsIgnoreCase("Content-Type")) {
          contentType = value;
        } else if (name.equalsIgnoreCase("Connection")) {
          keepAlive = !value.equalsIgnoreCase("close");
        }
      }
      byte[] body;
      if (code == 204 || code == 304 || code < 200 || r.method().equals("HEAD")) {
        body = new byte[0];
      } else if (chunked) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (true) {
          String size = line();
          int semicolon = size.indexOf(';');
          int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
          if (n == 0) {
            while (!line().isEmpty()) {
              // trailers
            }
            break;
          }
          all.write(exactly(n));
          line();
        }
        body = all.toByteArray();
      } else if (length >= 0) {
        body = exactly((int) length);
      } else {
        body = in.readAllBytes();
        keepAlive = false;
      }
      lastUsed = System.nanoTime();
      return new Response(code, contentType, body);
    }

    private byte[] exactly(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      if (b.length != n) {
        throw new EOFException("connection closed in a response body");
      }
      return b;
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder(64);
      while (true) {
        int c = in.read();
        if (c < 0) {
          throw new EOFException("connection closed by the node");
        }
        if (c == '\n') {
          int len = sb.length();
          if (len > 0 && sb.charAt(len - 1) == '\r') {
            sb.setLength(len - 1);
          }
          return sb.toString();
        }
        sb.append((char) c);
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }
}
