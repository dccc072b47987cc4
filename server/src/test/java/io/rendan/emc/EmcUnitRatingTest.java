package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The rating of an EMC bidding as one unit: its members' ratings weighted by their seat's share (EmcUnit). */
@Tag("unit")
class EmcUnitRatingTest {
  @Test
  void membersRatingsAreWeightedByTheirSeatsShare() {
    // owner 700 on the rest (6 000 bps), a member 400 on 4 000 bps: (700×6000 + 400×4000) / 10000 = 580
    assertEquals(580, EmcUnit.weightedMean(List.of(new long[] {700, 6_000}, new long[] {400, 4_000})));
    // a member with a large share pulls the unit towards its record
    assertEquals(430, EmcUnit.weightedMean(List.of(new long[] {700, 1_000}, new long[] {400, 9_000})));
  }

  @Test
  void roundsToTheNearestAndHalvesUp() {
    // (501×1 + 500×1) / 2 = 500.5 → 501
    assertEquals(501, EmcUnit.weightedMean(List.of(new long[] {501, 1}, new long[] {500, 1})));
    // (600×1 + 500×2) / 3 = 533.33 → 533
    assertEquals(533, EmcUnit.weightedMean(List.of(new long[] {600, 1}, new long[] {500, 2})));
  }

  @Test
  void withNoWeightThePlainMeanWithNoMemberNeutral() {
    assertEquals(550, EmcUnit.weightedMean(List.of(new long[] {600, 0}, new long[] {500, 0})));
    assertEquals(EmcUnit.NEUTRAL_RATING, EmcUnit.weightedMean(List.of()));
  }
}
