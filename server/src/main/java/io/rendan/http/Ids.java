package io.rendan.http;

import java.util.regex.Pattern;

/**
 * The one rule for the ids clients choose (MEs, EMCs, rounds, bids,
 * invitations, appliances, pain points): 1 to 64 letters, digits, '-' or '_',
 * starting with a letter or digit, so an id is safe in a path, a persistence id
 * and a log line. Every {@code *Api} checks its ids here.
 */
public final class Ids {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  private Ids() {}

  /** {@code id}, or {@code 400 request:invalid} naming {@code field}. */
  public static String check(String field, String id) {
    if (!valid(id)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, field + " must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit");
    }
    return id;
  }

  public static boolean valid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
