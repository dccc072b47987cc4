package io.rendan.painpoint;

import java.util.Map;

/** Stable codes of the pain points' typed rejections, and their HTTP status (registered in ErrorCodes). */
public final class PainPointCodes {
  public static final String NOT_FOUND = "painpoint:not-found";
  public static final String EXISTS = "painpoint:exists";
  public static final String CLOSED = "painpoint:closed";
  public static final String MERGE_INVALID = "painpoint:merge.invalid";
  public static final String BOARD_FULL = "painpoint:board.full";
  public static final String VOTES_FULL = "painpoint:votes.full";
  public static final String POSTS_LIMIT = "painpoint:limit.posts";
  public static final String VOTES_LIMIT = "painpoint:limit.votes";
  public static final String NOT_EXPERIENCE_SIDE = "painpoint:not-experience-side";

  /** Every code and its status. */
  public static final Map<String, Integer> STATUS =
      Map.of(
          NOT_FOUND, 404,
          EXISTS, 409,
          CLOSED, 409,
          MERGE_INVALID, 409,
          BOARD_FULL, 409,
          VOTES_FULL, 409,
          POSTS_LIMIT, 429,
          VOTES_LIMIT, 429,
          NOT_EXPERIENCE_SIDE, 403);

  private PainPointCodes() {}
}
