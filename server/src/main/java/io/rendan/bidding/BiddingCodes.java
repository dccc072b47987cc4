package io.rendan.bidding;

/** Stable codes of the bidding round's typed rejections; their HTTP status is in ErrorCodes. */
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

  private BiddingCodes() {}
}
