package io.rendan.emc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The charter's check of the commands its clauses govern (io.rendan.charter):
 * each completes normally or fails with the refusal naming its clause.
 */
public interface CharterGate {
  CompletionStage<Integer> checkTerms(EmcState emc, String meId, EmcMembership.Terms terms);

  /** The charter versions in force in the EMC now, recorded on a contract made or changed. */
  CompletionStage<EmcMembership.CharterVersions> versions(String emcId);

  /** The notice a removal needs (removal-notice), empty when it takes effect at once. */
  CompletionStage<java.util.Optional<RemovalNotice.Notice>> removalNotice(EmcState emc, String meId, boolean byOwner);

  CompletionStage<Void> checkAward(String emcId, String ownerMeId, String bidderMeId);

  /** Whether a seat of the EMC is replaced only after a failed help case (the clause replace-after-help). */
  CompletionStage<Boolean> helpFirst(String emcId);

  CharterGate NONE =
      new CharterGate() {
        public CompletionStage<Integer> checkTerms(EmcState emc, String meId, EmcMembership.Terms terms) {
          return CompletableFuture.completedFuture(0);
        }

        public CompletionStage<EmcMembership.CharterVersions> versions(String emcId) {
          return CompletableFuture.completedFuture(EmcMembership.CharterVersions.BEFORE);
        }

        public CompletionStage<java.util.Optional<RemovalNotice.Notice>> removalNotice(EmcState emc, String meId, boolean byOwner) {
          return CompletableFuture.completedFuture(java.util.Optional.empty());
        }

        public CompletionStage<Void> checkAward(String emcId, String ownerMeId, String bidderMeId) {
          return CompletableFuture.completedFuture(null);
        }

        public CompletionStage<Boolean> helpFirst(String emcId) {
          return CompletableFuture.completedFuture(true);
        }
      };
}
