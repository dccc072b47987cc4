package io.rendan.charter;

import io.rendan.emc.EmcMembership;
import io.rendan.emc.EmcState;
import java.time.Instant;
import java.util.Optional;

/** The clauses as pure checks of an EMC command against the values in force; a refusal names its clause. */
public final class CharterChecks {
  public record Refusal(String code, String message) {}

  private CharterChecks() {}

  /**
   * New terms for {@code meId} (an invitation when it is not a member yet, a
   * proposal when it is): min-share; for a member, terms-interval since its
   * contract last changed, and max-owner-share when the owner would keep more
   * than the most it may after a cut of the member's share.
   */
  public static Optional<Refusal> terms(EmcState emc, String meId, EmcMembership.Terms terms, Clauses c, Instant now) {
    if (terms.shareBps() < c.minShareBps()) {
      return Optional.of(new Refusal(CharterCodes.MIN_SHARE, "a member holds at least " + c.minShareBps() + " bps under the charter"));
    }
    EmcMembership.Member member = emc.members().get(meId);
    if (member == null || member.owner()) {
      return Optional.empty();
    }
    Optional<EmcMembership.Contract> contract = member.contract();
    if (contract.isPresent() && now.isBefore(contract.get().effectiveFrom().plus(c.minTermsInterval()))) {
      return Optional.of(
          new Refusal(
              CharterCodes.TERMS_INTERVAL,
              "the terms of " + meId + " changed at " + contract.get().effectiveFrom() + "; the charter allows a change every " + c.minTermsInterval()));
    }
    int ownerAfter = EmcMembership.MAX_BPS - emc.sharesHeld(meId) - terms.shareBps();
    if (terms.shareBps() < member.shareBps() && ownerAfter > c.maxOwnerShareBps()) {
      return Optional.of(
          new Refusal(
              CharterCodes.MAX_OWNER_SHARE,
              "the owner would keep " + ownerAfter + " bps; the charter allows at most " + c.maxOwnerShareBps()));
    }
    return Optional.empty();
  }

  /** removal-notice: the owner removes a member that has missed no target only with notice. */
  public static Optional<Refusal> removal(EmcState emc, String meId, boolean byOwner, Clauses c) {
    if (!byOwner || c.removalNotice().isZero() || emc.standing(meId).missedInRow() > 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Refusal(
            CharterCodes.REMOVAL_NOTICE,
            meId + " has missed no target: the charter asks for " + c.removalNotice() + " of notice before it is removed"));
  }
}
