package io.rendan.appliance;

import io.rendan.appliance.ApplianceEvents.Event;
import io.rendan.appliance.ApplianceState.MeteredCycle;
import io.rendan.appliance.ApplianceEvents.TelemetryRecorded;
import io.rendan.emc.EmcApi;
import io.rendan.emc.RevenueApi;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every finished paid cycle becomes revenue of the appliance's EMC: at least
 * once (a projection of the appliances' usage-tagged events whose offset is
 * stored only after the EMC answered) and counted once (the EMC dedupes by the
 * revenue id, derived from the appliance and the cycle). A resent reading is
 * already deduped by the appliance; a redelivered batch by the EMC.
 */
public final class MeteringDelivery extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(MeteringDelivery.class);
  public static final String NAME = "appliance-metering";
  /** Appliances whose EMC an instance keeps; past this many it forgets them all and asks again. */
  static final int KNOWN_EMCS = 100_000;

  private final ApplianceApi appliances;
  private final RevenueApi revenue;
  /**
   * The EMC of each appliance this instance delivered for: an appliance's EMC is
   * set when it is provisioned and never changes (provisioning it again with
   * anything else is refused), so asking the appliance for its whole state on
   * every metered batch told nothing new.
   */
  private final Map<String, String> emcOfAppliance = new ConcurrentHashMap<>();

  MeteringDelivery(ApplianceApi appliances, RevenueApi revenue) {
    this.appliances = appliances;
    this.revenue = revenue;
  }

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, ApplianceApi appliances, EmcApi emcApi, int tagSlices) {
    TaggedProjections.<Event>atLeastOnceAsync(
        system, jdbc, NAME, "appliance-usage-", tagSlices, instance -> new MeteringDelivery(appliances, emcApi.revenue()));
  }

  /**
   * The EMC's revenue id of a metered cycle: the appliance's {@code
   * "{applianceId}:{cycleId}"} hashed into the EMC's id alphabet and length, the
   * same every time.
   */
  public static String revenueIdOf(MeteredCycle cycle) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(cycle.revenueId().getBytes(StandardCharsets.UTF_8));
      return "cycle-" + HexFormat.of().formatHex(digest, 0, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    if (!(envelope.event() instanceof TelemetryRecorded recorded) || recorded.meteredCycles().isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return emcOf(recorded.applianceId())
        .thenCompose(
            emcId -> {
              CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
              for (MeteredCycle cycle : recorded.meteredCycles()) {
                all =
                    all.thenCompose(
                        done ->
                            revenue
                                .recordMeteredRevenue(
                                    emcId,
                                    revenueIdOf(cycle),
                                    cycle.amountMinor(),
                                    cycle.currency(),
                                    "appliance " + recorded.applianceId() + " cycle " + cycle.cycleId(),
                                    cycle.finishedAt())
                                .thenAccept(
                                    refusal -> {
                                      if (refusal != null) {
                                        // a business refusal (period closed, other currency) does not change on retry
                                        log.warn(
                                            "cycle {} of appliance {} not recorded as revenue of EMC {}: {}",
                                            cycle.cycleId(),
                                            recorded.applianceId(),
                                            emcId,
                                            refusal);
                                      }
                                    })
                                .toCompletableFuture());
              }
              return all;
            })
        .thenApply(done -> Done.getInstance());
  }

  private CompletionStage<String> emcOf(String applianceId) {
    String known = emcOfAppliance.get(applianceId);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    return appliances
        .emcOf(applianceId)
        .thenApply(
            emcId -> {
              if (emcOfAppliance.size() >= KNOWN_EMCS) {
                emcOfAppliance.clear();
              }
              emcOfAppliance.put(applianceId, emcId);
              return emcId;
            });
  }
}
