package io.rendan.auth;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/**
 * The codes of the per-subject limits ({@link SubjectLimits}), with their HTTP
 * status. A missing or bad token and a refused caller are the shared
 * {@code auth:*} codes of vocabulary/CommonCodes.
 */
public final class AuthCodes {
  /** The caller's subject sent more requests than its rate allows (rendan.limits). */
  public static final String REQUEST_RATE_LIMITED = "request:rate-limited";
  /** The caller's subject holds as many WebSocket connections as it may (rendan.limits). */
  public static final String WS_TOO_MANY_CONNECTIONS = "ws:connections.too-many";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(ErrorCode.of(REQUEST_RATE_LIMITED, 429), ErrorCode.of(WS_TOO_MANY_CONNECTIONS, 429));

  private AuthCodes() {}
}
