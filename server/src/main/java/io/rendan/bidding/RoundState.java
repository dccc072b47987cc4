package io.rendan.bidding;

import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.BidStatus;
import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEntity.Mode;
import io.rendan.bidding.RoundEntity.Status;
import io.rendan.bidding.RoundEvents.BidAwarded;
import io.rendan.bidding.RoundEvents.BidWithdrawn;
import io.rendan.bidding.RoundEvents.BidsPlaced;
import io.rendan.bidding.RoundEvents.Event;
import io.rendan.bidding.RoundEvents.RoundCancelled;
import io.rendan.bidding.RoundEvents.RoundClosed;
import io.rendan.bidding.RoundEvents.RoundPosted;
import io.rendan.bidding.RoundProtocol.Summary;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A round as its events left it (and as its snapshot stores it); {@link #apply}
 * is the event handler. Its bids are a {@link BidIndex}.
 */
public record RoundState(
    String roundId,
    String emcId,
    String ownerMeId,
    Call call,
    Status status,
    Instant closesAt,
    Instant postedAt,
    Map<String, Bid> bids,
    String awardedBidId,
    String invitationId,
    long arrivals,
    long version) {

  public RoundState {
    bids = BidIndex.of(bids); // the same instance when it already is one
  }

  private BidIndex index() {
    return (BidIndex) bids;
  }

  static RoundState empty(String roundId) {
    return new RoundState(roundId, null, null, null, null, null, null, Map.of(), null, null, 0, 0);
  }

  public boolean isPosted() {
    return call != null;
  }

  /** Bids that stand: active ones, and the awarded one (it won; it still counts). */
  public List<Bid> activeBids() {
    return bids.values().stream().filter(RoundEntity::stands).toList();
  }

  public int standingCount() {
    return index().standing();
  }

  public OptionalInt bestAsk() {
    return index().bestAsk();
  }

  public Optional<Bid> bestScore() {
    return bids.values().stream().filter(b -> b.status() == BidStatus.ACTIVE).min(RoundEntity.BEST);
  }

  public Optional<Bid> activeBidOf(String meId) {
    return Optional.ofNullable(index().activeOf(meId));
  }

  /** What anyone may see: the best ask only in open rounds, or once bidding has ended. */
  public Summary summary() {
    boolean showBest = call != null && (call.mode() == Mode.OPEN || status != Status.OPEN);
    OptionalInt best = bestAsk();
    Integer bestAsk = showBest && best.isPresent() ? best.getAsInt() : null;
    return new Summary(roundId, status, closesAt, bestAsk, standingCount(), version);
  }

  RoundState apply(Event event) {
    long next = version + 1;
    if (event instanceof RoundPosted e) {
      return new RoundState(
          roundId, e.emcId(), e.ownerMeId(), e.call(), Status.OPEN, e.closesAt(), e.at(), Map.of(), null, null, 0, next);
    }
    BidIndex bs = index();
    if (event instanceof BidsPlaced e) {
      long arrived = arrivals;
      for (Bid bid : e.bids()) {
        // one active bid per ME: a new one replaces the last
        Bid replaced = bs.activeOf(bid.meId());
        if (replaced != null) {
          bs = bs.put(replaced.withStatus(BidStatus.SUPERSEDED));
        }
        bs = bs.put(bid);
        arrived = Math.max(arrived, bid.arrival());
      }
      return new RoundState(roundId, emcId, ownerMeId, call, status, e.closesAt(), postedAt, bs, awardedBidId, invitationId, arrived, next);
    }
    if (event instanceof BidWithdrawn e) {
      Bid bid = bs.get(e.bidId());
      if (bid != null) {
        bs = bs.put(bid.withStatus(BidStatus.WITHDRAWN));
      }
      return new RoundState(roundId, emcId, ownerMeId, call, status, closesAt, postedAt, bs, awardedBidId, invitationId, arrivals, next);
    }
    if (event instanceof RoundClosed e) {
      Status outcome;
      if (e.awardedBidId() != null) {
        Bid winner = bs.get(e.awardedBidId());
        if (winner != null) {
          bs = bs.put(winner.withStatus(BidStatus.AWARDED));
        }
        outcome = Status.AWARDED;
      } else {
        outcome = standingCount() == 0 ? Status.UNSUCCESSFUL : Status.CLOSED;
      }
      return new RoundState(roundId, emcId, ownerMeId, call, outcome, closesAt, postedAt, bs, e.awardedBidId(), e.invitationId(), arrivals, next);
    }
    if (event instanceof BidAwarded e) {
      Bid winner = bs.get(e.bidId());
      if (winner != null) {
        bs = bs.put(winner.withStatus(BidStatus.AWARDED));
      }
      return new RoundState(roundId, emcId, ownerMeId, call, Status.AWARDED, closesAt, postedAt, bs, e.bidId(), e.invitationId(), arrivals, next);
    }
    if (event instanceof RoundCancelled) {
      return new RoundState(roundId, emcId, ownerMeId, call, Status.CANCELLED, closesAt, postedAt, bs, awardedBidId, invitationId, arrivals, next);
    }
    throw new IllegalStateException("unknown event " + event.getClass());
  }
}
