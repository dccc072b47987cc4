package io.rendan.load.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One simulated app on {@code /v1/ws}: requests are correlated with their
 * responses by request id, pushes go to a callback. A non-blocking socket on one
 * of a {@link WsClient}'s threads: thousands of connections share a few
 * threads. Frames are encoded (and masked) by the caller and wait in an outbox
 * that the connection's thread writes out, several frames to a write; that wait
 * is part of the measured latency. Responses complete, and pushes are handed
 * over, on the connection's thread: what is attached to them must not block.
 *
 * <p>The node answers every request exactly once, so there is no client-side
 * timeout per request: what is still unanswered when the run ends, or when the
 * connection drops, is counted as in doubt.
 */
public final class WsConnection implements AutoCloseable {
  /** The request got no answer: the connection ended, or the run stopped waiting. */
  public static final class Unanswered extends IOException {
    private final String code;

    Unanswered(String code, String why) {
      super(why);
      this.code = code;
    }

    /**
     * {@code client:ws-closed}, {@code client:unanswered}, or {@link #DRAINED}: the
     * server never read this one (it closed normally, after answering every request
     * it read, or the connection was closed already), so it may be sent again.
     */
    public String code() {
      return code;
    }
  }

  /**
   * The code of a request the server never read: the connection was closed already
   * when it was asked, or the server closed it normally (a node draining on SIGTERM
   * answers every request it read first). It may be sent again.
   */
  public static final String DRAINED = "client:ws-not-read";

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int BUFFER = 64 * 1024;
  private static final int MAX_MESSAGE = 64 * 1024 * 1024;
  private static final long CONNECT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** A client that stopped reading still writes a ping this often: how it learns that the server dropped it. */
  private static final long STALLED_PROBE_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final int TEXT = 0x1;
  private static final int BINARY = 0x2;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;
  private static final int PONG = 0xA;

  private enum State {
    NEW,
    CONNECTING,
    UPGRADING,
    OPEN,
    CLOSED
  }

  private final WsClient.Loop loop;
  private final URI uri;
  private final String token;
  private final boolean binary;
  private final Consumer<Push> onPush;
  private final Map<String, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
  private final Queue<ByteBuffer> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final AtomicLong ids = new AtomicLong();
  private final CompletableFuture<WsConnection> opened = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile boolean stalled;

  // touched by the loop's thread only
  private State state = State.NEW;
  private SocketChannel channel;
  private SelectionKey key;
  private String acceptExpected;
  private long started;
  private long lastProbe;
  private ByteBuffer in = ByteBuffer.allocate(BUFFER);
  private ByteBuffer out = ByteBuffer.allocate(BUFFER);
  private byte[] message;
  private int messageLength;
  private int messageOpcode;
  private boolean closeSent;

  WsConnection(WsClient.Loop loop, URI uri, String token, boolean binary, Consumer<Push> onPush) {
    this.loop = loop;
    this.uri = uri;
    this.token = token;
    this.binary = binary;
    this.onPush = onPush;
  }

  public static CompletableFuture<WsConnection> open(WsClient client, URI uri, String token, boolean binary, Consumer<Push> onPush) {
    return client.open(uri, token, binary, onPush);
  }

  CompletableFuture<WsConnection> opened() {
    return opened;
  }

  /** Sends a request (its request id is set here) and completes with its one response. */
  public CompletableFuture<Response> request(ClientFrame.Builder frame) {
    String id = Long.toString(ids.incrementAndGet(), 36);
    CompletableFuture<Response> answer = new CompletableFuture<>();
    if (closed.isDone()) {
      answer.completeExceptionally(new Unanswered(DRAINED, "connection closed, not sent"));
      return answer;
    }
    pending.put(id, answer);
    if (closed.isDone() && pending.remove(id) != null) {
      // closed meanwhile, after the close failed what was pending: not sent
      answer.completeExceptionally(new Unanswered(DRAINED, "connection closed, not sent"));
      return answer;
    }
    ClientFrame built = frame.setRequestId(id).build();
    send(binary ? BINARY : TEXT, binary ? built.toByteArray() : Api.json(built).getBytes(StandardCharsets.UTF_8));
    return answer;
  }

  /**
   * Stops reading: no further frame is taken from the socket, so TCP's buffers
   * fill and the server's outgoing queue for this connection with them, as with
   * a client that hangs. The server is expected to disconnect it; a ping each
   * second is how this side notices.
   */
  public void stall() {
    stalled = true;
    loop.execute(this::interest);
  }

