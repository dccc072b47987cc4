package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.bidding.RoundEntity.*;
import io.rendan.bidding.RoundEvents.*;
import io.rendan.bidding.RoundProtocol.*;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One test per bidding rule, on the round's journal (the inbox in front of it
 * only queues and batches). Every message goes through the production
 * serializers and must come back equal; most tests end with a restart.
 */
@Tag("unit")
class RoundEntityTest {
  private static final Instant START = Instant.parse("2026-05-04T18:00:00Z");
  private static final String OWNER = "laundry";
  private static final Target TARGET = new Target(Metric.CYCLES, 1_000);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static ActorTestKit testKit;

  private final TestClock clock = new TestClock(START);
  private final List<String> published = new CopyOnWriteArrayList<>();
  private String roundId;
  private TestProbe<Command> inbox;
  private EventSourcedBehaviorTestKit<JournalCommand, Event, RoundState> round;

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newRound() {
    roundId = "round-" + IDS.incrementAndGet();
    inbox = testKit.createTestProbe(Command.class);
    round =
        EntityTestKit.entity(
            testKit,
            RoundJournal.create(
                roundId,
                new Settings(3, Duration.ofMillis(200), Duration.ofSeconds(5), 4, Duration.ofMinutes(2), Duration.ofMinutes(2), 50, 100, 100, Duration.ofMinutes(2), Duration.ZERO),
                (event, state) -> published.add(event),
                clock,
                inbox.getRef()));
  }

  private static Call call(Mode mode, boolean autoAward) {
    return new Call("iot-programming", Side.SOLUTION, "washer firmware", "IoT for the washer fleet", 2_000, mode, 100, 300, autoAward, TARGET, 3, null);
  }

  private RoundState post(Mode mode, boolean autoAward) {
    TestProbe<Reply> reply = testKit.createTestProbe(Reply.class);
    round.runCommand(new Apply(new PostCall("emc-1", OWNER, call(mode, autoAward), START.plus(Duration.ofMinutes(10)), OWNER, reply.getRef())));
    return reply.expectMessageClass(Accepted.class).round();
  }

  private static Bidder bidder(String meId) {
    return new Bidder(meId, List.of("iot-programming", "logistics"), 500, List.of());
  }

  /** Places bids as one batch; answers in order. */
  private List<Reply> bids(PlaceBidSpec... specs) {
    List<TestProbe<Reply>> probes = new ArrayList<>();
    List<PlaceBid> batch = new ArrayList<>();
    for (PlaceBidSpec spec : specs) {
      TestProbe<Reply> probe = testKit.createTestProbe(Reply.class);
      probes.add(probe);
      batch.add(new PlaceBid(spec.bidId(), spec.bidder(), spec.ask(), spec.plan(), probe.getRef()));
    }
    round.runCommand(new PlaceBids(batch));
    return probes.stream().map(p -> p.expectMessageClass(Reply.class)).toList();
  }

  private Reply bid(String bidId, String meId, int ask) {
    return bids(new PlaceBidSpec(bidId, bidder(meId), ask, "plan of " + meId)).get(0);
  }

  record PlaceBidSpec(String bidId, Bidder bidder, int ask, String plan) {}

  private Reply command(java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<Reply>, Command> command) {
    TestProbe<Reply> reply = testKit.createTestProbe(Reply.class);
    round.runCommand(new Apply(command.apply(reply.getRef())));
    return reply.expectMessageClass(Reply.class);
  }

  private static void assertRejected(Reply reply, String code) {
    assertInstanceOf(Rejected.class, reply, String.valueOf(reply));
    assertEquals(code, ((Rejected) reply).code());
  }

  private void assertSurvivesRestart() {
    RoundState before = round.getState();
    round.restart();
    assertEquals(before, round.getState());
  }

  @Test
  void postingOpensTheRoundWithItsDeadline() {
    RoundState state = post(Mode.OPEN, false);
    assertEquals(Status.OPEN, state.status());
    assertEquals(START.plus(Duration.ofMinutes(10)), state.closesAt());
    assertEquals(List.of("round.posted"), published);
    assertSurvivesRestart();
  }

