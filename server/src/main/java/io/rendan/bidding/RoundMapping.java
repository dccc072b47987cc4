package io.rendan.bidding;

import com.google.protobuf.Timestamp;
import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundProtocol.Summary;
import io.rendan.emc.EmcViews;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Target;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Predicate;

/**
^ * A round as the API shows it: which bids a caller may see, and the mapping of a
 * round, its summary, its bids and its call to {@code rendan/api/v1/bidding.proto},
 * for replies and for the pushes on {@code round/{roundId}}.
 */
final class RoundMapping {
  private RoundMapping() {}

  /** A bidder sees its own bids; once bidding has ended, a bidder sees all of them. */
  static Predicate<Bid> visibleTo(RoundState round, String meId) {
    boolean bidder = round.bids().values().stream().anyMatch(b -> b.meId().equals(meId));
    boolean ended = round.status() != RoundEntity.Status.OPEN;
    return bid -> bid.meId().equals(meId) || (ended && bidder);
  }

  /** The round with the bids {@code visible} lets through, in the order they arrived. */
  static Round toProto(RoundState s, Predicate<Bid> visible) {
    Round.Builder b = publicView(s).toBuilder();
    s.bids().values().stream()
        .filter(visible)
        .sorted(java.util.Comparator.comparingLong(Bid::arrival))
        .forEach(bid -> b.addBids(toProto(bid)));
    return b.build();
  }

  /** What anyone may see: no bids at all (and no pass over them: a hot round pushes often). */
  static Round publicView(RoundState s) {
    Round.Builder b = summaryProto(s.summary());
    b.setEmcId(s.emcId()).setOwnerMeId(s.ownerMeId()).setCall(toProto(s.call())).setPostedAt(ts(s.postedAt()));
    if (s.awardedBidId() != null) {
      b.setAwardedBidId(s.awardedBidId()).setAwardedMeId(s.bids().get(s.awardedBidId()).meId());
    }
    if (s.invitationId() != null) {
      b.setInvitationId(s.invitationId());
    }
    return b.build();
  }

  static Round.Builder summaryProto(Summary s) {
    Round.Builder b =
        Round.newBuilder()
            .setRoundId(s.roundId())
            .setStatus(Round.Status.valueOf(s.status().name()))
            .setClosesAt(ts(s.closesAt()))
            .setBidCount(s.bidCount())
            .setVersion(s.version());
    if (s.bestAskBps() != null) {
      b.setBestAskBps(s.bestAskBps());
    }
    return b;
  }

  static io.rendan.protocol.api.v1.Bid toProto(Bid bid) {
    return io.rendan.protocol.api.v1.Bid.newBuilder()
        .setBidId(bid.bidId())
        .setMeId(bid.meId())
        .setAskShareBps(bid.askShareBps())
        .setPlan(bid.plan())
        .setPlacedAt(ts(bid.placedAt()))
        .setRating(bid.rating())
        .setScore(bid.score())
        .setStatus(io.rendan.protocol.api.v1.Bid.Status.valueOf(bid.status().name()))
        .setBidderKind(bid.emcBidder() ? io.rendan.emc.EmcViews.EMC_KIND : "")
        .build();
  }

  static Call toProto(RoundEntity.Call c) {
    return Call.newBuilder()
        .setCapability(c.capability())
        .setSide(EmcViews.toProto(c.side()))
        .setRole(c.role())
        .setDescription(c.description())
        .setMaxShareBps(c.maxShareBps())
        .setMode(Call.Mode.valueOf(c.mode().name()))
        .setMinStepBps(c.minStepBps())
        .setMinRating(c.minRating())
        .setAutoAward(c.autoAward())
        .setTarget(Target.newBuilder().setMetric(Target.Metric.valueOf(c.target().metric().name())).setAmount(c.target().amount()))
        .setMissedPeriodLimit(c.missedPeriodLimit())
        .setReplacesMeId(c.replacesMeId() == null ? "" : c.replacesMeId())
        .setPainPointId(c.painPointId() == null ? "" : c.painPointId())
        .build();
  }

  /** What subscribers of round/{id} get: what anyone may see, never the bids. */
  static Push push(String event, RoundState state, Clock clock) {
    Instant now = clock.instant();
    return Push.newBuilder()
        .setTopic(BiddingApi.TOPIC_PREFIX + state.roundId())
        .setSeq(state.version())
        .setAt(ts(now))
        .setEvent(event)
        .setRound(publicView(state))
        .build();
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }
}