  /** Whether the connection has ended (closed by either side, or failed). */
  public boolean isClosed() {
    return closed.isDone();
  }

  public int pending() {
    return pending.size();
  }

  /** Fails what is still unanswered, so that the caller counts it in doubt. */
  public void abandonPending() {
    failPending("client:unanswered", "the run ended before the answer came");
  }

  /** Says goodbye with a close frame and drops the connection; what is unanswered is abandoned. */
  @Override
  public void close() {
    closed.complete(null);
    loop.execute(
        () -> {
          if (state == State.OPEN && !closeSent) {
            closeSent = true;
            outbox.add(frame(CLOSE, closePayload(1000, "done")));
            writeOut();
          }
          drop("client:unanswered", "the run ended before the answer came");
        });
    abandonPending();
  }

  private void send(int opcode, byte[] payload) {
    outbox.add(frame(opcode, payload));
    if (flushScheduled.compareAndSet(false, true)) {
      loop.execute(
          () -> {
            flushScheduled.set(false);
            if (state == State.OPEN) {
              writeOut();
            }
          });
    }
  }

  /** A client frame: final, masked with a fresh key as RFC 6455 asks of clients. */
  static ByteBuffer frame(int opcode, byte[] payload) {
    int len = payload.length;
    ByteBuffer f = ByteBuffer.allocate(2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + 4 + len);
    f.put((byte) (0x80 | opcode));
    if (len < 126) {
      f.put((byte) (0x80 | len));
    } else if (len < 65536) {
      f.put((byte) (0x80 | 126)).putShort((short) len);
    } else {
      f.put((byte) (0x80 | 127)).putLong(len);
    }
    int mask = ThreadLocalRandom.current().nextInt();
    f.putInt(mask);
    byte m0 = (byte) (mask >>> 24);
    byte m1 = (byte) (mask >>> 16);
    byte m2 = (byte) (mask >>> 8);
    byte m3 = (byte) mask;
    for (int i = 0; i < len; i++) {
      byte m = switch (i & 3) {
        case 0 -> m0;
        case 1 -> m1;
        case 2 -> m2;
        default -> m3;
      };
      f.put((byte) (payload[i] ^ m));
    }
    return f.flip();
  }

  private static byte[] closePayload(int code, String reason) {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >>> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    return p;
  }

  // ---- on the loop's thread from here on

  void connect() {
    if (loop.stopping()) {
      drop("client:ws-closed", "the load generator's WebSocket client closed");
      return;
    }
    try {
      if (!"ws".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
        throw new IOException("only ws:// is supported by the load generator's WebSocket client, not " + uri);
      }
      int port = uri.getPort() > 0 ? uri.getPort() : 80;
      state = State.CONNECTING;
      started = loop.now = System.nanoTime();
      loop.add(this);
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      key = channel.register(loop.selector, SelectionKey.OP_CONNECT, this);
      if (channel.connect(new InetSocketAddress(uri.getHost(), port))) {
        connected();
      }
    } catch (IOException | RuntimeException e) {
      drop("client:ws-closed", "connect failed: " + e);
    }
  }

