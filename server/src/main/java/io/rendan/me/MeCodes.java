package io.rendan.me;

/** Stable codes of the ME's typed rejections; their HTTP status is in ErrorCodes. */
public final class MeCodes {
  public static final String NOT_FOUND = "me:not-found";
  public static final String ALREADY_EXISTS = "me:already-exists";
  public static final String LAST_OPERATOR = "me:operator.last";
  public static final String OPERATOR_NOT_FOUND = "me:operator.not-found";
  /** A ledger credit that would take an ME's balance past what it can hold. */
  public static final String BALANCE_LIMIT = "me:balance.limit";

  private MeCodes() {}
}