  @Test
  void onlyTheOwnerPostsAndARepeatedPostIsIdempotent() {
    TestProbe<Reply> reply = testKit.createTestProbe(Reply.class);
    round.runCommand(new Apply(new PostCall("emc-1", OWNER, call(Mode.OPEN, false), START.plusSeconds(600), "someone-else", reply.getRef())));
    assertRejected(reply.receiveMessage(), BiddingCodes.NOT_OWNER);
    RoundState first = post(Mode.OPEN, false);
    assertEquals(first, post(Mode.OPEN, false));
    TestProbe<Reply> other = testKit.createTestProbe(Reply.class);
    round.runCommand(new Apply(new PostCall("emc-2", OWNER, call(Mode.SEALED, false), START.plusSeconds(600), OWNER, other.getRef())));
    assertRejected(other.receiveMessage(), BiddingCodes.ROUND_EXISTS);
  }

  @Test
  void aBidAboveTheMaximumIsRejected() {
    post(Mode.SEALED, false);
    assertRejected(bid("b1", "me-a", 2_001), BiddingCodes.ASK_ABOVE_MAX);
    assertTrue(round.getState().bids().isEmpty());
  }

  @Test
  void inAnOpenRoundABidMustBeatTheBestByTheMinimumStep() {
    post(Mode.OPEN, false);
    BidAccepted first = (BidAccepted) bid("b1", "me-a", 1_800);
    assertEquals(1_800, first.round().bestAskBps());
    assertRejected(bid("b2", "me-b", 1_750), BiddingCodes.ASK_NOT_BETTER);
    BidAccepted better = (BidAccepted) bid("b3", "me-b", 1_700);
    assertEquals(1_700, better.round().bestAskBps());
    assertEquals(2, better.round().bidCount());
    assertSurvivesRestart();
  }

  @Test
  void inASealedRoundNoStepRuleAppliesAndTheBestAskIsHidden() {
    post(Mode.SEALED, false);
    BidAccepted a = (BidAccepted) bid("b1", "me-a", 1_500);
    BidAccepted b = (BidAccepted) bid("b2", "me-b", 1_950);
    assertNull(a.round().bestAskBps());
    assertNull(b.round().bestAskBps());
    assertEquals(2, b.round().bidCount());
  }

  @Test
  void aBidAtOrAfterTheDeadlineIsLate() {
    post(Mode.SEALED, false);
    clock.advance(Duration.ofMinutes(10));
    assertRejected(bid("b1", "me-a", 1_000), BiddingCodes.ROUND_CLOSED);
  }

  @Test
  void aBidAfterTheRoundClosedIsRejected() {
    post(Mode.SEALED, false);
    bid("b1", "me-a", 1_000);
    clock.advance(Duration.ofMinutes(11));
    round.runCommand(CloseDue.INSTANCE);
    assertEquals(Status.CLOSED, round.getState().status());
    clock.now = START; // even if a client's clock says otherwise: the round is closed
    assertRejected(bid("b2", "me-b", 900), BiddingCodes.ROUND_CLOSED);
  }

  @Test
  void aBidInTheLastMinutesOfAnOpenRoundExtendsTheDeadline() {
    post(Mode.OPEN, false);
    clock.advance(Duration.ofMinutes(7));
    bid("b1", "me-a", 1_900);
    assertEquals(START.plus(Duration.ofMinutes(10)), round.getState().closesAt(), "three minutes left: no extension");
    clock.advance(Duration.ofMinutes(2)); // one minute left
    BidAccepted late = (BidAccepted) bid("b2", "me-b", 1_800);
    assertEquals(clock.now.plus(Duration.ofMinutes(2)), late.round().closesAt());
    round.runCommand(CloseDue.INSTANCE);
    clock.advance(Duration.ofMinutes(1)); // the old deadline has passed
    round.runCommand(CloseDue.INSTANCE);
    assertEquals(Status.OPEN, round.getState().status(), "the extended deadline holds");
    assertSurvivesRestart();
  }

  @Test
  void theSameBidAgainGetsTheSameAnswerAndAnotherUnderItsIdIsRefused() {
    post(Mode.OPEN, false);
    BidAccepted first = (BidAccepted) bid("b1", "me-a", 1_800);
    BidAccepted again = (BidAccepted) bid("b1", "me-a", 1_800);
    assertEquals(first.bid(), again.bid());
    assertEquals(1, round.getState().bids().size());
    assertRejected(bid("b1", "me-a", 1_700), BiddingCodes.BID_CONFLICT);
    assertRejected(bid("b1", "me-z", 1_800), BiddingCodes.BID_CONFLICT);
  }

