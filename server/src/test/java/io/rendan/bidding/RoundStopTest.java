package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.bidding.RoundEntity.Bidder;
import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEntity.Mode;
import io.rendan.bidding.RoundEntity.Settings;
import io.rendan.bidding.RoundProtocol.Accepted;
import io.rendan.bidding.RoundProtocol.BidAccepted;
import io.rendan.bidding.RoundProtocol.Command;
import io.rendan.bidding.RoundProtocol.GetRound;
import io.rendan.bidding.RoundProtocol.PlaceBid;
import io.rendan.bidding.RoundProtocol.PostCall;
import io.rendan.bidding.RoundProtocol.Reply;
import io.rendan.bidding.RoundProtocol.Stop;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The round as the shard stops it (hand-off to another node, passivation): the
 * sharded entity with its journal, stopped with its stop message. A write in
 * flight is stored and answered before the round stops, so that the round's next
 * incarnation reads it from the journal rather than racing it.
 */
@Tag("unit")
class RoundStopTest {
  private static final Instant START = Instant.parse("2026-05-04T18:00:00Z");
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final Settings SETTINGS =
      new Settings(
          3, Duration.ofMillis(200), Duration.ofSeconds(5), 4, Duration.ofMinutes(2), Duration.ofMinutes(2), 50, 100, 100,
          Duration.ofMinutes(2), Duration.ZERO);
  private static ActorTestKit testKit;

  private final TestClock clock = new TestClock(START);
  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe(ClusterSharding.ShardCommand.class);

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  private ActorRef<Command> incarnation(String roundId) {
    return testKit.spawn(RoundEntity.create(roundId, SETTINGS, (event, state) -> {}, clock, shard.getRef()));
  }

  private static PlaceBid bid(String bidId, ActorRef<Reply> replyTo) {
    return new PlaceBid(bidId, new Bidder("me-1", List.of("iot-programming"), 500, List.of()), 1_500, "plan", replyTo);
  }

  private ActorRef<Command> posted(String roundId) {
    ActorRef<Command> round = incarnation(roundId);
    TestProbe<Reply> reply = testKit.createTestProbe(Reply.class);
    Call call =
        new Call("iot-programming", Side.SOLUTION, "firmware", "IoT for the washers", 2_000, Mode.SEALED, 100, 300, false,
            new Target(Metric.CYCLES, 1_000), 3, null);
    round.tell(new PostCall("emc-1", "owner", call, START.plus(Duration.ofMinutes(10)), "owner", reply.getRef()));
    reply.expectMessageClass(Accepted.class, Duration.ofSeconds(20)); // the first journal of the test system starts slowly
    return round;
  }

  @Test
  void aBidInFlightWhenTheRoundIsStoppedIsStoredAndAnsweredBeforeItStops() throws Exception {
    String roundId = "stopped-" + IDS.incrementAndGet();
    ActorRef<Command> round = posted(roundId);
    // The bid's write is held in the journal (as a busy database would) until the round was told to stop.
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    journal.withPolicy(
        (String persistenceId, JournalOperation operation) -> {
          if (operation instanceof WriteEvents && persistenceId.equals(RoundEntity.persistenceId(roundId).id())) {
            writing.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return (ProcessingResult) ProcessingSuccess.getInstance();
        });
    TestProbe<Reply> placed = testKit.createTestProbe(Reply.class);
    TestProbe<Reply> queued = testKit.createTestProbe(Reply.class);
    try {
      round.tell(bid("bid-1", placed.getRef())); // written at once: the round was idle
      assertTrue(writing.await(5, TimeUnit.SECONDS), "the bid's write reached the journal");
      round.tell(bid("bid-2", queued.getRef())); // waits for the write in flight
      round.tell(Stop.INSTANCE);
      // Read after the stop: answered, so the round took the stop and still runs while its write is in
      // flight (stopped at once, it took its journal with it, and the write's answer with it).
      TestProbe<Reply> read = testKit.createTestProbe(Reply.class);
      round.tell(new GetRound(read.getRef()));
      assertEquals(List.of(), List.copyOf(read.expectMessageClass(Accepted.class).round().bids().keySet()));
    } finally {
      release.countDown();
      journal.resetPolicy();
    }

    BidAccepted accepted = placed.expectMessageClass(BidAccepted.class);
    assertEquals("bid-1", accepted.bid().bidId());
    placed.expectTerminated(round, Duration.ofSeconds(3));
    queued.expectNoMessage(Duration.ofMillis(100)); // not written: its ask sends it again, to the next incarnation

    TestProbe<Reply> next = testKit.createTestProbe(Reply.class);
    incarnation(roundId).tell(new GetRound(next.getRef()));
    assertEquals(List.of("bid-1"), List.copyOf(next.expectMessageClass(Accepted.class).round().bids().keySet()));
  }

  @Test
  void anIdleRoundStopsAtOnce() {
    String roundId = "idle-" + IDS.incrementAndGet();
    ActorRef<Command> round = posted(roundId);
    round.tell(Stop.INSTANCE);
    testKit.createTestProbe().expectTerminated(round, Duration.ofSeconds(3));
  }
}
