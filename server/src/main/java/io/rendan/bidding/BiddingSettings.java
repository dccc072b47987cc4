package io.rendan.bidding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Everything under {@code rendan.bidding} in application.conf, read once at start:
 * the round's own settings, the limits of requests, the tag slices of round events
 * (shared by the directory and the award delivery), the directory's grouping and
 * the waker's sweep.
 */
public record BiddingSettings(
    RoundEntity.Settings round,
    BiddingApi.Limits limits,
    int tagSlices,
    RoundDirectory.Grouping directory,
    Duration wakeInterval,
    int maxWoken) {

  public static BiddingSettings from(Config config) {
    Config c = config.getConfig("rendan.bidding");
    return new BiddingSettings(
        new RoundEntity.Settings(
            c.getInt("snapshot-every"),
            c.getDuration("backoff-min"),
            c.getDuration("backoff-max"),
            c.getInt("tag-slices"),
            c.getDuration("soft-close-window"),
            c.getDuration("soft-close-extension"),
            c.getInt("max-bids-per-round"),
            c.getInt("max-queued"),
            c.getInt("max-batch"),
            c.getDuration("idle-passivation"),
            c.getDuration("write-linger")),
        new BiddingApi.Limits(c.getDuration("min-closes-in"), c.getDuration("max-closes-in"), c.getInt("max-listed")),
        c.getInt("tag-slices"),
        new RoundDirectory.Grouping(c.getInt("directory.group-envelopes"), c.getDuration("directory.group-within")),
        c.getDuration("wake-interval"),
        c.getInt("max-woken"));
  }
}
