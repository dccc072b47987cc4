package io.rendan.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The seed node list of {@code rendan.cluster.seed-nodes} (RENDAN_SEED_NODES):
 * comma-separated {@code pekko://rendan@host:port} addresses. A mistyped address
 * is refused at start, because Pekko would otherwise keep trying to join a
 * system that never answers and the node would just never become ready.
 */
public final class SeedNodes {
  public static final String SYSTEM_NAME = "rendan";
  private static final Pattern ADDRESS = Pattern.compile("pekko://" + SYSTEM_NAME + "@[^:/@\\s]+:\\d{1,5}");

  private SeedNodes() {}

  public static List<String> parse(String setting) {
    List<String> seeds = new ArrayList<>();
    for (String part : setting.split(",")) {
      String seed = part.strip();
      if (seed.isEmpty()) {
        continue;
      }
      if (!ADDRESS.matcher(seed).matches()) {
        throw new IllegalArgumentException(
            "RENDAN_SEED_NODES (rendan.cluster.seed-nodes): '"
                + seed
                + "' is not an address like pekko://"
                + SYSTEM_NAME
                + "@host:25520");
      }
      seeds.add(seed);
    }
    return List.copyOf(seeds);
  }
}
