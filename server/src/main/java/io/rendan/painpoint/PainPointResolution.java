package io.rendan.painpoint;

import io.rendan.emc.EmcEvents;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pain point is resolved when the member its call was awarded to joins the EMC.
 * An award becomes the invitation {@code award-{roundId}} (AwardDelivery); this
 * projection ({@code painpoint-resolution} / {@code emc-{i}}) follows the EMC tags
 * and, for every {@code MemberJoined} under such an invitation, tells the EMC's
 * board which round it was. The offset is stored only after the board answered
 * (at least once); the board resolves a pain point once and ignores rounds that
 * answer none.
 */
public final class PainPointResolution extends Handler<EventEnvelope<EmcEvents.Event>> {
  private static final Logger log = LoggerFactory.getLogger(PainPointResolution.class);
  public static final String NAME = "painpoint-resolution";
  static final String AWARD_PREFIX = "award-";

  private final PainPointApi api;
  private final ProjectionHealth health;
  private final String instance;

  PainPointResolution(PainPointApi api, ProjectionHealth health, String instance) {
    this.api = api;
    this.health = health;
    this.instance = instance;
  }

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, PainPointApi api, int emcTagSlices) {
    TaggedProjections.<EmcEvents.Event>atLeastOnceAsync(
        system, jdbc, NAME, "emc-", emcTagSlices, instance -> new PainPointResolution(api, ProjectionHealth.get(system), instance));
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<EmcEvents.Event> envelope) {
    if (!(envelope.event() instanceof EmcEvents.MemberJoined e) || e.invitationId() == null || !e.invitationId().startsWith(AWARD_PREFIX)) {
      return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
    }
    String roundId = e.invitationId().substring(AWARD_PREFIX.length());
    return api.resolve(e.emcId(), roundId, e.meId())
        .handle(
            (done, failure) -> {
              if (failure == null) {
                health.applied(instance);
                return Done.getInstance();
              }
              String event = envelope.persistenceId() + " seq " + envelope.sequenceNr() + " (MemberJoined)";
              if (health.failed(instance, event, failure)) {
                log.error("projection {} cannot apply {}: {}; retrying, later events of its tag wait", instance, event, failure.toString());
              }
              throw new java.util.concurrent.CompletionException(failure);
            });
  }
}
