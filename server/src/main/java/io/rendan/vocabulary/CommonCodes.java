package io.rendan.vocabulary;

import java.util.List;

/**
 * The stable codes that any aggregate may reject with, beside its own (MeCodes,
 * EmcCodes, BiddingCodes, ApplianceCodes): here so that an entity names them without
 * reaching into the HTTP layer. http/ErrorCodes re-exports them.
 */
public final class CommonCodes {
  public static final String REQUEST_INVALID = "request:invalid";
  public static final String AUTH_UNAUTHENTICATED = "auth:unauthenticated";
  public static final String AUTH_FORBIDDEN = "auth:forbidden";

  /** These codes and their HTTP status. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(REQUEST_INVALID, 400),
          ErrorCode.of(AUTH_UNAUTHENTICATED, 401),
          ErrorCode.of(AUTH_FORBIDDEN, 403));

  private CommonCodes() {}
}
