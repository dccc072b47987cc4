package io.rendan.appliance;

import com.typesafe.config.Config;
import java.time.Duration;

/** Everything under {@code rendan.appliance} in application.conf, read once at start. */
public record ApplianceConfig(
    ApplianceEntity.Settings entity, ApplianceApi.Limits limits, TelemetryIngest.Settings ingest) {

  public static ApplianceConfig from(Config config) {
    Config c = config.getConfig("rendan.appliance");
    Config reservation = c.getConfig("reservation");
    Config ingest = c.getConfig("ingest");
    Duration heartbeat = c.getDuration("heartbeat-window");
    Duration minHeartbeat = c.getDuration("min-heartbeat-window");
    Duration maxHeartbeat = c.getDuration("max-heartbeat-window");
    if (heartbeat.compareTo(minHeartbeat) < 0 || heartbeat.compareTo(maxHeartbeat) > 0) {
      throw new IllegalArgumentException("rendan.appliance.heartbeat-window must lie between its min and max");
    }
    return new ApplianceConfig(
        new ApplianceEntity.Settings(
            c.getInt("snapshot-every"),
            c.getDuration("backoff-min"),
            c.getDuration("backoff-max"),
            c.getInt("tag-slices"),
            reservation.getDuration("no-show-grace"),
            reservation.getInt("max-per-user"),
            ingest.getLong("max-seq-jump")),
        new ApplianceApi.Limits(
            heartbeat,
            minHeartbeat,
            maxHeartbeat,
            c.getDuration("stale-window"),
            c.getDuration("max-stale-window"),
            reservation.getDuration("min-duration"),
            reservation.getDuration("max-duration"),
            reservation.getDuration("max-advance"),
            ingest.getInt("max-inventory-items"),
            c.getInt("max-listed")),
        new TelemetryIngest.Settings(
            (int) (long) ingest.getBytes("max-line-bytes"),
            ingest.getInt("max-batch"),
            ingest.getDuration("linger"),
            ingest.getDouble("rate-per-second"),
            ingest.getInt("burst")));
  }
}
