package io.rendan.charter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The values of the charter's clauses. Stricter means: a higher least member
 * share, a lower most owner share, a longer removal notice, a longer interval
 * between changes of terms, and a rule on rather than off.
 */
public record Clauses(
    int minShareBps,
    int maxOwnerShareBps,
    Duration removalNotice,
    Duration minTermsInterval,
    boolean replaceOnlyAfterFailedHelp,
    boolean noSelfAward) {

  /** Version 0, before any is set: nothing stricter than the EMC's own rules. */
  public static final Clauses DEFAULT = new Clauses(0, 10_000, Duration.ZERO, Duration.ZERO, true, false);

  /** The clauses (by code) in which {@code these} are looser than {@code floor}; empty when none. */
  public List<String> looserThan(Clauses floor) {
    List<String> looser = new ArrayList<>();
    if (minShareBps < floor.minShareBps) looser.add(CharterCodes.MIN_SHARE);
    if (maxOwnerShareBps > floor.maxOwnerShareBps) looser.add(CharterCodes.MAX_OWNER_SHARE);
    if (removalNotice.compareTo(floor.removalNotice) < 0) looser.add(CharterCodes.REMOVAL_NOTICE);
    if (minTermsInterval.compareTo(floor.minTermsInterval) < 0) looser.add(CharterCodes.TERMS_INTERVAL);
    if (!replaceOnlyAfterFailedHelp && floor.replaceOnlyAfterFailedHelp) looser.add(CharterCodes.REPLACE_AFTER_HELP);
    if (!noSelfAward && floor.noSelfAward) looser.add(CharterCodes.SELF_AWARD);
    return looser;
  }

  /** The stricter of each clause. */
  public Clauses strictest(Clauses other) {
    return new Clauses(
        Math.max(minShareBps, other.minShareBps),
        Math.min(maxOwnerShareBps, other.maxOwnerShareBps),
        removalNotice.compareTo(other.removalNotice) >= 0 ? removalNotice : other.removalNotice,
        minTermsInterval.compareTo(other.minTermsInterval) >= 0 ? minTermsInterval : other.minTermsInterval,
        replaceOnlyAfterFailedHelp || other.replaceOnlyAfterFailedHelp,
        noSelfAward || other.noSelfAward);
  }
}
