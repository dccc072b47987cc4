package io.rendan.charter;

/**
 * Stable codes of the charter: a refusal by a clause names the clause; their
 * HTTP status is in ErrorCodes.
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

  private CharterCodes() {}
}
