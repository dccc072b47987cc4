package io.rendan.bidding;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** Stable codes of the bidding round's typed rejections; each with its HTTP status (CODES). */
public final class BiddingCodes {
  public static final String ROUND_NOT_FOUND = "bidding:round.not-found";
  public static final String ROUND_EXISTS = "bidding:round.exists";
  public static final String ROUND_CLOSED = "bidding:round.closed";
  public static final String ROUND_OPEN = "bidding:round.open";
  public static final String ROUND_FINISHED = "bidding:round.finished";
  public static final String ROUND_FULL = "bidding:round.full";
  public static final String ROUND_OVERLOADED = "bidding:round.overloaded";
  public static final String NOT_OWNER = "bidding:not-owner";
  public static final String NOT_ELIGIBLE = "bidding:not-eligible";
  public static final String ASK_ABOVE_MAX = "bidding:ask.above-max";
  public static final String ASK_NOT_BETTER = "bidding:ask.not-better";
  public static final String BID_CONFLICT = "bidding:bid.conflict";
  public static final String BID_NOT_FOUND = "bidding:bid.not-found";
  public static final String BID_NOT_ACTIVE = "bidding:bid.not-active";
  public static final String NOT_BIDDER = "bidding:not-bidder";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(ROUND_NOT_FOUND, 404),
          ErrorCode.of(ROUND_EXISTS, 409),
          ErrorCode.of(ROUND_CLOSED, 409),
          ErrorCode.of(ROUND_OPEN, 409),
          ErrorCode.of(ROUND_FINISHED, 409),
          ErrorCode.of(ROUND_FULL, 409),
          ErrorCode.of(ROUND_OVERLOADED, 429),
          ErrorCode.of(NOT_OWNER, 403),
          ErrorCode.of(NOT_ELIGIBLE, 403),
          ErrorCode.of(ASK_ABOVE_MAX, 409),
          ErrorCode.of(ASK_NOT_BETTER, 409),
          ErrorCode.of(BID_CONFLICT, 409),
          ErrorCode.of(BID_NOT_FOUND, 404),
          ErrorCode.of(BID_NOT_ACTIVE, 409),
          ErrorCode.of(NOT_BIDDER, 403));

  private BiddingCodes() {}
}
