package io.rendan.emc;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code defaultCurrency}: of EMCs started without one; {@code revenueWindow}:
 * how long revenue ids are remembered (by earnedAt), and so how old revenue may be.
 */
public record EmcSettings(
    int snapshotEvery,
    Duration backoffMin,
    Duration backoffMax,
    int tagSlices,
    int maxMembers,
    String defaultCurrency,
    Duration revenueWindow) {
  /** The EMC's settings under {@code rendan.emc}. */
  public static EmcSettings from(Config config) {
    Config emc = config.getConfig("rendan.emc");
    return new EmcSettings(
        emc.getInt("snapshot-every"),
        emc.getDuration("backoff-min"),
        emc.getDuration("backoff-max"),
        emc.getInt("tag-slices"),
        emc.getInt("max-members"),
        emc.getString("default-currency"),
        emc.getDuration("revenue-window"));
  }
}
