package io.rendan;

import io.rendan.appliance.ApplianceCodes;
import io.rendan.auth.AuthCodes;
import io.rendan.bidding.BiddingCodes;
import io.rendan.charter.CharterCodes;
import io.rendan.emc.EmcCodes;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeCodes;
import io.rendan.painpoint.PainPointCodes;
import io.rendan.vocabulary.CommonCodes;
import io.rendan.vocabulary.ErrorCode;
import io.rendan.ws.WsCodes;
import java.util.List;

/**
 * Every package's error codes, gathered where the node is wired: each package
 * declares its codes and their HTTP status (its {@code *Codes.CODES}), and
 * {@link #register()} hands them to http/ErrorCodes, which looks statuses up
 * without importing any aggregate. A package with new codes adds its list here.
 */
public final class NodeCodes {
  /** Each package's codes, one list per package. */
  public static final List<List<ErrorCode>> BY_PACKAGE =
      List.of(
          CommonCodes.CODES,
          ErrorCodes.CODES,
          AuthCodes.CODES,
          WsCodes.CODES,
          MeCodes.CODES,
          EmcCodes.CODES,
          CharterCodes.CODES,
          BiddingCodes.CODES,
          PainPointCodes.CODES,
          ApplianceCodes.CODES);

  private NodeCodes() {}

  /** Registers every package's codes with http/ErrorCodes; again is harmless. */
  public static void register() {
    BY_PACKAGE.forEach(ErrorCodes::register);
  }
}
