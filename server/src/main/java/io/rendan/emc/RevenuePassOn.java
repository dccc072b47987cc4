package io.rendan.emc;

import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revenue passed on: the part of a split that went to a seat held by an EMC
 * becomes revenue recorded in that EMC, which splits it again by its own
 * contracts (and passes on its own EMC seats' parts the same way, one level per
 * event). At least once: a projection of the EMC tags whose offset is stored only
 * after every inner EMC answered, so a node that dies between the outer split and
 * the inner one passes it on when the projection resumes. Counted once: the inner
 * revenue id is derived from the outer EMC, its revenue id and the seat, and an
 * EMC answers a revenue id it has with the same content by storing nothing.
 */
public final class RevenuePassOn extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(RevenuePassOn.class);
  public static final String NAME = "emc-revenue-pass-on";

  private final RevenueApi revenue;
  private final ProjectionHealth health;
  private final String instance;
  private final PassOnParking parking;

  RevenuePassOn(RevenueApi revenue, ProjectionHealth health, String instance, PassOnParking parking) {
    this.revenue = revenue;
    this.health = health;
    this.instance = instance;
    this.parking = parking;
  }

  /** With a refusal parked and retried every {@code retryInterval} ({@link PassOnParking}). */
  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, EmcApi emcApi, int tagSlices, java.time.Duration retryInterval) {
    PassOnParking parking = PassOnParking.start(system, jdbc, emcApi, retryInterval);
    TaggedProjections.<Event>atLeastOnceAsync(
        system,
        jdbc,
        NAME,
        "emc-",
        tagSlices,
        instance -> new RevenuePassOn(emcApi.revenue(), ProjectionHealth.get(system), instance, parking));
  }

  /**
   * The revenue id in the EMC holding seat {@code seat} of {@code emcId} of that
   * EMC's revenue {@code revenueId}: the three hashed into the id alphabet, the
   * same every time, and never one a client could mean as its own (those are
   * free, but a SHA-256 prefix of 160 bits does not collide by chance).
   */
  public static String passedOnId(String emcId, String revenueId, String seat) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest((emcId + "\n" + revenueId + "\n" + seat).getBytes(StandardCharsets.UTF_8));
      return "pass-" + HexFormat.of().formatHex(digest, 0, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    if (!(envelope.event() instanceof RevenueShared e)) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (RevenueSplit.Part part : e.parts()) {
      if (!part.emcMember() || part.amountMinor() == 0) {
        continue;
      }
      String seat = part.meId();
      String refundOf = e.refundOf() == null ? null : passedOnId(e.emcId(), e.refundOf(), seat);
      PassOnParking.Parked pass =
          new PassOnParking.Parked(
              passedOnId(e.emcId(), e.revenueId(), seat),
              seat,
              e.emcId(),
              e.revenueId(),
              part.amountMinor(),
              e.currency(),
              "emc " + e.emcId() + " revenue " + e.revenueId(),
              e.earnedAt(),
              e.units(),
              refundOf,
              1);
      all =
          all.thenCompose(
              done ->
                  revenue
                      .recordPassedOnRevenue(
                          seat,
                          pass.innerRevenueId(),
                          pass.amountMinor(),
                          pass.currency(),
                          pass.source(),
                          pass.earnedAt(),
                          pass.units(),
                          refundOf,
                          new RevenueSplit.PassedFrom(e.emcId(), e.revenueId()))
                      .thenCompose(
                          refusal -> {
                            if (refusal == null) {
                              return CompletableFuture.completedFuture(null);
                            }
                            // a business refusal (period closed there, other currency, dissolved, no contract yet):
                            // parked before the offset moves on, retried with backoff, listed by the books check
                            log.warn("revenue {} of EMC {} not passed on to EMC {}: {}; parked, to be retried", e.revenueId(), e.emcId(), seat, refusal);
                            return parking.park(pass, refusal);
                          })
                      .toCompletableFuture());
    }
    return all.handle(
        (done, failure) -> {
          if (failure == null) {
            health.applied(instance);
            return Done.getInstance();
          }
          Throwable cause = failure;
          while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
          }
          String event = envelope.persistenceId() + " seq " + envelope.sequenceNr() + " (revenue " + e.revenueId() + ")";
          if (health.failed(instance, event, cause)) {
            log.error("projection {} cannot pass on {}: {}; retrying, later events of its tag wait", instance, event, cause.toString());
          } else {
            log.warn("projection {} still cannot pass on {}: {}", instance, event, cause.toString());
          }
          throw new CompletionException(failure);
        });
  }
}
