package io.rendan.load.scenario;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ZipfTest {
  @Test
  void noSkewIsUniform() {
    assertEquals(0.01, new Zipf(100, 0, 1).hottestShare(), 1e-12);
  }

  @Test
  void theHottestItemGetsItsShareOfPicks() {
    Zipf zipf = new Zipf(1000, 1.0, 7);
    int[] counts = new int[1000];
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts[zipf.next()]++;
    }
    int hottest = 0;
    for (int i = 1; i < counts.length; i++) {
      if (counts[i] > counts[hottest]) {
        hottest = i;
      }
    }
    // 1/H(1000) = 13.4 %; a binomial of 200 000 draws stays well within one point of it
    assertEquals(zipf.hottestShare(), (double) counts[hottest] / n, 0.01);
    assertNotEquals(0, hottest, "ranks are shuffled over the items");
  }
}
