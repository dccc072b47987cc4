package io.rendan.vocabulary;

/**
 * The stable codes that any aggregate may reject with, beside its own (MeCodes,
 * EmcCodes, BiddingCodes, ApplianceCodes): here so that an entity names them without
 * reaching into the HTTP layer. Their HTTP status is in ErrorCodes, which re-exports them.
 */
public final class CommonCodes {
  public static final String REQUEST_INVALID = "request:invalid";
  public static final String AUTH_UNAUTHENTICATED = "auth:unauthenticated";
  public static final String AUTH_FORBIDDEN = "auth:forbidden";

  private CommonCodes() {}
}
