package io.rendan.painpoint;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** Stable codes of the pain points' typed rejections, each with its HTTP status (CODES). */
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

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(NOT_FOUND, 404),
          ErrorCode.of(EXISTS, 409),
          ErrorCode.of(CLOSED, 409),
          ErrorCode.of(MERGE_INVALID, 409),
          ErrorCode.of(BOARD_FULL, 409),
          ErrorCode.of(VOTES_FULL, 409),
          ErrorCode.of(POSTS_LIMIT, 429),
          ErrorCode.of(VOTES_LIMIT, 429),
          ErrorCode.of(NOT_EXPERIENCE_SIDE, 403));

  private PainPointCodes() {}
}
