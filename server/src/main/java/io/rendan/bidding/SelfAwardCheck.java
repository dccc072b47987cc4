package io.rendan.bidding;

import io.rendan.emc.EmcApi;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The charter's noSelfAward for rounds that award themselves: such a round
 * picks its best bid at close with no owner in the loop, so the rule is applied
 * when a bid comes in: an ME the owner's operators also operate may not bid
 * (charter:self-award), and the automatic award never meets it. Manual rounds
 * check at the award.
 *
 * <p>What the check needs of a round (whether it awards itself, its EMC, its
 * owner) is fixed when the round is posted, so it reads the node's
 * {@link RoundPostings} instead of asking the round for its whole state before
 * every bid (a second ask and sharding hop per bid).
 */
final class SelfAwardCheck {
  private final EmcApi emcApi;
  private final RoundPostings postings;

  SelfAwardCheck(EmcApi emcApi, RoundPostings postings) {
    this.emcApi = emcApi;
    this.postings = postings;
  }

  /** Completes when {@code meId} may bid in {@code roundId}; fails with charter:self-award when it may not. */
  CompletionStage<Void> checked(String roundId, String meId) {
    return postings
        .posting(roundId)
        .thenCompose(
            p ->
                p != null && p.call().autoAward() && p.emcId() != null
                    ? emcApi.charter().checkAward(p.emcId(), p.ownerMeId(), meId)
                    : CompletableFuture.completedFuture(null));
  }
}
