package io.rendan.load.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * rate. A thread and a blocking socket per connection cost less, but still
 * reached only ~58 % of what {@code wrk} gets from the same node, the rest lost
 * to thread hand-offs and wake-ups. So the connections are non-blocking and
 * shared out over a few selector threads ({@code ioThreads}, 1-2 by default, as
 * wrk's {@code -t2}): each thread owns its connections, and a callback that
 * submits the next request (a closed loop) hands it to its own thread with no
 * wake-up at all. Request heads are encoded once per connection and sent again
 * as they are when the same request object comes back; responses are parsed in
 * place from a buffer per connection.
 *
 * <p>Callbacks run on a selector thread: they must not block (and {@link #send}
 * refuses to run there). Only what the node sends is understood: Content-Length
 * or chunked bodies, or a body that ends with the connection.
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

  private static final class Pending {
    final Request request;
    final BiConsumer<Response, Throwable> done;
    /** Sent again once on a fresh connection after a kept-alive one failed. */
    boolean retried;

    Pending(Request request, BiConsumer<Response, Throwable> done) {
      this.request = request;
      this.done = done;
    }
  }

  /** Selector threads per lane unless told otherwise: as {@code wrk -t2}, and one for a small lane. */
  public static final int DEFAULT_IO_THREADS = 2;

  /** Connections idle longer than this are replaced before use: the node closes idle ones after a while. */
  private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private static final byte[] EMPTY = new byte[0];
  private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] CRLF = {'\r', '\n'};

  private final InetSocketAddress address;
  private final byte[] hostHeader;
  private final long timeoutNanos;
  private final int maxQueued;
  private final int connections;
  private final ConcurrentLinkedDeque<Pending> queue = new ConcurrentLinkedDeque<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final Loop[] loops;
  private volatile boolean closed;

  public HttpLane(URI base, int connections, int maxQueued, Duration timeout) {
    this(base, connections, maxQueued, timeout, defaultIoThreads(connections));
  }

  /** {@code ioThreads} selector threads share the connections (at most one thread per connection). */
  public HttpLane(URI base, int connections, int maxQueued, Duration timeout, int ioThreads) {
    if (connections < 1 || ioThreads < 1) {
      throw new IllegalArgumentException("a lane needs at least one connection and one thread");
    }
    int port = base.getPort() > 0 ? base.getPort() : 80;
    this.address = new InetSocketAddress(base.getHost(), port);
    this.hostHeader = ("Host: " + base.getHost() + ":" + port + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    this.timeoutNanos = timeout.toNanos();
    this.maxQueued = maxQueued;
    this.connections = connections;
    int threads = Math.min(ioThreads, connections);
    this.loops = new Loop[threads];
    try {
      for (int i = 0; i < threads; i++) {
        loops[i] = new Loop(i, connections / threads + (i < connections % threads ? 1 : 0));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector", e);
    }
    for (Loop loop : loops) {
      loop.thread.start();
    }
  }

  /** One thread for a lane of fewer than 8 connections, else {@link #DEFAULT_IO_THREADS}. */
  public static int defaultIoThreads(int connections) {
    return connections < 8 ? 1 : DEFAULT_IO_THREADS;
  }

  /** The selector threads this lane runs on. */
  public int ioThreads() {
    return loops.length;
  }

  public void submit(Request request, BiConsumer<Response, Throwable> done) {
    if (closed) {
      done.accept(null, new IOException("lane closed"));
      return;
    }
    if (outstanding.incrementAndGet() > maxQueued + connections) {
      outstanding.decrementAndGet();
      done.accept(null, new BacklogFull());
      return;
    }
    queue.addLast(new Pending(request, done));
    wakeOne();
  }

  /**
   * Makes sure a thread with a free connection looks at the queue. A loop's own
   * callbacks need no wake-up: the loop takes from the queue before it selects again.
   */
  private void wakeOne() {
    Thread current = Thread.currentThread();
    for (Loop loop : loops) {
      if (loop.thread == current && loop.free > 0) {
        return;
      }
    }
    for (Loop loop : loops) {
      if (loop.free > 0) {
        if (loop.thread != current && loop.woken.compareAndSet(false, true)) {
          loop.selector.wakeup();
        }
        return;
      }
    }
    // every connection is busy: the first to finish takes the request from the queue
  }

  /** Sends and waits for the answer: for set-up, not for measured operations. */
  public Response send(Request request) throws IOException, InterruptedException {
    for (Loop loop : loops) {
      if (loop.thread == Thread.currentThread()) {
        throw new IllegalStateException("send() from a lane's own callback would wait for itself: use submit()");
      }
    }
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

  /** Fails the requests still waiting for a connection with {@link NotSent}; those in flight go on. */
  public void cancelQueued() {
    Pending p;
    while ((p = queue.pollFirst()) != null) {
      outstanding.decrementAndGet();
      complete(p, null, new NotSent());
    }
  }

  /** Takes no more requests and drops those waiting; those in flight are answered (or time out), then the threads end. */
  @Override
  public void close() {
    closed = true;
    cancelQueued();
    for (Loop loop : loops) {
      loop.selector.wakeup();
    }
  }

  private static void complete(Pending p, Response response, Throwable failure) {
    try {
      p.done.accept(response, failure);
    } catch (RuntimeException e) {
      // a scenario's bug must not stop the lane
      e.printStackTrace();
    }
  }

  /** A selector thread and the connections it owns; nothing in it is touched by another thread but the two volatiles. */
  private final class Loop implements Runnable {
    final Selector selector;
    final Thread thread;
    final Connection[] all;
    /** Free connections, the most recently used on top: reuse a warm one before opening another. */
    final Connection[] freeStack;
    /** How many are free; read by submitters to decide whom to wake. */
    volatile int free;
    /** Set by a submitter that woke this loop; cleared before the loop looks at the queue. */
    final AtomicBoolean woken = new AtomicBoolean();
    int busy;
    long now = System.nanoTime();
    long lastSweep = now;
    final long sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(timeoutNanos / 10, TimeUnit.SECONDS.toNanos(1)));

    Loop(int index, int count) throws IOException {
      selector = Selector.open();
      all = new Connection[count];
      freeStack = new Connection[count];
      for (int i = 0; i < count; i++) {
        all[i] = new Connection(this);
        freeStack[i] = all[i];
      }
      free = count;
      thread = new Thread(this, "http-lane-io-" + index);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      long selectMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(sweepNanos));
      try {
        while (true) {
          if (woken.get()) {
            woken.set(false);
          }
          if (closed && busy == 0) {
            break;
          }
          dispatch();
          selector.select(this::ready, selectMillis);
          now = System.nanoTime();
          if (now - lastSweep >= sweepNanos) {
            lastSweep = now;
            for (Connection c : all) {
              c.checkTimeout();
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        System.err.println(thread.getName() + " failed: " + e);
        for (Connection c : all) {
          if (c.pending != null) {
            c.fail(new IOException("lane thread failed", e));
          }
        }
      } finally {
        for (Connection c : all) {
          c.closeChannel();
        }
        try {
          selector.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }

    private void dispatch() {
      int f = free;
      while (f > 0 && !closed) {
        Pending p = queue.pollFirst();
        if (p == null) {
          break;
        }
        Connection c = freeStack[--f];
        free = f;
        busy++;
        c.start(p);
        f = free; // start may have failed and freed it again
      }
    }

    private void ready(SelectionKey key) {
      Connection c = (Connection) key.attachment();
      if (!key.isValid()) {
        return;
      }
      if (key.isConnectable()) {
        c.finishConnect();
        return;
      }
      if (key.isWritable()) {
        c.writeMore();
      }
      if (key.isValid() && key.isReadable()) {
        c.readable();
      }
    }

    void release(Connection c) {
      busy--;
      freeStack[free] = c;
      free = free + 1;
    }
  }

  private enum Phase {
    HEAD,
    LENGTH,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_END,
    TRAILERS,
    UNTIL_CLOSE
  }

  /** One keep-alive connection; touched only by its loop's thread. */
  private final class Connection {
    private final Loop loop;
    private SocketChannel channel;
    private SelectionKey key;
    private Pending pending;
    private boolean reused;
    private long lastUsed;
    private long lastProgress;

    /** The request head (and body) as last encoded: sent again as it is for the same request. */
    private ByteBuffer out = ByteBuffer.allocate(1024);
    private Request encoded;

    private ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    private int pos;
    private int scan;
    private Phase phase = Phase.HEAD;
    private int status;
    private boolean keepAlive;
    private String contentType;
    private byte[] lastContentTypeBytes = EMPTY;
    private String lastContentType;
    private long contentLength;
    private boolean chunked;
    private byte[] body;
    private int bodyLength;
    private int chunkRemaining;

    Connection(Loop loop) {
      this.loop = loop;
    }

    void start(Pending p) {
      pending = p;
      long now = loop.now = System.nanoTime();
      lastProgress = now;
      if (channel != null && now - lastUsed > MAX_IDLE_NANOS) {
        closeChannel();
      }
      reused = channel != null;
      try {
        encode(p.request);
        if (channel == null) {
          open();
        } else {
          write();
        }
      } catch (IOException | RuntimeException e) {
        failOrRetry(e);
      }
    }

    private void open() throws IOException {
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected = channel.connect(address);
      key = channel.register(loop.selector, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
      if (connected) {
        write();
      }
    }

    void finishConnect() {
      try {
        channel.finishConnect();
        key.interestOps(SelectionKey.OP_READ);
        lastProgress = loop.now;
        write();
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private void write() throws IOException {
      channel.write(out);
      if (out.hasRemaining()) {
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
      }
    }

    void writeMore() {
      try {
        channel.write(out);
        lastProgress = loop.now;
        if (!out.hasRemaining()) {
          key.interestOps(SelectionKey.OP_READ);
        }
      } catch (IOException | RuntimeException e) {
        failOrRetry(e);
      }
    }

    private void encode(Request r) {
      if (r == encoded) {
        out.rewind();
        return;
      }
      encoded = null;
      out.clear();
      ascii(r.method());
      put((byte) ' ');
      ascii(r.path());
      put(HTTP11);
      put(hostHeader);
      if (r.token() != null) {
        // a bare token is a bearer token; "Device <secret>" (an appliance) is sent as it is
        ascii(r.token().startsWith("Device ") ? "Authorization: " : "Authorization: Bearer ");
        ascii(r.token());
        put(CRLF);
      }
      if (r.accept() != null) {
        ascii("Accept: ");
        ascii(r.accept());
        put(CRLF);
      }
      if (r.body() != null) {
        ascii("Content-Type: ");
        ascii(r.contentType());
        ascii("\r\nContent-Length: ");
        ascii(Integer.toString(r.body().length));
        put(CRLF);
      }
      put(CRLF);
      if (r.body() != null) {
        put(r.body());
      }
      out.flip();
      encoded = r;
    }

    private void ascii(String s) {
      int n = s.length();
      room(n);
      for (int i = 0; i < n; i++) {
        out.put((byte) s.charAt(i));
      }
    }

    private void put(byte b) {
      room(1);
      out.put(b);
    }

    private void put(byte[] b) {
      room(b.length);
      out.put(b);
    }

    private void room(int n) {
      if (out.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + n));
        out.flip();
        bigger.put(out);
        out = bigger;
      }
    }

    void readable() {
      int n;
      try {
        n = channel.read(in);
      } catch (IOException e) {
        closed(e);
        return;
      }
      if (n < 0) {
        closed(null);
        return;
      }
      if (n == 0) {
        return;
      }
      if (pending == null) {
        // nothing asked: the node has no reason to send; start afresh next time
        closeChannel();
        return;
      }
      lastProgress = loop.now;
      try {
        parse();
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    /** The connection ended (EOF or reset). */
    private void closed(IOException e) {
      if (pending == null) {
        closeChannel(); // the node closed an idle connection
      } else if (phase == Phase.UNTIL_CLOSE) {
        finish();
      } else {
        failOrRetry(e != null ? e : new EOFException("connection closed by the node"));
      }
    }

    private void parse() throws IOException {
      byte[] b = in.array();
      int limit = in.position();
      boolean done = false;
      loop:
      while (!done) {
        switch (phase) {
          case HEAD -> {
            int end = headEnd(b, limit);
            if (end < 0) {
              if (limit == b.length) {
                grow(limit);
              }
              break loop;
            }
            head(b, end);
            pos = end + 4;
            if (status == 204 || status == 304 || status < 200 || pending.request.method().equals("HEAD")) {
              body = EMPTY;
              done = true;
            } else if (chunked) {
              startBody(256);
              phase = Phase.CHUNK_SIZE;
            } else if (contentLength >= 0) {
              if (contentLength > Integer.MAX_VALUE - 16) {
                throw new IOException("response body too large: " + contentLength);
              }
              body = contentLength == 0 ? EMPTY : new byte[(int) contentLength];
              bodyLength = 0;
              phase = Phase.LENGTH;
              done = contentLength == 0;
            } else {
              keepAlive = false;
              startBody(1024);
              phase = Phase.UNTIL_CLOSE;
            }
          }
          case LENGTH -> {
            int n = Math.min(limit - pos, body.length - bodyLength);
            System.arraycopy(b, pos, body, bodyLength, n);
            pos += n;
            bodyLength += n;
            if (bodyLength == body.length) {
              done = true;
            } else {
              break loop;
            }
          }
          case CHUNK_SIZE -> {
            int eol = lineEnd(b, pos, limit);
            if (eol < 0) {
              break loop;
            }
            int size = 0;
            for (int i = pos; i < eol; i++) {
              int d = Character.digit(b[i], 16);
              if (d < 0) {
                if (b[i] == ';' || b[i] == ' ' || b[i] == '\r') {
                  break;
                }
                throw new IOException("bad chunk size");
              }
              size = size * 16 + d;
            }
            pos = eol + 1;
            if (size == 0) {
              phase = Phase.TRAILERS;
            } else {
              chunkRemaining = size;
              phase = Phase.CHUNK_DATA;
            }
          }
          case CHUNK_DATA -> {
            int n = Math.min(limit - pos, chunkRemaining);
            append(b, pos, n);
            pos += n;
            chunkRemaining -= n;
            if (chunkRemaining > 0) {
              break loop;
            }
            phase = Phase.CHUNK_END;
          }
          case CHUNK_END, TRAILERS -> {
            int eol = lineEnd(b, pos, limit);
            if (eol < 0) {
              break loop;
            }
            boolean empty = eol == pos || (eol == pos + 1 && b[pos] == '\r');
            pos = eol + 1;
            if (phase == Phase.CHUNK_END) {
              phase = Phase.CHUNK_SIZE;
            } else if (empty) {
              body = Arrays.copyOf(body, bodyLength);
              done = true;
            }
          }
          case UNTIL_CLOSE -> {
            append(b, pos, limit - pos);
            pos = limit;
            break loop;
          }
        }
      }
      // keep what is not consumed at the start of the buffer
      int rest = limit - pos;
      if (rest > 0 && pos > 0) {
        System.arraycopy(b, pos, b, 0, rest);
      }
      if (pos > 0) {
        scan = Math.max(0, scan - pos);
        in.position(rest);
        pos = 0;
      }
      if (done) {
        if (in.position() > 0) {
          keepAlive = false; // more than was asked for: do not trust this connection again
        }
        finish();
      }
    }

    /** Index of the first byte of {@code \r\n\r\n} after the status line and headers, or -1. */
    private int headEnd(byte[] b, int limit) {
      for (int i = Math.max(0, scan - 3); i + 3 < limit; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
          return i;
        }
      }
      scan = limit;
      return -1;
    }

    private int lineEnd(byte[] b, int from, int limit) {
      for (int i = from; i < limit; i++) {
        if (b[i] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private void head(byte[] b, int end) throws IOException {
      if (end < 12 || !startsWith(b, 0, "HTTP/1.")) {
        throw new IOException("not an HTTP response: " + new String(b, 0, Math.min(end, 60), StandardCharsets.ISO_8859_1));
      }
      status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
      keepAlive = b[7] != '0';
      contentLength = -1;
      chunked = false;
      contentType = null;
      int line = lineEnd(b, 0, end) + 1;
      while (line > 0 && line < end) {
        int eol = lineEnd(b, line, end);
        int stop = eol < 0 ? end : (b[eol - 1] == '\r' ? eol - 1 : eol);
        int colon = line;
        while (colon < stop && b[colon] != ':') {
          colon++;
        }
        if (colon < stop) {
          int v = colon + 1;
          while (v < stop && (b[v] == ' ' || b[v] == '\t')) {
            v++;
          }
          int ve = stop;
          while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
            ve--;
          }
          header(b, line, colon, v, ve);
        }
        line = eol < 0 ? end : eol + 1;
      }
    }

    private void header(byte[] b, int name, int nameEnd, int v, int ve) throws IOException {
      if (nameIs(b, name, nameEnd, "content-length")) {
        long n = 0;
        for (int i = v; i < ve; i++) {
          if (b[i] < '0' || b[i] > '9') {
            throw new IOException("bad Content-Length");
          }
          n = n * 10 + (b[i] - '0');
        }
        contentLength = n;
      } else if (nameIs(b, name, nameEnd, "transfer-encoding")) {
        chunked = nameIs(b, v, ve, "chunked");
      } else if (nameIs(b, name, nameEnd, "content-type")) {
        contentType = contentType(b, v, ve);
      } else if (nameIs(b, name, nameEnd, "connection")) {
        keepAlive = !nameIs(b, v, ve, "close");
      }
    }

    /** The same content type as last time costs no new string. */
    private String contentType(byte[] b, int v, int ve) {
      if (Arrays.equals(b, v, ve, lastContentTypeBytes, 0, lastContentTypeBytes.length)) {
        return lastContentType;
      }
      lastContentTypeBytes = Arrays.copyOfRange(b, v, ve);
      lastContentType = new String(lastContentTypeBytes, StandardCharsets.ISO_8859_1);
      return lastContentType;
    }

    private void startBody(int capacity) {
      body = new byte[capacity];
      bodyLength = 0;
    }

    private void append(byte[] b, int from, int n) {
      if (bodyLength + n > body.length) {
        body = Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + n));
      }
      System.arraycopy(b, from, body, bodyLength, n);
      bodyLength += n;
    }

    private void grow(int limit) throws IOException {
      if (in.capacity() >= 1 << 20) {
        throw new IOException("response head larger than 1 MiB");
      }
      ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
      bigger.put(in.array(), 0, limit);
      in = bigger;
    }

    /** A whole response is in. */
    private void finish() {
      Pending p = pending;
      byte[] b = body.length == bodyLength || body == EMPTY ? body : Arrays.copyOf(body, bodyLength);
      Response response = new Response(status, contentType, b);
      lastUsed = loop.now;
      if (!keepAlive) {
        closeChannel();
      }
      reset();
      release();
      complete(p, response, null);
    }

    /** A kept-alive connection the node closed meanwhile (it restarted, say): a read is safe to send again, once. */
    private void failOrRetry(Throwable e) {
      Pending p = pending;
      if (reused && !p.retried && p.request.method().equals("GET") && !closed) {
        p.retried = true;
        closeChannel();
        reset();
        loop.release(this); // still outstanding: it goes back to the head of the queue
        queue.addFirst(p);
        return;
      }
      fail(e);
    }

    void fail(Throwable e) {
      Pending p = pending;
      closeChannel();
      reset();
      release();
      complete(p, null, e);
    }

    void checkTimeout() {
      if (pending != null && loop.now - lastProgress > timeoutNanos) {
        fail(
            new SocketTimeoutException(
                (key != null && key.isValid() && (key.interestOps() & SelectionKey.OP_CONNECT) != 0 ? "connect" : "read")
                    + " timed out after "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                    + " ms"));
      }
    }

    private void reset() {
      pending = null;
      phase = Phase.HEAD;
      pos = 0;
      scan = 0;
      body = null;
      bodyLength = 0;
      in.clear();
    }

    /** Back on the free stack; the request counts as answered. */
    private void release() {
      outstanding.decrementAndGet();
      loop.release(this);
    }

    void closeChannel() {
      if (channel != null) {
        try {
          channel.close(); // cancels the key too
        } catch (IOException e) {
          // closing anyway
        }
        channel = null;
        key = null;
        encoded = null; // rewinding a buffer that was only half sent is fine, but keep it simple after a failure
      }
    }
  }

  private static boolean startsWith(byte[] b, int from, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[from + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code b[from, to)} equals the lower-case ASCII {@code lower}, ignoring case. */
  private static boolean nameIs(byte[] b, int from, int to, String lower) {
    if (to - from != lower.length()) {
      return false;
    }
    for (int i = 0; i < lower.length(); i++) {
      int c = b[from + i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
