package io.rendan.emc;

import io.rendan.emc.EmcEntity.EmcDissolved;
import io.rendan.emc.EmcEntity.EmcStarted;
import io.rendan.emc.EmcEntity.Event;
import io.rendan.emc.EmcEntity.MemberJoined;
import io.rendan.emc.EmcEntity.MemberLeft;
import io.rendan.emc.EmcEntity.OwnershipTransferred;
import io.rendan.me.MeApi;
import io.rendan.me.MeEntity.Membership;
import io.rendan.projection.ProjectionJdbc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells each ME about its memberships, from the EMC's journal: at least once
 * (a projection whose offset is stored only after the MEs have stored what they
 * were told, so a node that dies in between tells them again) and applied once
 * (the ME ignores an EMC sequence number it has seen). One projection instance
 * per tag slice, spread over the cluster.
 */
public final class MembershipDelivery extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(MembershipDelivery.class);
  public static final String NAME = "emc-memberships";

  private final MeApi meApi;

  MembershipDelivery(MeApi meApi) {
    this.meApi = meApi;
  }

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, MeApi meApi, int tagSlices) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            tagSlices,
            slice -> {
              String tag = "emc-" + slice;
              return ProjectionBehavior.create(
                  JdbcProjection.atLeastOnceAsync(
                      ProjectionId.of(NAME, tag),
                      EventSourcedProvider.<Event>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
                      jdbc.sessions(),
                      () -> new MembershipDelivery(meApi),
                      system));
            },
            ProjectionBehavior.stopMessage());
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    List<CompletableFuture<Boolean>> deliveries = new ArrayList<>();
    for (Delivery d : deliveries(envelope.event(), envelope.sequenceNr())) {
      deliveries.add(
          meApi
              .recordMembership(d.meId(), d.membership())
              .thenApply(
                  known -> {
                    if (!known) {
                      log.warn("EMC {} names ME {}, which does not exist; membership not recorded", d.membership().emcId(), d.meId());
                    }
                    return known;
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(deliveries.toArray(CompletableFuture[]::new)).thenApply(done -> Done.getInstance());
  }

  record Delivery(String meId, Membership membership) {}

  /** What each ME must learn from one EMC event; most events concern no ME. */
  static List<Delivery> deliveries(Event event, long emcSeq) {
    if (event instanceof EmcStarted e) {
      return List.of(
          new Delivery(
              e.ownerMeId(),
              new Membership(e.emcId(), e.name(), e.ownerSide(), EmcEntity.OWNER_ROLE, true, true, emcSeq)));
    }
    if (event instanceof MemberJoined e) {
      return List.of(
          new Delivery(e.meId(), new Membership(e.emcId(), e.emcName(), e.side(), e.role(), false, true, emcSeq)));
    }
    if (event instanceof MemberLeft e) {
      return List.of(new Delivery(e.meId(), new Membership(e.emcId(), "", null, "", false, false, emcSeq)));
    }
    if (event instanceof OwnershipTransferred e) {
      return List.of(
          new Delivery(
              e.fromMeId(), new Membership(e.emcId(), e.emcName(), e.fromSide(), "member", false, true, emcSeq)),
          new Delivery(
              e.toMeId(), new Membership(e.emcId(), e.emcName(), e.toSide(), e.toRole(), true, true, emcSeq)));
    }
    if (event instanceof EmcDissolved e) {
      return e.memberMeIds().stream()
          .map(id -> new Delivery(id, new Membership(e.emcId(), "", null, "", false, false, emcSeq)))
          .toList();
    }
    return List.of();
  }
}
