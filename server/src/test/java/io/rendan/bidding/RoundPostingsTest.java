package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEntity.Mode;
import io.rendan.protocol.api.v1.Round;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A round's posting is read from the round once per node, and never before the round is posted. */
@Tag("unit")
class RoundPostingsTest {
  private static final Call CALL =
      new Call("iot-programming", Side.SOLUTION, "firmware", "", 2_000, Mode.SEALED, 0, 0, true, new Target(Metric.REPORTED, 10), 2, null);

  private final Map<String, RoundState> rounds = new HashMap<>();
  private final AtomicInteger asks = new AtomicInteger();
  private final RoundPostings postings =
      new RoundPostings(
          id -> {
            asks.incrementAndGet();
            return CompletableFuture.completedFuture(rounds.getOrDefault(id, RoundState.empty(id)));
          });

  @Test
  void aPostedRoundIsAskedOnceAndThenServedFromTheNode() {
    rounds.put("r-1", posted("r-1"));
    RoundPostings.Posting first = postings.posting("r-1").toCompletableFuture().join();
    RoundPostings.Posting again = postings.posting("r-1").toCompletableFuture().join();
    assertEquals(1, asks.get(), "the second read asked the round again");
    assertEquals(first, again);
    assertEquals(new RoundPostings.Posting("r-1", "emc-1", "me-owner", CALL), first);
    Round view = RoundPostings.toProto(first);
    assertEquals("emc-1", view.getEmcId());
    assertEquals(2_000, view.getCall().getMaxShareBps());
    assertEquals(10, view.getCall().getTarget().getAmount());
    assertEquals(2, view.getCall().getMissedPeriodLimit());
    assertEquals(0, view.getBidsCount());
  }

  @Test
  void aRoundNotPostedYetIsNotKept() {
    assertNull(postings.posting("r-2").toCompletableFuture().join());
    rounds.put("r-2", posted("r-2"));
    assertEquals("emc-1", postings.posting("r-2").toCompletableFuture().join().emcId());
    assertEquals(2, asks.get(), "a round not posted was kept as not posted");
  }

  private static RoundState posted(String roundId) {
    Instant at = Instant.parse("2026-12-01T10:00:00Z");
    return new RoundState(
        roundId, "emc-1", "me-owner", CALL, RoundEntity.Status.OPEN, at.plusSeconds(3600), at, Map.of(), null, null, 0, 1);
  }
}
