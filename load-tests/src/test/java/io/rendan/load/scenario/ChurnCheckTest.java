package io.rendan.load.scenario;

import static io.rendan.load.scenario.MeChurnScenario.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The end-of-run verdict of me-churn for one ME, from its final version. */
@Tag("unit")
class ChurnCheckTest {
  @Test
  void everyAcknowledgedChangeStoredIsStoredOnce() {
    assertEquals(STORED_ONCE, MeChurnScenario.check(5, 0, 5));
  }

  @Test
  void aMissingAcknowledgedChangeIsLost() {
    assertEquals(LOST, MeChurnScenario.check(5, 3, 4));
  }

  @Test
  void changesInDoubtMayOrMayNotBeStored() {
    assertEquals(STORED_ONCE, MeChurnScenario.check(5, 2, 5));
    assertEquals(STORED_ONCE, MeChurnScenario.check(5, 2, 7));
  }

  @Test
  void moreStoredThanAcknowledgedAndInDoubtIsStoredTwice() {
    assertEquals(TWICE, MeChurnScenario.check(5, 2, 8));
    assertEquals(TWICE, MeChurnScenario.check(5, 0, 6));
  }
}
