package io.rendan.http;

import io.rendan.protocol.api.v1.Error;
import io.rendan.vocabulary.CommonCodes;
import io.rendan.vocabulary.ErrorCode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a stable error code meets HTTP: the lookup of each code's status over
 * the codes registered with it. Each package owns its codes and their status
 * (its {@code *Codes.CODES}, a list of {@link ErrorCode}); the node registers
 * every package's list where it is wired ({@code io.rendan.NodeCodes}), so this
 * class imports no aggregate. It owns only the codes of the HTTP edge itself
 * (request:*, route:*, server:*), and re-exports the shared ones of
 * vocabulary/CommonCodes. WebSocket responses carry the same code and status.
 * Codes are never renamed; a new one goes in its package's CODES and in
 * docs/API.md.
 */
public final class ErrorCodes {
  public static final String REQUEST_MALFORMED = "request:malformed";
  public static final String REQUEST_INVALID = CommonCodes.REQUEST_INVALID;
  public static final String REQUEST_TOO_LARGE = "request:too-large";
  public static final String REQUEST_UNSUPPORTED_MEDIA_TYPE = "request:unsupported-media-type";
  public static final String REQUEST_NOT_ACCEPTABLE = "request:not-acceptable";
  /** The request line's URI is longer than Pekko HTTP takes (pekko.http.server.parsing.max-uri-length). */
  public static final String REQUEST_URI_TOO_LONG = "request:uri-too-long";
  /** A header, or all of them, larger than Pekko HTTP takes (pekko.http.server.parsing.max-header-*). */
  public static final String REQUEST_HEADERS_TOO_LARGE = "request:headers-too-large";
  public static final String ROUTE_NOT_FOUND = "route:not-found";
  public static final String ROUTE_METHOD_NOT_ALLOWED = "route:method-not-allowed";
  public static final String AUTH_UNAUTHENTICATED = CommonCodes.AUTH_UNAUTHENTICATED;
  public static final String AUTH_FORBIDDEN = CommonCodes.AUTH_FORBIDDEN;
  public static final String SERVER_UNAVAILABLE = "server:unavailable";
  public static final String SERVER_INTERNAL = "server:internal";
  /** A route answered that no route table declares (refused so only where configured: tests). */
  public static final String SERVER_UNDECLARED_ROUTE = "server:undeclared-route";
  /** The client's address holds as many HTTP connections as it may (rendan.http.max-connections-per-address). */
  public static final String REQUEST_TOO_MANY_CONNECTIONS = "request:connections.too-many";
  /** Admission control: too many writes in flight on this node; nothing was done. */
  public static final String SERVER_OVERLOADED = "server:overloaded";

  /** The codes of the HTTP edge and their status (the shared ones are CommonCodes.CODES). */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(REQUEST_MALFORMED, 400),
          ErrorCode.of(REQUEST_TOO_LARGE, 413),
          ErrorCode.of(REQUEST_UNSUPPORTED_MEDIA_TYPE, 415),
          ErrorCode.of(REQUEST_NOT_ACCEPTABLE, 406),
          ErrorCode.of(REQUEST_URI_TOO_LONG, 414),
          ErrorCode.of(REQUEST_HEADERS_TOO_LARGE, 431),
          ErrorCode.of(ROUTE_NOT_FOUND, 404),
          ErrorCode.of(ROUTE_METHOD_NOT_ALLOWED, 405),
          ErrorCode.of(SERVER_UNAVAILABLE, 503),
          ErrorCode.of(SERVER_INTERNAL, 500),
          ErrorCode.of(SERVER_UNDECLARED_ROUTE, 500),
          ErrorCode.of(REQUEST_TOO_MANY_CONNECTIONS, 429),
          ErrorCode.of(SERVER_OVERLOADED, 429));

  /** Every registered code and its status; the edge's own and the shared ones from the start. */
  private static final Map<String, Integer> STATUS = new ConcurrentHashMap<>();

  static {
    register(CODES);
    register(CommonCodes.CODES);
  }

  private ErrorCodes() {}

  /**
   * Registers a package's codes. Registering the same code with the same status
   * again does nothing (several nodes may start in one JVM); with another status
   * it fails, so that one code never has two statuses.
   */
  public static void register(Collection<ErrorCode> codes) {
    for (ErrorCode code : codes) {
      Integer before = STATUS.putIfAbsent(code.code(), code.status());
      if (before != null && before != code.status()) {
        throw new IllegalStateException(code.code() + " registered with status " + before + " and " + code.status());
      }
    }
  }

  /** Whether the code is registered (tests: every code a package declares is). */
  public static boolean isRegistered(String code) {
    return STATUS.containsKey(code);
  }

  public static int status(String code) {
    Integer status = STATUS.get(code);
    if (status == null) {
      throw new IllegalArgumentException("error code without a status (is its package registered in NodeCodes?): " + code);
    }
    return status;
  }

  public static Error toError(ApiException e) {
    return Error.newBuilder().setCode(e.code()).setMessage(e.getMessage()).setStatus(e.status()).build();
  }

  /** Anything that is not an ApiException is reported without its details. */
  public static ApiException fromThrowable(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ApiException api) {
      return api;
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return new ApiException(SERVER_UNAVAILABLE, "the server did not answer in time; try again");
    }
    return new ApiException(SERVER_INTERNAL, "internal error");
  }
}
