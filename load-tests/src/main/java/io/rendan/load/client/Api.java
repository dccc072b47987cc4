package io.rendan.load.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.Error;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
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

  public Api(URI base, boolean protobuf, Duration timeout) {
    this.base = base;
    this.protobuf = protobuf;
    this.timeout = timeout;
  }

  public URI base() {
    return base;
  }

  public boolean protobuf() {
    return protobuf;
  }

  public URI uri(String path) {
    return base.resolve(path);
  }

  /** The WebSocket endpoint of the same node. */
  public URI wsUri() {
    String scheme = base.getScheme().equals("https") ? "wss" : "ws";
    return URI.create(scheme + "://" + base.getRawAuthority() + "/v1/ws");
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(timeout);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (protobuf) {
      b.header("Accept", PROTOBUF);
    }
    return b;
  }

  public HttpRequest get(String path, String token) {
    return request(path, token).GET().build();
  }

  public HttpRequest send(String method, String path, String token, Message body) {
    HttpRequest.Builder b = request(path, token);
    if (protobuf) {
      b.header("Content-Type", PROTOBUF).method(method, HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    } else {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json(body)));
    }
    return b.build();
  }

  /** Decodes a response body in whichever encoding the node chose. */
  public static <B extends Message.Builder> B parse(HttpResponse<byte[]> response, B builder) {
    try {
      boolean binary = response.headers().firstValue("Content-Type").map(v -> v.startsWith(PROTOBUF)).orElse(false);
      if (binary) {
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
  public static String errorCode(HttpResponse<byte[]> response) {
    try {
      String code = parse(response, Error.newBuilder()).getCode();
      if (!code.isEmpty()) {
        return code;
      }
    } catch (RuntimeException e) {
      // not the API's error shape (a proxy's page, say): fall back to the status
    }
    return "http:" + response.statusCode();
  }

  /** Codes for failures of the load generator's side, where the node said nothing. */
  public static String failureCode(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof HttpLane.BacklogFull) {
      return "client:backlog-full";
    }
    if (t instanceof HttpConnectTimeoutException || t instanceof ConnectException) {
      return "client:connect";
    }
    if (t instanceof HttpTimeoutException) {
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
