package io.rendan.bidding;

import io.rendan.auth.Caller;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.Round;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a round was posted with: its EMC, its owner and its call. No event changes
 * any of it once the round is posted, so what one read of the round said stays
 * true through restarts, fail-overs and any ME's change, and this node keeps it
 * instead of asking the round for its whole state (an ask and a sharding hop)
 * where only these facts are needed: the charter's self-award check before a bid
 * ({@link SelfAwardCheck}) and the prospectus of a caller who does not operate the
 * round's owner ({@link #view}, for {@link BiddingApi#postedView}). A round not posted yet is not
 * kept. Bounded: past {@link #MAX_POSTINGS} rounds the map starts over.
 */
final class RoundPostings {
  /** {@code view}: the part of the round's view that never changes, made once (see {@link #toProto}). */
  record Posting(String roundId, String emcId, String ownerMeId, RoundEntity.Call call, Round view) {
    Posting(String roundId, String emcId, String ownerMeId, RoundEntity.Call call) {
      this(roundId, emcId, ownerMeId, call, view(roundId, emcId, ownerMeId, call));
    }

    private static Round view(String roundId, String emcId, String ownerMeId, RoundEntity.Call call) {
      Round.Builder b = Round.newBuilder().setRoundId(roundId).setCall(RoundMapping.toProto(call));
      if (emcId != null) {
        b.setEmcId(emcId);
      }
      if (ownerMeId != null) {
        b.setOwnerMeId(ownerMeId);
      }
      return b.build();
    }
  }

  static final int MAX_POSTINGS = 10_000;

  private final Function<String, CompletionStage<RoundState>> rounds;
  private final Map<String, Posting> postings = new ConcurrentHashMap<>();

  RoundPostings(Function<String, CompletionStage<RoundState>> rounds) {
    this.rounds = rounds;
  }

  /** The round's posting: kept, or read from the round once; null for a round not posted yet. */
  CompletionStage<Posting> posting(String roundId) {
    Posting known = postings.get(roundId);
    return known != null ? CompletableFuture.completedFuture(known) : rounds.apply(roundId).thenApply(this::keep);
  }

  /** Keeps what {@code round} was posted with, once it is posted; returns it (null before). */
  Posting keep(RoundState round) {
    if (!round.isPosted()) {
      return null;
    }
    Posting p = new Posting(round.roundId(), round.emcId(), round.ownerMeId(), round.call());
    if (postings.size() >= MAX_POSTINGS) {
      postings.clear();
    }
    postings.put(round.roundId(), p);
    return p;
  }

  /**
   * The round as {@code whole} gives it to the operators of its owner; to anyone
   * else only what it was posted with (its id, EMC, owner and call: no status, no
   * bids), so that no round is asked once this node has read it. A round not
   * posted (or unknown) is left to {@code whole}, which refuses it.
   */
  CompletionStage<BiddingApi.View> view(
      Caller caller, String roundId, MeApi meApi, Supplier<CompletionStage<BiddingApi.View>> whole) {
    return posting(roundId)
        .thenCompose(
            p ->
                p == null
                    ? whole.get()
                    : meApi
                        .requireOperator(caller, p.ownerMeId())
                        .thenCompose(owner -> whole.get())
                        .exceptionallyCompose(
                            notOwner ->
                                MeApi.isRefusal(notOwner, ErrorCodes.AUTH_FORBIDDEN)
                                    ? CompletableFuture.completedFuture(new BiddingApi.View(toProto(p), false))
                                    : CompletableFuture.failedFuture(notOwner)));
  }

  /** The part of a round's view that never changes: its id, EMC, owner and call (no status, no bids). */
  static Round toProto(Posting p) {
    return p.view();
  }
}
