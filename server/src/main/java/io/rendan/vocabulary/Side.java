package io.rendan.vocabulary;

/** The two sides of an EMC: who brings the experience (users) and who the solution (resources). */
public enum Side {
  EXPERIENCE,
  SOLUTION;

  /** As the API names it ({@code Member.Side}); null is unspecified. */
  public static io.rendan.protocol.api.v1.Member.Side toProto(Side side) {
    return side == null
        ? io.rendan.protocol.api.v1.Member.Side.SIDE_UNSPECIFIED
        : io.rendan.protocol.api.v1.Member.Side.valueOf(side.name());
  }
}
