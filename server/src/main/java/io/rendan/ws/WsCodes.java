package io.rendan.ws;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** The codes only a WebSocket session answers with, and their HTTP status (carried in its error frames). */
public final class WsCodes {
  public static final String TOPIC_UNKNOWN = "ws:topic.unknown";
  public static final String TOO_MANY_SUBSCRIPTIONS = "ws:subscriptions.too-many";
  public static final String REQUEST_ID_MISSING = "ws:request-id.missing";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(TOPIC_UNKNOWN, 400),
          ErrorCode.of(TOO_MANY_SUBSCRIPTIONS, 429),
          ErrorCode.of(REQUEST_ID_MISSING, 400));

  private WsCodes() {}
}
