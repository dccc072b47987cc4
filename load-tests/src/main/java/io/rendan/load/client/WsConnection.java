package io.rendan.load.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One simulated app on {@code /v1/ws}: requests are correlated with their
 * responses by request id, pushes go to a callback. The JDK client allows one
 * send at a time, so frames wait in an outbox and go out one after the other;
 * that wait is part of the measured latency. The node answers every request
 * exactly once, so there is no client-side timeout per request: what is still
 * unanswered when the run ends, or when the connection drops, is counted as in
 * doubt.
 */
public final class WsConnection implements WebSocket.Listener, AutoCloseable {
  /** The request got no answer: the connection ended, or the run stopped waiting. */
  public static final class Unanswered extends IOException {
    private final String code;

    Unanswered(String code, String why) {
      super(why);
      this.code = code;
    }

    /** {@code client:ws-closed} or {@code client:unanswered}. */
    public String code() {
      return code;
    }
  }

  private final boolean binary;
  private final Consumer<Push> onPush;
  private final Map<String, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
  private final Queue<Object> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean sending = new AtomicBoolean();
  private final AtomicLong ids = new AtomicLong();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile WebSocket socket;
  private volatile boolean stalled;

  private WsConnection(boolean binary, Consumer<Push> onPush) {
    this.binary = binary;
    this.onPush = onPush;
  }

  public static CompletableFuture<WsConnection> open(
      HttpClient client, URI uri, String token, boolean binary, Consumer<Push> onPush) {
    WsConnection c = new WsConnection(binary, onPush);
    return client
        .newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token)
        .buildAsync(uri, c)
        .thenApply(
            ws -> {
              c.socket = ws;
              return c;
            });
  }

  /** Sends a request (its request id is set here) and completes with its one response. */
  public CompletableFuture<Response> request(ClientFrame.Builder frame) {
    String id = Long.toString(ids.incrementAndGet(), 36);
    CompletableFuture<Response> answer = new CompletableFuture<>();
    if (closed.isDone()) {
      answer.completeExceptionally(new Unanswered("client:ws-closed", "connection closed"));
      return answer;
    }
    pending.put(id, answer);
    ClientFrame built = frame.setRequestId(id).build();
    outbox.add(binary ? ByteBuffer.wrap(built.toByteArray()) : Api.json(built));
    flush();
    return answer;
  }

  /**
   * Stops reading: no further frame is taken from the socket, so TCP's buffers
   * fill and the server's outgoing queue for this connection with them, as with
   * a client that hangs. The server is expected to disconnect it.
   */
  public void stall() {
    stalled = true;
  }

  /** Whether the connection has ended (closed by either side, or failed). */
  public boolean isClosed() {
    return closed.isDone();
  }

  public int pending() {
    return pending.size();
  }

  private void flush() {
    if (!sending.compareAndSet(false, true)) {
      return;
    }
    Object next = outbox.poll();
    if (next == null) {
      sending.set(false);
      if (!outbox.isEmpty()) {
        flush();
      }
      return;
    }
    CompletableFuture<WebSocket> sent =
        next instanceof String s ? socket.sendText(s, true) : socket.sendBinary((ByteBuffer) next, true);
    sent.whenComplete(
        (ws, failure) -> {
          sending.set(false);
          if (failure != null) {
            failAll("send failed: " + failure);
          } else {
            flush();
          }
        });
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      String whole = text.toString();
      text.setLength(0);
      try {
        ServerFrame.Builder frame = ServerFrame.newBuilder();
        Api.jsonParser().merge(whole, frame);
        received(frame.build());
      } catch (InvalidProtocolBufferException e) {
        failAll("unreadable frame from the server: " + e.getMessage());
      }
    }
    if (!stalled) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    bytes.write(chunk, 0, chunk.length);
    if (last) {
      byte[] whole = bytes.toByteArray();
      bytes.reset();
      try {
        received(ServerFrame.parseFrom(whole));
      } catch (InvalidProtocolBufferException e) {
        failAll("unreadable frame from the server: " + e.getMessage());
      }
    }
    if (!stalled) {
      webSocket.request(1);
    }
    return null;
  }

  private void received(ServerFrame frame) {
    if (frame.hasPush()) {
      onPush.accept(frame.getPush());
    } else if (frame.hasResponse()) {
      CompletableFuture<Response> answer = pending.remove(frame.getResponse().getRequestId());
      if (answer != null) {
        answer.complete(frame.getResponse());
      }
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    failAll("closed by the server: " + statusCode + " " + reason);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    failAll("connection failed: " + error);
  }

  private void failAll(String why) {
    closed.complete(null);
    failPending("client:ws-closed", why);
  }

  /** Fails what is still unanswered, so that the caller counts it in doubt. */
  public void abandonPending() {
    failPending("client:unanswered", "the run ended before the answer came");
  }

  private void failPending(String code, String why) {
    for (String id : pending.keySet()) {
      CompletableFuture<Response> answer = pending.remove(id);
      if (answer != null) {
        answer.completeExceptionally(new Unanswered(code, why));
      }
    }
  }

  @Override
  public void close() {
    closed.complete(null);
    WebSocket ws = socket;
    if (ws != null) {
      try {
        if (!ws.isOutputClosed()) {
          ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(2, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        // the server went first or is gone: nothing left to tell it
      } finally {
        ws.abort();
      }
    }
    abandonPending();
  }
}
