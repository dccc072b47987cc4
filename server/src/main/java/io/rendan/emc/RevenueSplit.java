package io.rendan.emc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How one revenue amount is divided among the parties of an EMC: exactly, to the
 * minor unit, with long arithmetic only.
 *
 * <p>The rule (documented in docs/API.md, never changed for stored revenue):
 * <ol>
 *   <li>every party's exact part is {@code |amount| × shareBps / 10 000};
 *   <li>each party first gets that part rounded down (the integer quotient);
 *   <li>the minor units still missing (fewer than the number of parties) go one
 *       each to the parties with the largest remainders of that division;
 *   <li>ties between equal remainders go to the smaller {@code meId} (String
 *       order), which is the stable order;
 *   <li>a negative amount (a refund) is split as its absolute value and every part
 *       negated, so a refund undoes exactly the split of the same amount.
 * </ol>
 * The shares of the parties must add up to 10 000 bps; the owner's is what the
 * members do not hold.
 */
public final class RevenueSplit {
  public static final int TOTAL_BPS = 10_000;
  /** The largest |amount| whose product with 10 000 bps fits in a long. */
  public static final long MAX_AMOUNT = Long.MAX_VALUE / TOTAL_BPS;

  /**
   * Someone entitled to a share: a member under a contract version, or the owner
   * (version 0). {@code emcMember}: the seat is held by an EMC, whose part is
   * passed on and split again inside it ({@link RevenuePassOn}).
   */
  public record Party(String meId, int shareBps, int contractVersion, boolean owner, boolean emcMember) {
    public Party(String meId, int shareBps, int contractVersion, boolean owner) {
      this(meId, shareBps, contractVersion, owner, false);
    }
  }

  /** A party's part of one revenue, in minor units; {@code emcMember} as the party's. */
  public record Part(String meId, long amountMinor, int shareBps, int contractVersion, boolean owner, boolean emcMember) {
    public Part(String meId, long amountMinor, int shareBps, int contractVersion, boolean owner) {
      this(meId, amountMinor, shareBps, contractVersion, owner, false);
    }
  }

  /** Where revenue passed on to an EMC came from: the EMC it holds a seat in, and that EMC's revenue id. */
  public record PassedFrom(String emcId, String revenueId) {}

  private RevenueSplit() {}

  /** The parts, in ascending {@code meId}, one per party, adding up to {@code amountMinor}. */
  public static List<Part> split(long amountMinor, List<Party> parties) {
    if (amountMinor > MAX_AMOUNT || amountMinor < -MAX_AMOUNT) {
      throw new IllegalArgumentException("|amount| above " + MAX_AMOUNT + " minor units");
    }
    if (parties.isEmpty()) {
      throw new IllegalArgumentException("no parties");
    }
    long bps = 0;
    for (Party p : parties) {
      if (p.shareBps() < 0) {
        throw new IllegalArgumentException("negative share of " + p.meId());
      }
      bps += p.shareBps();
    }
    if (bps != TOTAL_BPS) {
      throw new IllegalArgumentException("shares add up to " + bps + " bps, not " + TOTAL_BPS);
    }
    List<Party> ordered = new ArrayList<>(parties);
    ordered.sort(Comparator.comparing(Party::meId));
    for (int i = 1; i < ordered.size(); i++) {
      if (ordered.get(i).meId().equals(ordered.get(i - 1).meId())) {
        throw new IllegalArgumentException("party " + ordered.get(i).meId() + " appears twice");
      }
    }
    long magnitude = Math.abs(amountMinor);
    int n = ordered.size();
    long[] parts = new long[n];
    long[] remainders = new long[n];
    long given = 0;
    for (int i = 0; i < n; i++) {
      long exact = magnitude * ordered.get(i).shareBps(); // ≤ MAX_AMOUNT × 10 000: no overflow
      parts[i] = exact / TOTAL_BPS;
      remainders[i] = exact % TOTAL_BPS;
      given += parts[i];
    }
    long leftover = magnitude - given; // 0 ≤ leftover < n
    if (leftover > 0) {
      Integer[] byRemainder = new Integer[n];
      for (int i = 0; i < n; i++) {
        byRemainder[i] = i;
      }
      // Largest remainder first; equal remainders in meId order (the index order here).
      java.util.Arrays.sort(byRemainder, (a, b) -> remainders[a] != remainders[b] ? Long.compare(remainders[b], remainders[a]) : Integer.compare(a, b));
      for (int k = 0; k < leftover; k++) {
        parts[byRemainder[k]]++;
      }
    }
    List<Part> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Party p = ordered.get(i);
      long part = amountMinor < 0 ? -parts[i] : parts[i];
      result.add(new Part(p.meId(), part, p.shareBps(), p.contractVersion(), p.owner(), p.emcMember()));
    }
    return List.copyOf(result);
  }
}
