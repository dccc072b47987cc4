package io.rendan.bidding;

import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.Call;
import java.time.Instant;
import java.util.List;

/**
 * What a round stores: one event per write. {@link RoundSerializer} stores them as
 * protobuf under permanent manifests; {@link RoundDirectory} reads them.
 */
public final class RoundEvents {
  private RoundEvents() {}

  public sealed interface Event
      permits RoundPosted, BidsPlaced, BidWithdrawn, RoundClosed, BidAwarded, RoundCancelled {
    String roundId();

    Instant at();
  }

  public record RoundPosted(String roundId, String emcId, String ownerMeId, Call call, Instant closesAt, Instant at)
      implements Event {}

  /**
   * Bids accepted from one batch, in order; {@code closesAt} is the deadline after
   * them. {@code activeBids} and {@code bestAskBps} (null without bids) are what the
   * round shows after them, carried for the open-round directory.
   */
  public record BidsPlaced(
      String roundId, List<Bid> bids, Instant closesAt, int activeBids, Integer bestAskBps, Instant at)
      implements Event {
    public BidsPlaced {
      bids = List.copyOf(bids);
    }
  }

  public record BidWithdrawn(String roundId, String bidId, int activeBids, Integer bestAskBps, Instant at)
      implements Event {}

  /** The deadline passed; {@code awardedBidId} is set when the round awarded itself. */
  public record RoundClosed(String roundId, String awardedBidId, String invitationId, Instant at) implements Event {}

  public record BidAwarded(String roundId, String bidId, String invitationId, Instant at) implements Event {}

  public record RoundCancelled(String roundId, Instant at) implements Event {}
}
