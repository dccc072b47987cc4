package io.rendan.ws;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.ServerFrame;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (the JDK's) that collects what the server sends. */
public final class WsClient implements AutoCloseable {
  /** One frame as received: decoded, and whether it came as a binary frame. */
  public record Received(ServerFrame frame, boolean binary) {}

  public final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  public final CompletableFuture<Integer> closed = new CompletableFuture<>();
  public final WebSocket socket;

  private WsClient(WebSocket socket) {
    this.socket = socket;
  }

  public static WsClient connect(URI uri, String token) throws Exception {
    return connect(uri, token, true);
  }

  /** With {@code reading == false} the client never asks for frames, like a stalled app. */
  public static WsClient connect(URI uri, String token, boolean reading) throws Exception {
    Listener listener = new Listener(reading);
    WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    WebSocket ws = builder.buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
    WsClient client = new WsClient(ws);
    listener.client = client;
    return client;
  }

  public void sendJson(ClientFrame frame) throws Exception {
    socket.sendText(JsonFormat.printer().print(frame), true).get(5, TimeUnit.SECONDS);
  }

  public void sendText(String text) throws Exception {
    socket.sendText(text, true).get(5, TimeUnit.SECONDS);
  }

  public void sendBinary(ClientFrame frame) throws Exception {
    socket.sendBinary(ByteBuffer.wrap(frame.toByteArray()), true).get(5, TimeUnit.SECONDS);
  }

  /** The next frame, waiting at most 10 s; fails the test when none comes. */
  public Received next() throws InterruptedException {
    Received r = received.poll(10, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no frame from the server within 10 s");
    }
    return r;
  }

  @Override
  public void close() {
    socket.abort();
  }

  private static final class Listener implements WebSocket.Listener {
    private final boolean reading;
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    volatile WsClient client;

    Listener(boolean reading) {
      this.reading = reading;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      if (reading) {
        webSocket.request(1);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          ServerFrame.Builder b = ServerFrame.newBuilder();
          JsonFormat.parser().merge(text.toString(), b);
          client.received.add(new Received(b.build(), false));
        } catch (Exception e) {
          throw new AssertionError("server sent a frame that is not a ServerFrame: " + text, e);
        }
        text.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      bytes.writeBytes(chunk);
      if (last) {
        try {
          client.received.add(new Received(ServerFrame.parseFrom(bytes.toByteArray()), true));
        } catch (Exception e) {
          throw new AssertionError("server sent binary that is not a ServerFrame", e);
        }
        bytes.reset();
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      client.closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      client.closed.complete(-1);
    }
  }
}
