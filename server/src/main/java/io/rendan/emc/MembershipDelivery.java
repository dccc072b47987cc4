package io.rendan.emc;

import io.rendan.emc.EmcEvents.EmcDissolved;
import io.rendan.emc.EmcEvents.EmcStarted;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.MemberJoined;
import io.rendan.emc.EmcEvents.MemberLeft;
import io.rendan.emc.EmcEvents.OwnershipTransferred;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcEvents.SeatReplaced;
import io.rendan.me.MeEntity;
import io.rendan.me.MeApi;
import io.rendan.me.MeEntity.Membership;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells each ME about its memberships, its ledger credits (each part of a
 * revenue split) and its target results, from the EMC's journal: at least once
 * (a projection whose offset is stored only after the MEs have stored what they
 * were told, so a node that dies in between tells them again) and applied once
 * (the ME ignores an EMC sequence number it has seen). One projection instance
 * per tag slice, spread over the cluster.
 */
public final class MembershipDelivery extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(MembershipDelivery.class);
  public static final String NAME = "emc-memberships";

  private final MeApi meApi;
  private final ProjectionHealth health;
  private final String instance;

  MembershipDelivery(MeApi meApi, ProjectionHealth health, String instance) {
    this.meApi = meApi;
    this.health = health;
    this.instance = instance;
  }

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, MeApi meApi, int tagSlices) {
    TaggedProjections.<Event>atLeastOnceAsync(
        system, jdbc, NAME, "emc-", tagSlices, instance -> new MembershipDelivery(meApi, ProjectionHealth.get(system), instance));
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    List<CompletableFuture<Boolean>> deliveries = new ArrayList<>();
    for (Delivery d : deliveries(envelope.event(), envelope.sequenceNr())) {
      CompletionStage<Boolean> sent;
      if (d instanceof MembershipChange m) {
        sent = meApi.recordMembership(m.meId(), m.membership());
      } else if (d instanceof CreditDue c) {
        sent = meApi.recordCredit(c.meId(), c.credit());
      } else if (d instanceof HelpDue h) {
        sent = meApi.recordHelp(h.meId(), h.note());
      } else {
        TargetResultDue t = (TargetResultDue) d;
        sent = meApi.recordTargetResult(t.meId(), t.outcome());
      }
      deliveries.add(
          sent.thenApply(
                  known -> {
                    if (!known) {
                      log.warn("EMC event {} names ME {}, which does not exist; not recorded", envelope.persistenceId(), d.meId());
                    }
                    return known;
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(deliveries.toArray(CompletableFuture[]::new))
        .handle(
            (done, failure) -> {
              if (failure == null) {
                health.applied(instance);
                return Done.getInstance();
              }
              // Retried from the last offset with backoff; every later event of the tag waits.
              Throwable cause = failure;
              while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
              }
              String event = envelope.persistenceId() + " seq " + envelope.sequenceNr() + " (" + envelope.event().getClass().getSimpleName() + ")";
              if (health.failed(instance, event, cause)) {
                log.error("projection {} cannot apply {}: {}; retrying, later events of its tag wait", instance, event, cause.toString());
              } else {
                log.warn("projection {} still cannot apply {}: {}", instance, event, cause.toString());
              }
              throw new java.util.concurrent.CompletionException(failure);
            });
  }

  /** Something one ME must learn from one EMC event. */
  sealed interface Delivery permits MembershipChange, CreditDue, TargetResultDue, HelpDue {
    String meId();
  }

  record MembershipChange(String meId, Membership membership) implements Delivery {}

  record CreditDue(String meId, MeEntity.Credit credit) implements Delivery {}

  record TargetResultDue(String meId, MeEntity.TargetOutcome outcome) implements Delivery {}

  record HelpDue(String meId, MeEntity.HelpNote note) implements Delivery {}

  /**
   * What each ME must learn from one EMC event; most events concern no ME. Every
   * message carries the EMC's sequence number, the ME's de-duplication cursor:
   * one EMC event names an ME at most once.
   */
  static List<Delivery> deliveries(Event event, long emcSeq) {
    if (HelpCases.isHelpEvent(event)) {
      return HelpDeliveries.of(event, emcSeq);
    }
    if (event instanceof EmcStarted e) {
      return List.of(
          new MembershipChange(
              e.ownerMeId(),
              new Membership(e.emcId(), e.name(), e.ownerSide(), EmcMembership.OWNER_ROLE, true, true, emcSeq)));
    }
    if (event instanceof MemberJoined e) {
      if (e.emcMember()) {
        return List.of(); // an EMC seat: no ME keeps this membership
      }
      return List.of(
          new MembershipChange(e.meId(), new Membership(e.emcId(), e.emcName(), e.side(), e.role(), false, true, emcSeq)));
    }
    if (event instanceof MemberLeft e) {
      return List.of(new MembershipChange(e.meId(), new Membership(e.emcId(), "", null, "", false, false, emcSeq)));
    }
    if (event instanceof OwnershipTransferred e) {
      return List.of(
          new MembershipChange(
              e.fromMeId(), new Membership(e.emcId(), e.emcName(), e.fromSide(), "member", false, true, emcSeq)),
          new MembershipChange(
              e.toMeId(), new Membership(e.emcId(), e.emcName(), e.toSide(), e.toRole(), true, true, emcSeq)));
    }
    if (event instanceof EmcDissolved e) {
      return e.memberMeIds().stream()
          .map(id -> (Delivery) new MembershipChange(id, new Membership(e.emcId(), "", null, "", false, false, emcSeq)))
          .toList();
    }
    if (event instanceof RevenueShared e) {
      // Parts of zero change no balance: no ledger entry for them. A seat held by an EMC is
      // credited to no ME: RevenuePassOn records its part as revenue of that EMC.
      return e.parts().stream()
          .filter(p -> p.amountMinor() != 0 && !p.emcMember())
          .map(
              p ->
                  (Delivery)
                      new CreditDue(
                          p.meId(),
                          new MeEntity.Credit(
                              e.emcId(),
                              emcSeq,
                              e.revenueId(),
                              p.amountMinor(),
                              e.currency(),
                              e.source(),
                              e.earnedAt(),
                              p.shareBps(),
                              p.contractVersion(),
                              p.owner())))
          .toList();
    }
    if (event instanceof PeriodClosed e) {
      return e.results().stream()
          .map(
              r ->
                  (Delivery)
                      new TargetResultDue(
                          r.meId(),
                          new MeEntity.TargetOutcome(
                              e.emcId(), emcSeq, e.period(), r.metric(), r.target(), r.achieved(), r.met(), r.atRisk())))
          .toList();
    }
    if (event instanceof SeatReplaced e) {
      return List.of(
          new MembershipChange(e.oldMeId(), new Membership(e.emcId(), "", null, "", false, false, emcSeq)),
          new MembershipChange(e.newMeId(), new Membership(e.emcId(), e.emcName(), e.side(), e.role(), false, true, emcSeq)));
    }
    return List.of();
  }
}
