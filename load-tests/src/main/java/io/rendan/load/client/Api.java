package io.rendan.load.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.Error;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/**
 * The node's HTTP API as the load generator speaks it: requests in JSON (the
 * canonical protobuf mapping) or binary protobuf, and error codes read from the
 * API's one error shape {@code {"code","message","status"}}.
 */
public final class Api {
  public static final String PROTOBUF = "application/x-protobuf";
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private final URI base;
  private final boolean protobuf;
  private final Duration timeout;
  private final int clientThreads;

  public Api(URI base, boolean protobuf, Duration timeout) {
    this(base, protobuf, timeout, 0);
  }

  /** {@code clientThreads}: selector threads per lane; 0 for {@link HttpLane#defaultIoThreads}. */
  public Api(URI base, boolean protobuf, Duration timeout, int clientThreads) {
    this.base = base;
    this.protobuf = protobuf;
    this.timeout = timeout;
    this.clientThreads = clientThreads;
  }

  public URI base() {
    return base;
  }

  public boolean protobuf() {
    return protobuf;
  }

  /** A lane of {@code connections} keep-alive connections to the node. */
  public HttpLane lane(int connections, int maxQueued) {
    int threads = clientThreads > 0 ? clientThreads : HttpLane.defaultIoThreads(connections);
    return new HttpLane(base, connections, maxQueued, timeout, threads);
  }

  /** The WebSocket endpoint of the same node. */
  public URI wsUri() {
    String scheme = base.getScheme().equals("https") ? "wss" : "ws";
    return URI.create(scheme + "://" + base.getRawAuthority() + "/v1/ws");
  }

  public HttpLane.Request get(String path, String token) {
    return new HttpLane.Request("GET", path, token, null, protobuf ? PROTOBUF : null, null);
  }

  public HttpLane.Request delete(String path, String token) {
    return new HttpLane.Request("DELETE", path, token, null, protobuf ? PROTOBUF : null, null);
  }

  public HttpLane.Request send(String method, String path, String token, Message body) {
    return protobuf
        ? new HttpLane.Request(method, path, token, PROTOBUF, PROTOBUF, body.toByteArray())
        : new HttpLane.Request(method, path, token, "application/json", null, json(body).getBytes(StandardCharsets.UTF_8));
  }

  /** Decodes a response body in whichever encoding the node chose. */
  public static <B extends Message.Builder> B parse(HttpLane.Response response, B builder) {
    try {
      if (response.contentType() != null && response.contentType().startsWith(PROTOBUF)) {
        builder.mergeFrom(response.body());
      } else {
        PARSER.merge(new String(response.body(), StandardCharsets.UTF_8), builder);
      }
      return builder;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("unreadable response body: " + e.getMessage(), e);
    }
  }

  /** The stable code of an error response, or {@code http:<status>} when it has none. */
  public static String errorCode(HttpLane.Response response) {
    try {
      String code = parse(response, Error.newBuilder()).getCode();
      if (!code.isEmpty()) {
        return code;
      }
    } catch (RuntimeException e) {
      // not the API's error shape (a proxy's page, say): fall back to the status
    }
    return "http:" + response.status();
  }

  /** Whether the node may have acted on a request that failed this way: it was sent and not answered. */
  public static boolean mayHaveReachedTheNode(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return !(t instanceof HttpLane.BacklogFull || t instanceof HttpLane.NotSent || t instanceof ConnectException);
  }

  /** Codes for failures on the load generator's side, where the node said nothing. */
  public static String failureCode(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof HttpLane.BacklogFull) {
      return "client:backlog-full";
    }
    if (t instanceof HttpLane.NotSent) {
      return "client:not-sent";
    }
    if (t instanceof ConnectException) {
      return "client:connect";
    }
    if (t instanceof SocketTimeoutException) {
      return "client:timeout";
    }
    if (t instanceof IOException) {
      return "client:io";
    }
    return "client:" + t.getClass().getSimpleName();
  }

  public static String json(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonFormat.Parser jsonParser() {
    return PARSER;
  }
}