  private void connected() throws IOException {
    state = State.UPGRADING;
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String wsKey = Base64.getEncoder().encodeToString(nonce);
    acceptExpected = accept(wsKey);
    int port = uri.getPort() > 0 ? uri.getPort() : 80;
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()) + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String head =
        "GET " + path + " HTTP/1.1\r\n"
            + "Host: " + uri.getHost() + ":" + port + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: " + wsKey + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer " + token + "\r\n\r\n";
    out.put(head.getBytes(StandardCharsets.ISO_8859_1));
    writeOut();
  }

  static String accept(String wsKey) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((wsKey + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void ready(SelectionKey k) {
    if (!k.isValid() || state == State.CLOSED) {
      return;
    }
    if (k.isConnectable()) {
      try {
        channel.finishConnect();
        connected();
      } catch (IOException e) {
        drop("client:ws-closed", "connect failed: " + e);
      }
      return;
    }
    if (k.isWritable()) {
      writeOut();
    }
    if (k.isValid() && state != State.CLOSED && k.isReadable()) {
      readIn();
    }
  }

  /** Writes what waits: the upgrade request, then (once open) the outbox, several frames to a write. */
  private void writeOut() {
    if (channel == null || state == State.CLOSED || state == State.CONNECTING) {
      return;
    }
    try {
      while (true) {
        if (state == State.OPEN) {
          ByteBuffer f;
          while ((f = outbox.peek()) != null && out.remaining() >= f.remaining()) {
            out.put(f);
            outbox.poll();
          }
          if (f != null && out.position() == 0) {
            out = ByteBuffer.allocate(Math.max(out.capacity() * 2, f.remaining()));
            continue;
          }
        }
        if (out.position() == 0) {
          break;
        }
        out.flip();
        channel.write(out);
        out.compact();
        if (out.position() > 0) {
          break; // the socket is full: on with OP_WRITE
        }
        if (state != State.OPEN || outbox.isEmpty()) {
          break;
        }
      }
      interest();
    } catch (IOException e) {
      drop("client:ws-closed", "connection failed: " + e);
    }
  }

  /** Read unless stalled; write while something waits. */
  private void interest() {
    if (key == null || !key.isValid() || state == State.CONNECTING) {
      return;
    }
    int ops = (stalled && state == State.OPEN ? 0 : SelectionKey.OP_READ) | (out.position() > 0 ? SelectionKey.OP_WRITE : 0);
    if (key.interestOps() != ops) {
      key.interestOps(ops);
    }
  }

  private void readIn() {
    if (stalled && state == State.OPEN) {
      interest();
      return;
    }
    int n;
    try {
      n = channel.read(in);
    } catch (IOException e) {
      drop("client:ws-closed", "connection failed: " + e);
      return;
    }
    if (n < 0) {
      drop("client:ws-closed", state == State.UPGRADING ? "closed during the upgrade" : "closed by the server without a close frame");
      return;
    }
    if (n > 0) {
      parse();
    }
  }

  private void parse() {
    byte[] b = in.array();
    int limit = in.position();
    int p = 0;
    int need = 0;
    if (state == State.UPGRADING) {
      int end = -1;
      for (int i = 0; i + 3 < limit; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
          end = i;
          break;
        }
      }
      if (end < 0) {
        if (limit == b.length) {
          drop("client:ws-closed", "upgrade answer larger than " + b.length + " bytes");
        }
        return;
      }
      if (!upgraded(new String(b, 0, end, StandardCharsets.ISO_8859_1))) {
        return;
      }
      p = end + 4;
    }
    while (state == State.OPEN && !stalled) {
      int avail = limit - p;
      if (avail < 2) {
        break;
      }
      int b0 = b[p] & 0xff;
      int b1 = b[p + 1] & 0xff;
      long len = b1 & 0x7f;
      int h = 2;
      if (len == 126) {
        if (avail < 4) {
          break;
        }
        len = ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
        h = 4;
      } else if (len == 127) {
        if (avail < 10) {
          break;
        }
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | (b[p + 2 + i] & 0xff);
        }
        h = 10;
      }
      boolean masked = (b1 & 0x80) != 0;
      if (masked) {
        h += 4;
      }
      if (len > MAX_MESSAGE) {
        drop("client:ws-closed", "frame from the server larger than " + MAX_MESSAGE + " bytes");
        return;
      }
      if (avail < h + len) {
        need = h + (int) len;
        break;
      }
      int payload = p + h;
      if (masked) {
        for (int i = 0; i < len; i++) {
          b[payload + i] ^= b[payload - 4 + (i & 3)];
        }
      }
      p = payload + (int) len;
      frame((b0 & 0x80) != 0, b0 & 0x0f, b, payload, (int) len);
    }
    if (state == State.CLOSED) {
      return;
    }
    ByteBuffer target = need > in.capacity() ? ByteBuffer.allocate(need) : in;
    int rest = limit - p;
    if (rest > 0 && (p > 0 || target != in)) {
      System.arraycopy(b, p, target.array(), 0, rest);
    }
    target.position(rest);
    target.limit(target.capacity());
    in = target;
  }

  /** The server's answer to the upgrade; answers whether the connection is now open. */
  private boolean upgraded(String head) {
    String[] lines = head.split("\r\n");
    String accept = null;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sec-websocket-accept")) {
        accept = lines[i].substring(colon + 1).trim();
      }
    }
    if (!lines[0].startsWith("HTTP/1.1 101")) {
      drop("client:ws-closed", "WebSocket upgrade refused: " + lines[0]);
      return false;
    }
    if (!acceptExpected.equals(accept)) {
      drop("client:ws-closed", "WebSocket upgrade with a wrong Sec-WebSocket-Accept: " + accept);
      return false;
    }
    state = State.OPEN;
    interest();
    opened.complete(this);
    writeOut(); // whatever was asked meanwhile
    return true;
  }

  private void frame(boolean fin, int opcode, byte[] b, int off, int len) {
    switch (opcode) {
      case TEXT, BINARY -> {
        if (fin && messageOpcode == 0) {
          deliver(opcode, b, off, len);
        } else {
          messageOpcode = opcode;
          messageLength = 0;
          append(b, off, len);
          if (fin) {
            deliverAssembled();
          }
        }
      }
      case 0x0 -> {
        if (messageOpcode == 0) {
          drop("client:ws-closed", "a continuation frame with no message begun");
          return;
        }
        append(b, off, len);
        if (fin) {
          deliverAssembled();
        }
      }
      case CLOSE -> {
        int code = len >= 2 ? ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff) : 1005;
        String reason = len > 2 ? new String(b, off + 2, len - 2, StandardCharsets.UTF_8) : "";
        // A node that stops answers every request it read before its close (1000), so
        // what is unanswered then was never read, and may be sent again elsewhere.
        boolean drained = code == 1000 && !closeSent;
        if (!closeSent) {
          closeSent = true;
          outbox.add(frame(CLOSE, len >= 2 ? Arrays.copyOfRange(b, off, off + 2) : new byte[0]));
          writeOut();
        }
        drop(drained ? DRAINED : "client:ws-closed", "closed by the server: " + code + " " + reason);
      }
      case PING -> {
        outbox.add(frame(PONG, Arrays.copyOfRange(b, off, off + len)));
        writeOut();
      }
      case PONG -> {
        // the answer to a probe
      }
      default -> drop("client:ws-closed", "unknown frame opcode " + opcode);
    }
  }

  private void append(byte[] b, int off, int len) {
    if (message == null || messageLength + len > message.length) {
      message = Arrays.copyOf(message == null ? new byte[0] : message, Math.max(messageLength + len, message == null ? 1024 : message.length * 2));
    }
    System.arraycopy(b, off, message, messageLength, len);
    messageLength += len;
  }

  private void deliverAssembled() {
    int opcode = messageOpcode;
    messageOpcode = 0;
    int len = messageLength;
    messageLength = 0;
    byte[] whole = message;
    message = null;
    deliver(opcode, whole, 0, len);
  }

  private void deliver(int opcode, byte[] b, int off, int len) {
    ServerFrame frame;
    try {
      if (opcode == TEXT) {
        ServerFrame.Builder builder = ServerFrame.newBuilder();
        Api.jsonParser().merge(new String(b, off, len, StandardCharsets.UTF_8), builder);
        frame = builder.build();
      } else {
        frame = ServerFrame.parser().parseFrom(b, off, len);
      }
    } catch (InvalidProtocolBufferException e) {
      drop("client:ws-closed", "unreadable frame from the server: " + e.getMessage());
      return;
    }
    try {
      if (frame.hasPush()) {
        onPush.accept(frame.getPush());
      } else if (frame.hasResponse()) {
        CompletableFuture<Response> answer = pending.remove(frame.getResponse().getRequestId());
        if (answer != null) {
          answer.complete(frame.getResponse());
        }
      }
    } catch (RuntimeException e) {
      // a scenario's bug must not stop the connection
      e.printStackTrace();
    }
  }

  /** The loop's clock: a connect or upgrade that takes too long, and the probes of a stalled client. */
  void tick(long now) {
    if ((state == State.CONNECTING || state == State.UPGRADING) && now - started > CONNECT_TIMEOUT_NANOS) {
      drop("client:ws-closed", "connect timed out");
    } else if (state == State.OPEN && stalled && now - lastProbe >= STALLED_PROBE_NANOS) {
      lastProbe = now;
      outbox.add(frame(PING, new byte[0]));
      writeOut();
    }
  }

  /** The connection is over: the socket closed, the open future and what is pending failed. */
  void drop(String code, String why) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    loop.remove(this);
    outbox.clear();
    opened.completeExceptionally(new IOException(why));
    closed.complete(null);
    failPending(code, why);
  }

  void drop(String why) {
    drop("client:ws-closed", why);
  }

  private void failPending(String code, String why) {
    for (String id : pending.keySet()) {
      CompletableFuture<Response> answer = pending.remove(id);
      if (answer != null) {
        answer.completeExceptionally(new Unanswered(code, why));
      }
    }
  }
}
