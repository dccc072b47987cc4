package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The EMC's money rules: splits by the seats of the moment, periods, targets, at risk, replacement. */
@Tag("unit")
class EmcRevenueEntityTest {
  private static final Instant START = Instant.parse("2026-01-05T09:00:00Z");
  private static final String OWNER = "laundry";
  private static final String WASHERS = "washers";
  private static final String DRYERS = "dryers";
  private static final Terms THIRTY_PERCENT = new Terms(3_000, new Target(Metric.REVENUE, 1_000), 3);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static ActorTestKit testKit;

  private final TestClock clock = new TestClock(START);
  private EventSourcedBehaviorTestKit<Command, Event, EmcState> emc;

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newEntity() {
    clock.now = START;
    emc = EmcEntityFixture.entity(testKit, "emc-r-" + IDS.incrementAndGet(), EmcEntityFixture.settings(100, 5), (event, state) -> {}, clock);
    EmcEntityFixture.start(emc);
    EmcEntityFixture.join(emc, "i1", WASHERS, "washers", THIRTY_PERCENT);
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return emc.runCommand(command);
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> revenue(String id, long amount, Instant earnedAt) {
    return run(r -> new RecordRevenue(id, amount, "EUR", "laundry-cycle", earnedAt, 1, null, null, OWNER, r));
  }

  @Test
  void revenueEarnedBeforeAMemberLeftIsSplitByTheSeatsOfThatMoment() {
    Instant beforeLeaving = clock.now;
    clock.advance(Duration.ofHours(1));
    run(r -> new RemoveMember(WASHERS, OWNER, r)).replyOfType(Accepted.class);
    clock.advance(Duration.ofHours(1));
    var result = revenue("r-1", 1_000, beforeLeaving);
    RevenueShared shared = (RevenueShared) result.event();
    assertEquals(List.of(700L, 300L), shared.parts().stream().map(RevenueSplit.Part::amountMinor).toList());
    var now = (RevenueShared) revenue("r-2", 1_000, null).event();
    assertEquals(List.of(1_000L), now.parts().stream().map(RevenueSplit.Part::amountMinor).toList());
    emc.restart();
    assertTrue(emc.getState().accounts().revenues().containsKey("r-1"));
  }

  @Test
  void aRetryIsAnsweredOnceAndOtherContentIsAConflict() {
    var first = revenue("r-1", 1_000, null);
    assertEquals(1, first.events().size());
    clock.advance(Duration.ofMinutes(1));
    var again = revenue("r-1", 1_000, null);
    assertTrue(again.hasNoEvents());
    assertEquals(first.replyOfType(Accepted.class).emc().accounts().revenues().get("r-1"), again.replyOfType(Accepted.class).emc().accounts().revenues().get("r-1"));
    assertEquals(EmcCodes.REVENUE_CONFLICT, revenue("r-1", 999, null).replyOfType(Rejected.class).code());
    assertEquals(
        EmcCodes.CURRENCY_MISMATCH,
        run(r -> new RecordRevenue("r-9", 5, "USD", "x", null, 0, null, null, OWNER, r)).replyOfType(Rejected.class).code());
    clock.advance(Duration.ofDays(120));
    assertEquals(EmcCodes.REVENUE_TOO_OLD, revenue("r-8", 5, clock.now.minus(Duration.ofDays(91))).replyOfType(Rejected.class).code());
    assertEquals(EmcCodes.REVENUE_CONFLICT, revenue("r-1", 999, null).replyOfType(Rejected.class).code());
  }

  @Test
  void threeMissedPeriodsFlagAtRiskAndTheWinnerOfAReplacementTakesTheSeat() {
    // January: 300 of 1 000 earned; February: nothing; March: 600. Each missed.
    revenue("r-jan", 1_000, null);
    clock.now = Instant.parse("2026-02-10T00:00:00Z");
    assertEquals(EmcCodes.PERIOD_NOT_CLOSABLE, run(r -> new ClosePeriod("2026-02", OWNER, r)).replyOfType(Rejected.class).code());
    PeriodClosed january = (PeriodClosed) run(r -> new ClosePeriod("2026-01", OWNER, r)).event();
    assertEquals(new TargetResult(WASHERS, 1, Metric.REVENUE, 1_000, 300, false, 1, false), january.results().get(0));
    assertEquals(EmcCodes.PERIOD_CLOSED, revenue("r-late", 10, Instant.parse("2026-01-20T00:00:00Z")).replyOfType(Rejected.class).code());
    clock.now = Instant.parse("2026-03-02T00:00:00Z");
    run(r -> new ClosePeriod("2026-02", OWNER, r)).replyOfType(Accepted.class);
    assertEquals(
        EmcCodes.NOT_AT_RISK,
        run(r -> new InviteMember("i2", DRYERS, Side.SOLUTION, "dryers", THIRTY_PERCENT, Duration.ofDays(7), OWNER, WASHERS, r))
            .replyOfType(Rejected.class)
            .code());
    revenue("r-mar", 2_000, null);
    clock.now = Instant.parse("2026-04-01T00:00:00Z");
    EmcState closed = run(r -> new ClosePeriod("2026-03", OWNER, r)).replyOfType(Accepted.class).emc();
    assertEquals(new Standing(3, true), closed.standing(WASHERS));
    emc.restart();
    assertEquals(new Standing(3, true), emc.getState().standing(WASHERS));
    // Nothing happens by itself: a help case opened, and the seat is not replaced while it is open...
    Terms better = new Terms(3_500, new Target(Metric.REVENUE, 1_000), 3);
    assertEquals(
        EmcCodes.HELP_OPEN,
        run(r -> new InviteMember("i2", DRYERS, Side.SOLUTION, "dryers", better, Duration.ofDays(7), OWNER, WASHERS, r))
            .replyOfType(Rejected.class)
            .code());
    // ...until the member agrees to leave; then the owner invites a replacement, the winner accepts.
    run(r -> new HelpCases.AgreeToLeave("case-1", WASHERS, r)).replyOfType(Accepted.class);
    run(r -> new InviteMember("i2", DRYERS, Side.SOLUTION, "dryers", better, Duration.ofDays(7), OWNER, WASHERS, r)).replyOfType(Accepted.class);
    var accepted = run(r -> new AcceptInvitation("i2", DRYERS, r));
    SeatReplaced replaced = (SeatReplaced) accepted.event();
    assertEquals(WASHERS, replaced.oldMeId());
    EmcState after = accepted.replyOfType(Accepted.class).emc();
    assertFalse(after.members().containsKey(WASHERS));
    assertEquals(3_500, after.members().get(DRYERS).shareBps());
    assertEquals(6_500, after.ownerShareBps());
    emc.restart();
    assertEquals(after, emc.getState());
  }
}
