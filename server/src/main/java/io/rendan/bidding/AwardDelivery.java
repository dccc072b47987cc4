package io.rendan.bidding;

import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEvents.BidAwarded;
import io.rendan.bidding.RoundEvents.Event;
import io.rendan.bidding.RoundEvents.RoundClosed;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcMembership;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns awards into EMC invitations: at least once (a projection of the rounds'
 * journal whose offset is stored only after the EMC has answered) and applied
 * once (the invitation's id is derived from the round, and the EMC answers a
 * repeated invitation as it did the first time).
 */
public final class AwardDelivery extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(AwardDelivery.class);
  public static final String NAME = "round-awards";

  private final BiddingApi bidding;
  private final EmcApi emcApi;

  AwardDelivery(BiddingApi bidding, EmcApi emcApi) {
    this.bidding = bidding;
    this.emcApi = emcApi;
  }

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, BiddingApi bidding, EmcApi emcApi, int tagSlices) {
    TaggedProjections.<Event>atLeastOnceAsync(system, jdbc, NAME, "round-", tagSlices, instance -> new AwardDelivery(bidding, emcApi));
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    Event event = envelope.event();
    boolean awarded =
        event instanceof BidAwarded || (event instanceof RoundClosed closed && closed.awardedBidId() != null);
    if (!awarded) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return bidding
        .state(event.roundId())
        .thenCompose(
            round -> {
              Bid bid = round.bids().get(round.awardedBidId());
              RoundEntity.Call call = round.call();
              EmcMembership.Terms terms = new EmcMembership.Terms(bid.askShareBps(), call.target(), call.missedPeriodLimit());
              CompletionStage<String> invited =
                  bid.emcBidder()
                      // an EMC that bid as one unit: invited as one member, its owner accepts
                      ? emcApi.asUnit().inviteFromAward(
                          round.emcId(), round.invitationId(), round.ownerMeId(), bid.meId(), call.side(), call.role(), terms)
                      : call.replacesMeId() == null
                      ? emcApi.inviteFromAward(
                          round.emcId(), round.invitationId(), round.ownerMeId(), bid.meId(), call.side(), call.role(), terms)
                      : emcApi.inviteReplacementFromAward(
                          round.emcId(),
                          round.invitationId(),
                          round.ownerMeId(),
                          bid.meId(),
                          call.side(),
                          call.role(),
                          terms,
                          call.replacesMeId());
              return invited
                  .thenApply(
                      refusal -> {
                        if (refusal == null) {
                          log.info("round {} awarded to {}: invitation {} issued in EMC {}", round.roundId(), bid.meId(), round.invitationId(), round.emcId());
                        } else {
                          // a business refusal (share now exceeded, already a member, ...) will not change on retry
                          log.warn("round {} awarded to {}, but EMC {} refused the invitation: {}", round.roundId(), bid.meId(), round.emcId(), refusal);
                        }
                        return Done.getInstance();
                      });
            });
  }
}
