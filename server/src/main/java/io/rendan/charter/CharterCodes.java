package io.rendan.charter;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/**
 * Stable codes of the charter: a refusal by a clause names the clause; each
 * with its HTTP status (CODES).
 */
public final class CharterCodes {
  public static final String MIN_SHARE = "charter:min-share";
  public static final String MAX_OWNER_SHARE = "charter:max-owner-share";
  public static final String REMOVAL_NOTICE = "charter:removal-notice";
  public static final String TERMS_INTERVAL = "charter:terms-interval";
  public static final String REPLACE_AFTER_HELP = "charter:replace-after-help";
  public static final String SELF_AWARD = "charter:self-award";
  /** An EMC adopting a value looser than the organisation's. */
  public static final String LOOSER = "charter:looser";
  /** More versions than a charter keeps. */
  public static final String TOO_MANY_VERSIONS = "charter:versions.too-many";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(MIN_SHARE, 409),
          ErrorCode.of(MAX_OWNER_SHARE, 409),
          ErrorCode.of(REMOVAL_NOTICE, 409),
          ErrorCode.of(TERMS_INTERVAL, 409),
          ErrorCode.of(REPLACE_AFTER_HELP, 409),
          ErrorCode.of(SELF_AWARD, 409),
          ErrorCode.of(LOOSER, 409),
          ErrorCode.of(TOO_MANY_VERSIONS, 409));

  private CharterCodes() {}
}
