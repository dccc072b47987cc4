package io.rendan.http;

import io.rendan.bidding.BiddingCodes;
import io.rendan.appliance.ApplianceCodes;
import io.rendan.emc.EmcCodes;
import io.rendan.me.MeCodes;
import io.rendan.protocol.api.v1.Error;
import io.rendan.vocabulary.CommonCodes;
import java.util.Map;

/**
 * Every stable error code of the API and the HTTP status it maps to: the one
 * place where business rejections meet HTTP. WebSocket responses carry the same
 * code and status. Codes are never renamed; new ones are added here and in
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
  /** The caller's subject sent more requests than its rate allows (rendan.limits). */
  public static final String REQUEST_RATE_LIMITED = "request:rate-limited";
  /** The caller's subject holds as many WebSocket connections as it may (rendan.limits). */
  public static final String WS_TOO_MANY_CONNECTIONS = "ws:connections.too-many";
  /** The client's address holds as many HTTP connections as it may (rendan.http.max-connections-per-address). */
  public static final String REQUEST_TOO_MANY_CONNECTIONS = "request:connections.too-many";
  /** Admission control: too many writes in flight on this node; nothing was done. */
  public static final String SERVER_OVERLOADED = "server:overloaded";

  public static final String WS_TOPIC_UNKNOWN = "ws:topic.unknown";
  public static final String WS_TOO_MANY_SUBSCRIPTIONS = "ws:subscriptions.too-many";
  public static final String WS_REQUEST_ID_MISSING = "ws:request-id.missing";

  private static final Map<String, Integer> STATUS =
      Map.ofEntries(
          Map.entry(REQUEST_MALFORMED, 400),
          Map.entry(REQUEST_INVALID, 400),
          Map.entry(REQUEST_TOO_LARGE, 413),
          Map.entry(REQUEST_UNSUPPORTED_MEDIA_TYPE, 415),
          Map.entry(REQUEST_NOT_ACCEPTABLE, 406),
          Map.entry(REQUEST_URI_TOO_LONG, 414),
          Map.entry(REQUEST_HEADERS_TOO_LARGE, 431),
          Map.entry(ROUTE_NOT_FOUND, 404),
          Map.entry(ROUTE_METHOD_NOT_ALLOWED, 405),
          Map.entry(AUTH_UNAUTHENTICATED, 401),
          Map.entry(AUTH_FORBIDDEN, 403),
          Map.entry(SERVER_UNAVAILABLE, 503),
          Map.entry(SERVER_INTERNAL, 500),
          Map.entry(SERVER_UNDECLARED_ROUTE, 500),
          Map.entry(REQUEST_RATE_LIMITED, 429),
          Map.entry(WS_TOO_MANY_CONNECTIONS, 429),
          Map.entry(REQUEST_TOO_MANY_CONNECTIONS, 429),
          Map.entry(SERVER_OVERLOADED, 429),
          Map.entry(MeCodes.NOT_FOUND, 404),
          Map.entry(MeCodes.ALREADY_EXISTS, 409),
          Map.entry(MeCodes.LAST_OPERATOR, 409),
          Map.entry(MeCodes.OPERATOR_NOT_FOUND, 404),
          Map.entry(MeCodes.BALANCE_LIMIT, 409),
          Map.entry(WS_TOPIC_UNKNOWN, 400),
          Map.entry(WS_TOO_MANY_SUBSCRIPTIONS, 429),
          Map.entry(WS_REQUEST_ID_MISSING, 400),
          Map.entry(EmcCodes.NOT_FOUND, 404),
          Map.entry(EmcCodes.ALREADY_EXISTS, 409),
          Map.entry(EmcCodes.NOT_OWNER, 403),
          Map.entry(EmcCodes.NOT_INVITEE, 403),
          Map.entry(EmcCodes.NOT_MEMBER, 403),
          Map.entry(EmcCodes.ALREADY_MEMBER, 409),
          Map.entry(EmcCodes.MEMBER_NOT_FOUND, 404),
          Map.entry(EmcCodes.OWNER_CANNOT_LEAVE, 409),
          Map.entry(EmcCodes.SHARE_EXCEEDED, 409),
          Map.entry(EmcCodes.TOO_MANY_MEMBERS, 409),
          Map.entry(EmcCodes.INVITATION_NOT_FOUND, 404),
          Map.entry(EmcCodes.INVITATION_EXPIRED, 410),
          Map.entry(EmcCodes.INVITATION_DECLINED, 409),
          Map.entry(EmcCodes.INVITATION_ACCEPTED, 409),
          Map.entry(EmcCodes.INVITATION_PENDING, 409),
          Map.entry(EmcCodes.INVITATION_CONFLICT, 409),
          Map.entry(EmcCodes.NO_TERMS_PROPOSED, 409),
          Map.entry(EmcCodes.DISSOLVED, 409),
          Map.entry(EmcCodes.REVENUE_CONFLICT, 409),
          Map.entry(EmcCodes.REVENUE_TOO_OLD, 409),
          Map.entry(EmcCodes.REVENUE_NOT_FOUND, 404),
          Map.entry(EmcCodes.REVENUE_OVER_LIMIT, 409),
          Map.entry(EmcCodes.CURRENCY_MISMATCH, 409),
          Map.entry(EmcCodes.PERIOD_CLOSED, 409),
          Map.entry(EmcCodes.PERIOD_NOT_CLOSABLE, 409),
          Map.entry(EmcCodes.NOT_AT_RISK, 409),
          // help before replacement
          Map.entry(EmcCodes.HELP_OPEN, 409),
          Map.entry(EmcCodes.HELP_CASE_NOT_FOUND, 404),
          Map.entry(EmcCodes.HELP_CASE_CLOSED, 409),
          Map.entry(EmcCodes.HELP_PLEDGE_NOT_FOUND, 404),
          Map.entry(EmcCodes.HELP_PLEDGE_CONFLICT, 409),
          Map.entry(EmcCodes.HELP_PLEDGE_ANSWERED, 409),
          Map.entry(EmcCodes.HELP_PLEDGE_NOT_ACCEPTED, 409),
          Map.entry(EmcCodes.HELP_SELF, 409),
          Map.entry(EmcCodes.HELP_NOT_HELPED, 403),
          Map.entry(EmcCodes.HELP_NOT_HELPER, 403),
          Map.entry(EmcCodes.HELP_TOO_MANY, 409),
          // the charter: a refusal names its clause
          Map.entry(io.rendan.charter.CharterCodes.MIN_SHARE, 409),
          Map.entry(io.rendan.charter.CharterCodes.MAX_OWNER_SHARE, 409),
          Map.entry(io.rendan.charter.CharterCodes.REMOVAL_NOTICE, 409),
          Map.entry(io.rendan.charter.CharterCodes.TERMS_INTERVAL, 409),
          Map.entry(io.rendan.charter.CharterCodes.REPLACE_AFTER_HELP, 409),
          Map.entry(io.rendan.charter.CharterCodes.SELF_AWARD, 409),
          Map.entry(io.rendan.charter.CharterCodes.LOOSER, 409),
          Map.entry(io.rendan.charter.CharterCodes.TOO_MANY_VERSIONS, 409),
          Map.entry(BiddingCodes.ROUND_NOT_FOUND, 404),
          Map.entry(BiddingCodes.ROUND_EXISTS, 409),
          Map.entry(BiddingCodes.ROUND_CLOSED, 409),
          Map.entry(BiddingCodes.ROUND_OPEN, 409),
          Map.entry(BiddingCodes.ROUND_FINISHED, 409),
          Map.entry(BiddingCodes.ROUND_FULL, 409),
          Map.entry(BiddingCodes.ROUND_OVERLOADED, 429),
          Map.entry(BiddingCodes.NOT_OWNER, 403),
          Map.entry(BiddingCodes.NOT_ELIGIBLE, 403),
          Map.entry(BiddingCodes.ASK_ABOVE_MAX, 409),
          Map.entry(BiddingCodes.ASK_NOT_BETTER, 409),
          Map.entry(BiddingCodes.BID_CONFLICT, 409),
          Map.entry(BiddingCodes.BID_NOT_FOUND, 404),
          Map.entry(BiddingCodes.BID_NOT_ACTIVE, 409),
          Map.entry(BiddingCodes.NOT_BIDDER, 403),
          // appliances and their telemetry stream
          Map.entry(ApplianceCodes.NOT_FOUND, 404),
          Map.entry(ApplianceCodes.ALREADY_EXISTS, 409),
          Map.entry(ApplianceCodes.FAULTED, 409),
          Map.entry(ApplianceCodes.NOT_BOOKABLE, 409),
          Map.entry(ApplianceCodes.RESERVATION_OVERLAP, 409),
          Map.entry(ApplianceCodes.RESERVATION_LIMIT, 409),
          Map.entry(ApplianceCodes.RESERVATION_CONFLICT, 409),
          Map.entry(ApplianceCodes.RESERVATION_NOT_FOUND, 404),
          Map.entry(ApplianceCodes.RESERVATION_NOT_YOURS, 403),
          Map.entry(ApplianceCodes.RESERVATION_NOT_CANCELLABLE, 409),
          Map.entry(ApplianceCodes.LINE_MALFORMED, 400),
          Map.entry(ApplianceCodes.LINE_TOO_LARGE, 413),
          Map.entry(ApplianceCodes.READING_INVALID, 400),
          Map.entry(ApplianceCodes.SEQ_NOT_INCREASING, 409),
          Map.entry(ApplianceCodes.SEQ_JUMP, 409),
          Map.entry(ApplianceCodes.CYCLE_UNKNOWN, 409),
          Map.entry(ApplianceCodes.CYCLE_CONFLICT, 409),
          Map.entry(ApplianceCodes.RATE_LIMITED, 429));

  private ErrorCodes() {}

  public static int status(String code) {
    Integer status = STATUS.get(code);
    if (status == null) {
      status = io.rendan.painpoint.PainPointCodes.STATUS.get(code);
    }
    if (status == null) {
      throw new IllegalArgumentException("error code without a status: " + code);
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
