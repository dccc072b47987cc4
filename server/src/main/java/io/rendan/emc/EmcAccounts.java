package io.rendan.emc;

import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcMembership.FormerMember;
import io.rendan.emc.EmcMembership.OwnerSpell;
import io.rendan.vocabulary.Metric;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The money side of an EMC: revenue kept for idempotency, open periods' tallies, members' standing. */
public final class EmcAccounts {
  private EmcAccounts() {}

  /** What members achieved in a period that is still open, by ME id. */
  public record Tally(Map<String, Long> revenue, Map<String, Long> cycles, Map<String, Long> reported) {
    public Tally {
      revenue = Collections.unmodifiableMap(new TreeMap<>(revenue));
      cycles = Collections.unmodifiableMap(new TreeMap<>(cycles));
      reported = Collections.unmodifiableMap(new TreeMap<>(reported));
    }

    static final Tally EMPTY = new Tally(Map.of(), Map.of(), Map.of());

    long achieved(String meId, Metric metric) {
      Map<String, Long> source =
          switch (metric) {
            case REVENUE -> revenue;
            case CYCLES -> cycles;
            case UPTIME, REPORTED -> reported;
          };
      return source.getOrDefault(meId, 0L);
    }
  }

  /** A member's record of periods: missed in a row, and whether that makes it at risk. */
  public record Standing(int missedInRow, boolean atRisk) {}

  /** One member's target in a closed period. */
  public record TargetResult(
      String meId, int contractVersion, Metric metric, long target, long achieved, boolean met, int missedInRow, boolean atRisk) {}

  /**
   * The money side of the EMC: its currency (null: the configured default, for
   * EMCs started before currencies were stored), who owned it when, seats given
   * up, revenue within the idempotency window, open periods' tallies, the last
   * closed period and each member's standing.
   */
  public record Accounts(
      String currency,
      List<OwnerSpell> owners,
      List<FormerMember> formers,
      Map<String, RevenueShared> revenues,
      String closedThrough,
      Map<String, Tally> tallies,
      Map<String, Standing> standings) {
    public Accounts {
      owners = List.copyOf(owners);
      formers = List.copyOf(formers);
      revenues = Collections.unmodifiableMap(new LinkedHashMap<>(revenues));
      tallies = Collections.unmodifiableMap(new TreeMap<>(tallies));
      standings = Collections.unmodifiableMap(new TreeMap<>(standings));
    }

    public static final Accounts EMPTY = new Accounts(null, List.of(), List.of(), Map.of(), null, Map.of(), Map.of());
  }
}
