package io.rendan.bidding;

import static io.rendan.bidding.RoundEntity.stands;

import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.BidStatus;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A round's bids, persistent (a change shares all but O(log n) of the old
 * structure, so a write costs the same at 10 or 100 000 bids), with what the
 * rules ask of them kept up to date: each ME's active bid, and the asks of the
 * bids that stand (for the best ask). Iteration order is not meaningful.
 */
public final class BidIndex extends java.util.AbstractMap<String, Bid> {
  static final BidIndex EMPTY =
      new BidIndex(org.pcollections.HashTreePMap.empty(), org.pcollections.HashTreePMap.empty(), org.pcollections.TreePMap.empty(), 0);

  private final org.pcollections.PMap<String, Bid> byId;
  private final org.pcollections.PMap<String, String> activeByMe;
  private final org.pcollections.TreePMap<Integer, Integer> standingAsks;
  private final int standing;

  private BidIndex(
      org.pcollections.PMap<String, Bid> byId,
      org.pcollections.PMap<String, String> activeByMe,
      org.pcollections.TreePMap<Integer, Integer> standingAsks,
      int standing) {
    this.byId = byId;
    this.activeByMe = activeByMe;
    this.standingAsks = standingAsks;
    this.standing = standing;
  }

  static BidIndex of(Map<String, Bid> bids) {
    if (bids instanceof BidIndex b) {
      return b;
    }
    BidIndex result = EMPTY;
    for (Bid bid : bids.values()) {
      result = result.put(bid);
    }
    return result;
  }

  /** This bid, as it is, in place of any bid with its id. */
  BidIndex put(Bid bid) {
    BidIndex without = remove(byId.get(bid.bidId()));
    org.pcollections.PMap<String, String> active =
        bid.status() == BidStatus.ACTIVE ? without.activeByMe.plus(bid.meId(), bid.bidId()) : without.activeByMe;
    org.pcollections.TreePMap<Integer, Integer> asks = without.standingAsks;
    int count = without.standing;
    if (stands(bid)) {
      asks = asks.plus(bid.askShareBps(), asks.getOrDefault(bid.askShareBps(), 0) + 1);
      count++;
    }
    return new BidIndex(without.byId.plus(bid.bidId(), bid), active, asks, count);
  }

  private BidIndex remove(Bid old) {
    if (old == null) {
      return this;
    }
    org.pcollections.PMap<String, String> active =
        old.bidId().equals(activeByMe.get(old.meId())) ? activeByMe.minus(old.meId()) : activeByMe;
    org.pcollections.TreePMap<Integer, Integer> asks = standingAsks;
    int count = standing;
    if (stands(old)) {
      int n = asks.getOrDefault(old.askShareBps(), 0);
      asks = n <= 1 ? asks.minus(old.askShareBps()) : asks.plus(old.askShareBps(), n - 1);
      count--;
    }
    return new BidIndex(byId.minus(old.bidId()), active, asks, count);
  }

  Bid activeOf(String meId) {
    String id = activeByMe.get(meId);
    return id == null ? null : byId.get(id);
  }

  OptionalInt bestAsk() {
    return standingAsks.isEmpty() ? OptionalInt.empty() : OptionalInt.of(standingAsks.firstKey());
  }

  int standing() {
    return standing;
  }

  @Override
  public Set<Map.Entry<String, Bid>> entrySet() {
    return byId.entrySet();
  }

  @Override
  public Bid get(Object key) {
    return byId.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return byId.containsKey(key);
  }

  @Override
  public int size() {
    return byId.size();
  }

  @Override
  public java.util.Collection<Bid> values() {
    return byId.values();
  }
}
