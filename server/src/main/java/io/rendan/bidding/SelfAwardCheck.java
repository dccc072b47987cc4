package io.rendan.bidding;

import io.rendan.emc.EmcApi;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The charter's noSelfAward for rounds that award themselves: such a round
 * picks its best bid at close with no owner in the loop, so the rule is applied
 * when a bid comes in: an ME the owner's operators also operate may not bid
 * (charter:self-award), and the automatic award never meets it. Manual rounds
 * check at the award.
 *
 * <p>What the check needs of a round (whether it awards itself, its EMC, its
 * owner) is fixed when the round is posted: no event changes it afterwards. So
 * what one read of the round said stays true through restarts, fail-overs and
 * any ME's change, and this node keeps it ({@link Posting}) instead of asking
 * the round for its whole state before every bid (a second ask and sharding
 * hop per bid). A round not posted yet is not kept. Bounded: past {@link
 * #MAX_POSTINGS} rounds the map starts over.
 */
final class SelfAwardCheck {
  record Posting(boolean autoAward, String emcId, String ownerMeId) {}

  static final int MAX_POSTINGS = 10_000;

  private final EmcApi emcApi;
  private final Function<String, CompletionStage<RoundState>> rounds;
  private final Map<String, Posting> postings = new ConcurrentHashMap<>();

  SelfAwardCheck(EmcApi emcApi, Function<String, CompletionStage<RoundState>> rounds) {
    this.emcApi = emcApi;
    this.rounds = rounds;
  }

  /** Completes when {@code meId} may bid in {@code roundId}; fails with charter:self-award when it may not. */
  CompletionStage<Void> checked(String roundId, String meId) {
    Posting known = postings.get(roundId);
    CompletionStage<Posting> posting = known != null ? CompletableFuture.completedFuture(known) : posting(roundId);
    return posting.thenCompose(
        p ->
            p != null && p.autoAward() && p.emcId() != null
                ? emcApi.charter().checkAward(p.emcId(), p.ownerMeId(), meId)
                : CompletableFuture.completedFuture(null));
  }

  private CompletionStage<Posting> posting(String roundId) {
    return rounds
        .apply(roundId)
        .thenApply(
            round -> {
              if (!round.isPosted()) {
                return null;
              }
              Posting p = new Posting(round.call().autoAward(), round.emcId(), round.ownerMeId());
              if (postings.size() >= MAX_POSTINGS) {
                postings.clear();
              }
              postings.put(roundId, p);
              return p;
            });
  }
}
