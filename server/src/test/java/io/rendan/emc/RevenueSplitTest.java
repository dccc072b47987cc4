package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.RevenueSplit.Part;
import io.rendan.emc.RevenueSplit.Party;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The split rule, by examples and exhaustively over random share tables and
 * amounts. Seeds are fixed and printed so that a failure can be replayed.
 */
@Tag("unit")
class RevenueSplitTest {
  private static final long[] SEEDS = {1L, 7L, 42L, 20260301L, 9_007_199_254_740_993L};

  @Test
  void partsOfAThreeWaySplitGoToTheLargestRemainders() {
    // 100 minor units at 3 333 / 3 333 / 3 334 bps: exact 33.33, 33.33, 33.34 →
    // 33, 33, 33 and one left over, for the largest remainder (3 334 bps).
    List<Part> parts =
        RevenueSplit.split(
            100, List.of(new Party("a", 3_333, 1, false), new Party("b", 3_333, 1, false), new Party("owner", 3_334, 0, true)));
    assertEquals(List.of(33L, 33L, 34L), parts.stream().map(Part::amountMinor).toList());
  }

  @Test
  void equalRemaindersGoToTheSmallerMeIdFirst() {
    List<Part> parts =
        RevenueSplit.split(2, List.of(new Party("c", 3_334, 0, true), new Party("b", 3_333, 1, false), new Party("a", 3_333, 1, false)));
    // exact 0.6668, 0.6666, 0.6666 → 0, 0, 0; two left over: c (largest), then a (ties a < b).
    assertEquals("a", parts.get(0).meId());
    assertEquals(List.of(1L, 0L, 1L), parts.stream().map(Part::amountMinor).toList());
  }

  @Test
  void aRefundUndoesExactlyTheSplitOfTheSameAmount() {
    List<Party> parties = List.of(new Party("a", 3_000, 2, false), new Party("o", 5_500, 0, true), new Party("z", 1_500, 1, false));
    List<Part> revenue = RevenueSplit.split(1_001, parties);
    List<Part> refund = RevenueSplit.split(-1_001, parties);
    for (int i = 0; i < revenue.size(); i++) {
      assertEquals(-revenue.get(i).amountMinor(), refund.get(i).amountMinor());
    }
  }

  @Test
  void sharesThatDoNotAddUpToTheWholeAndAmountsThatWouldOverflowAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RevenueSplit.split(10, List.of(new Party("a", 9_999, 0, true))));
    assertThrows(
        IllegalArgumentException.class,
        () -> RevenueSplit.split(RevenueSplit.MAX_AMOUNT + 1, List.of(new Party("a", 10_000, 0, true))));
    List<Part> max = RevenueSplit.split(RevenueSplit.MAX_AMOUNT, List.of(new Party("a", 1, 1, false), new Party("b", 9_999, 0, true)));
    assertEquals(RevenueSplit.MAX_AMOUNT, max.get(0).amountMinor() + max.get(1).amountMinor());
  }

  @Test
  void partsAlwaysAddUpNeverGoNegativeAndFollowTheRemainderRule() {
    int checked = 0;
    for (long seed : SEEDS) {
      System.out.println("RevenueSplitTest seed " + seed);
      Random random = new Random(seed);
      for (int round = 0; round < 20_000; round++) {
        List<Party> parties = randomParties(random);
        long amount = randomAmount(random);
        List<Part> parts = RevenueSplit.split(amount, parties);
        String context = "seed " + seed + " round " + round + " amount " + amount + " parties " + parties;
        checkRule(amount, parties, parts, context);
        checked++;
      }
    }
    System.out.println("RevenueSplitTest checked " + checked + " splits");
  }

  private static void checkRule(long amount, List<Party> parties, List<Part> parts, String context) {
    assertEquals(parties.size(), parts.size(), context);
    long sum = 0;
    long magnitude = Math.abs(amount);
    int extras = 0;
    for (int i = 0; i < parts.size(); i++) {
      Part p = parts.get(i);
      if (i > 0) {
        assertTrue(parts.get(i - 1).meId().compareTo(p.meId()) < 0, context);
      }
      sum += p.amountMinor();
      if (amount >= 0) {
        assertTrue(p.amountMinor() >= 0, context);
      } else {
        assertTrue(p.amountMinor() <= 0, context);
      }
      // Each part is the floor of its exact share or one more; big amounts are
      // checked with BigInteger-free long math: floor = magnitude*bps/10000.
      long floor = magnitude * p.shareBps() / RevenueSplit.TOTAL_BPS;
      long got = Math.abs(p.amountMinor());
      assertTrue(got == floor || got == floor + 1, context);
      if (got == floor + 1) {
        extras++;
      }
    }
    assertEquals(amount, sum, context);
    // Whoever got an extra unit has a larger remainder than anyone who did not,
    // or an equal one and a smaller meId.
    for (Part winner : parts) {
      long wFloor = magnitude * winner.shareBps() / RevenueSplit.TOTAL_BPS;
      if (Math.abs(winner.amountMinor()) != wFloor + 1) {
        continue;
      }
      long wRem = magnitude * winner.shareBps() % RevenueSplit.TOTAL_BPS;
      for (Part loser : parts) {
        long lFloor = magnitude * loser.shareBps() / RevenueSplit.TOTAL_BPS;
        if (Math.abs(loser.amountMinor()) != lFloor) {
          continue;
        }
        long lRem = magnitude * loser.shareBps() % RevenueSplit.TOTAL_BPS;
        assertTrue(wRem > lRem || (wRem == lRem && winner.meId().compareTo(loser.meId()) < 0), context);
      }
    }
    assertTrue(extras < parts.size() || parts.size() == 1 && extras <= 1, context);
  }

  private static List<Party> randomParties(Random random) {
    int members = random.nextInt(12);
    List<Party> parties = new ArrayList<>();
    int left = RevenueSplit.TOTAL_BPS;
    for (int i = 0; i < members; i++) {
      int share = switch (random.nextInt(4)) {
        case 0 -> 0;
        case 1 -> random.nextInt(Math.min(left, 10) + 1);
        default -> random.nextInt(left / 2 + 1);
      };
      left -= share;
      parties.add(new Party("me-" + Integer.toString(random.nextInt(1_000_000), 36) + "-" + i, share, 1 + random.nextInt(3), false));
    }
    // The owner keeps the rest; its id sorts anywhere among the members'.
    parties.add(new Party("me-" + Integer.toString(random.nextInt(1_000_000), 36) + "-owner", left, 0, true));
    java.util.Collections.shuffle(parties, random);
    return parties;
  }

  private static long randomAmount(Random random) {
    long amount = switch (random.nextInt(5)) {
      case 0 -> random.nextInt(10);
      case 1 -> random.nextInt(100_000);
      case 2 -> Math.floorMod(random.nextLong(), RevenueSplit.MAX_AMOUNT + 1);
      case 3 -> RevenueSplit.MAX_AMOUNT - random.nextInt(1_000);
      default -> random.nextInt(Integer.MAX_VALUE);
    };
    return random.nextInt(6) == 0 ? -amount : amount;
  }
}