  @Test
  void aNewBidOfTheSameMeReplacesItsLastOne() {
    post(Mode.OPEN, false);
    bid("b1", "me-a", 1_800);
    bid("b2", "me-a", 1_600);
    RoundState state = round.getState();
    assertEquals(BidStatus.SUPERSEDED, state.bids().get("b1").status());
    assertEquals(BidStatus.ACTIVE, state.bids().get("b2").status());
    assertEquals(1, state.activeBids().size());
    assertSurvivesRestart();
  }

  @Test
  void bidsArrivingTogetherAreCheckedInOrderAndWrittenAsOneEvent() {
    post(Mode.OPEN, false);
    List<Reply> replies =
        bids(
            new PlaceBidSpec("b1", bidder("me-a"), 1_900, "a"),
            new PlaceBidSpec("b2", bidder("me-b"), 1_850, "b"), // not 100 better than 1 900
            new PlaceBidSpec("b3", bidder("me-c"), 1_700, "c"),
            new PlaceBidSpec("b3", bidder("me-c"), 1_700, "c")); // the same bid twice in the batch
    assertInstanceOf(BidAccepted.class, replies.get(0));
    assertRejected(replies.get(1), BiddingCodes.ASK_NOT_BETTER);
    assertEquals(((BidAccepted) replies.get(2)).bid(), ((BidAccepted) replies.get(3)).bid());
    assertEquals(2, round.getState().activeBids().size());
    assertEquals(2, round.getState().version(), "posted, then one event for the batch");
    assertSurvivesRestart();
  }

  @Test
  void bidderWithoutTheCapabilityOrRatingOrAlreadyAMemberIsNotEligible() {
    post(Mode.SEALED, false);
    assertRejected(
        bids(new PlaceBidSpec("b1", new Bidder("me-a", List.of("marketing"), 500, List.of()), 1_000, "")).get(0),
        BiddingCodes.NOT_ELIGIBLE);
    assertRejected(
        bids(new PlaceBidSpec("b2", new Bidder("me-b", List.of("iot-programming"), 200, List.of()), 1_000, "")).get(0),
        BiddingCodes.NOT_ELIGIBLE);
    assertRejected(
        bids(new PlaceBidSpec("b3", new Bidder("me-c", List.of("iot-programming"), 500, List.of("emc-1")), 1_000, "")).get(0),
        BiddingCodes.NOT_ELIGIBLE);
    assertRejected(
        bids(new PlaceBidSpec("b4", new Bidder(OWNER, List.of("iot-programming"), 900, List.of()), 1_000, "")).get(0),
        BiddingCodes.NOT_ELIGIBLE);
    assertTrue(round.getState().bids().isEmpty());
  }

  @Test
  void aBidderWithdrawsItsBidWhileTheRoundIsOpen() {
    post(Mode.OPEN, false);
    bid("b1", "me-a", 1_800);
    bid("b2", "me-b", 1_600);
    assertRejected(command(r -> new WithdrawBid("b2", "me-a", r)), BiddingCodes.NOT_BIDDER);
    Accepted withdrawn = (Accepted) command(r -> new WithdrawBid("b2", "me-b", r));
    assertEquals(BidStatus.WITHDRAWN, withdrawn.round().bids().get("b2").status());
    assertEquals(1_800, withdrawn.round().summary().bestAskBps());
    assertSurvivesRestart();
    clock.advance(Duration.ofMinutes(10));
    assertRejected(command(r -> new WithdrawBid("b1", "me-a", r)), BiddingCodes.ROUND_CLOSED);
  }

  @Test
  void aRoundWhoseDeadlinePassedWhileItWasDownClosesItselfOnRecovery() {
    post(Mode.SEALED, true);
    bid("b1", "me-a", 1_800);
    clock.advance(Duration.ofHours(1)); // the node was down over the deadline
    round.restart();
    // the timer re-armed on recovery fires at once; the inbox hears of the close
    Instant deadline = Instant.now().plusSeconds(10);
    Status seen = null;
    while (seen != Status.AWARDED && Instant.now().isBefore(deadline)) {
      Command heard = inbox.receiveMessage(Duration.ofSeconds(10));
      if (heard instanceof Written w) {
        seen = w.state().status();
      }
    }
    assertEquals(Status.AWARDED, seen);
    assertEquals("b1", round.getState().awardedBidId());
  }

