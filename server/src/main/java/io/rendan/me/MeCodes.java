package io.rendan.me;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** Stable codes of the ME's typed rejections; each with its HTTP status (CODES). */
public final class MeCodes {
  public static final String NOT_FOUND = "me:not-found";
  public static final String ALREADY_EXISTS = "me:already-exists";
  public static final String LAST_OPERATOR = "me:operator.last";
  public static final String OPERATOR_NOT_FOUND = "me:operator.not-found";
  /** A ledger credit that would take an ME's balance past what it can hold. */
  public static final String BALANCE_LIMIT = "me:balance.limit";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(NOT_FOUND, 404),
          ErrorCode.of(ALREADY_EXISTS, 409),
          ErrorCode.of(LAST_OPERATOR, 409),
          ErrorCode.of(OPERATOR_NOT_FOUND, 404),
          ErrorCode.of(BALANCE_LIMIT, 409));

  private MeCodes() {}
}
