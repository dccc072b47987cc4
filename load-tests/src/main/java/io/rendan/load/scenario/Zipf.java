package io.rendan.load.scenario;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks one of {@code n} items with probability proportional to 1/rank^s
 * (s = 0: uniform), the usual shape of "a few are hot, most are not". Ranks are
 * shuffled over the items with a fixed seed so that the hot ones are spread over
 * operators and shards rather than being items 0, 1, 2.
 */
final class Zipf {
  private final double[] cumulative;
  private final int[] itemOfRank;

  Zipf(int n, double s, long seed) {
    cumulative = new double[n];
    double sum = 0;
    for (int rank = 0; rank < n; rank++) {
      sum += 1.0 / Math.pow(rank + 1, s);
      cumulative[rank] = sum;
    }
    for (int rank = 0; rank < n; rank++) {
      cumulative[rank] /= sum;
    }
    itemOfRank = new int[n];
    for (int i = 0; i < n; i++) {
      itemOfRank[i] = i;
    }
    Random random = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = itemOfRank[i];
      itemOfRank[i] = itemOfRank[j];
      itemOfRank[j] = t;
    }
  }

  int next() {
    double u = ThreadLocalRandom.current().nextDouble();
    int rank = Arrays.binarySearch(cumulative, u);
    if (rank < 0) {
      rank = -rank - 1;
    }
    return itemOfRank[Math.min(rank, cumulative.length - 1)];
  }

  /** The share of picks that go to the hottest item. */
  double hottestShare() {
    return cumulative[0];
  }
}