  @Test
  void onlyTheOwnerAwardsAndOnlyAfterTheClose() {
    post(Mode.SEALED, false);
    bid("b1", "me-a", 1_800);
    bid("b2", "me-b", 1_600);
    assertRejected(command(r -> new AwardBid("b1", OWNER, r)), BiddingCodes.ROUND_OPEN);
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    assertEquals(Status.CLOSED, round.getState().status());
    assertRejected(command(r -> new AwardBid("b1", "me-b", r)), BiddingCodes.NOT_OWNER);
    Accepted awarded = (Accepted) command(r -> new AwardBid("b1", OWNER, r)); // not the best: the owner's choice
    assertEquals(Status.AWARDED, awarded.round().status());
    assertEquals("award-" + roundId, awarded.round().invitationId());
    assertEquals(BidStatus.AWARDED, awarded.round().bids().get("b1").status());
    assertEquals(awarded, command(r -> new AwardBid("b1", OWNER, r)), "awarding again is idempotent");
    assertRejected(command(r -> new AwardBid("b2", OWNER, r)), BiddingCodes.ROUND_FINISHED);
    assertSurvivesRestart();
  }

  @Test
  void afterAnAwardBidCountAndBestAskStillCountTheWinningBid() {
    post(Mode.SEALED, false);
    bid("b1", "me-a", 1_800);
    bid("b2", "me-b", 1_600);
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    Accepted awarded = (Accepted) command(r -> new AwardBid("b2", OWNER, r));
    // as docs/API.md says: the winner stands, so the numbers are those of the close (and of the directory)
    assertEquals(2, awarded.round().summary().bidCount());
    assertEquals(1_600, awarded.round().summary().bestAskBps());
    assertSurvivesRestart();
    assertEquals(2, round.getState().summary().bidCount());
  }

  @Test
  void autoAwardWeighsTheAskByTheBiddersRating() {
    post(Mode.SEALED, true);
    bids(
        new PlaceBidSpec("late-equal", new Bidder("me-b", List.of("iot-programming"), 500, List.of()), 1_500, ""),
        new PlaceBidSpec("rated", new Bidder("me-c", List.of("iot-programming"), 900, List.of()), 1_900, ""));
    // me-a's ask equals me-b's with the same rating, but comes later
    bid("later", "me-a", 1_500);
    // scores: 1500*(1500-500)=1.5M for both equal asks; 1900*(1500-900)=1.14M for the rated bidder
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    RoundState state = round.getState();
    assertEquals(Status.AWARDED, state.status());
    assertEquals("rated", state.awardedBidId());
    assertSurvivesRestart();
  }

  @Test
  void autoAwardTiesGoToTheEarliestBid() {
    post(Mode.SEALED, true);
    bid("first", "me-b", 1_500);
    bid("second", "me-a", 1_500);
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    assertEquals("first", round.getState().awardedBidId());
  }

  @Test
  void aRoundWithoutBidsClosesUnsuccessful() {
    post(Mode.OPEN, true);
    round.runCommand(CloseDue.INSTANCE);
    assertEquals(Status.OPEN, round.getState().status(), "not before its deadline");
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    assertEquals(Status.UNSUCCESSFUL, round.getState().status());
    assertTrue(published.contains("round.closed"));
    assertSurvivesRestart();
  }

  @Test
  void theOwnerCancelsAnOpenRound() {
    post(Mode.OPEN, false);
    bid("b1", "me-a", 1_800);
    assertRejected(command(r -> new CancelRound("me-a", r)), BiddingCodes.NOT_OWNER);
    Accepted cancelled = (Accepted) command(r -> new CancelRound(OWNER, r));
    assertEquals(Status.CANCELLED, cancelled.round().status());
    assertRejected(bid("b2", "me-b", 1_000), BiddingCodes.ROUND_CLOSED);
    assertSurvivesRestart();
  }

  @Test
  void aRoundHoldsAtMostItsMaximumOfBids() {
    post(Mode.SEALED, false);
    for (int i = 0; i < 50; i++) {
      assertInstanceOf(BidAccepted.class, bid("b" + i, "me-" + i, 1_000));
    }
    assertRejected(bid("b50", "me-50", 1_000), BiddingCodes.ROUND_FULL);
  }

  @Test
  void snapshotsAndEventsRecoverTheSameState() {
    post(Mode.OPEN, true);
    for (int i = 0; i < 7; i++) {
      bid("b" + i, "me-" + i, 1_900 - 100 * i);
    }
    command(r -> new WithdrawBid("b6", "me-6", r));
    assertSurvivesRestart();
    clock.advance(Duration.ofMinutes(10));
    round.runCommand(CloseDue.INSTANCE);
    assertEquals("b5", round.getState().awardedBidId());
    assertSurvivesRestart();
  }
}
