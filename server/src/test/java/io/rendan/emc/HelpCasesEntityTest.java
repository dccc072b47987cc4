package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.*;
import io.rendan.emc.HelpCases.*;
import io.rendan.http.ErrorCodes;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Help before replacement, one rule per test: a member flagged at risk gets a
 * case, members pledge, the helped member answers, the helper delivers, an
 * advance is repaid from later credits, the case recovers or fails, and only a
 * failed case (or the member's agreement to leave) lets its seat be replaced.
 * Each test checks the events and the state after a restart.
 */
@Tag("unit")
class HelpCasesEntityTest {
  private static final Instant START = Instant.parse("2026-01-05T09:00:00Z");
  private static final String OWNER = "laundry";
  private static final String WASHERS = "washers";
  private static final String DRYERS = "dryers";
  private static final String FIXERS = "fixers";
  /** At risk after one missed period, so that January's close flags it. */
  private static final Terms WASHER_TERMS = new Terms(3_000, new Target(Metric.REVENUE, 1_000), 1);
  private static final Terms DRYER_TERMS = new Terms(2_000, new Target(Metric.REVENUE, 0), 3);
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
    emc = EmcEntityFixture.entity(testKit, "emc-h-" + IDS.incrementAndGet(), EmcEntityFixture.settings(100, 6), (event, state) -> {}, clock);
    EmcEntityFixture.start(emc);
    join("i1", WASHERS, WASHER_TERMS);
    join("i2", DRYERS, DRYER_TERMS);
  }

  private void join(String invitationId, String meId, Terms terms) {
    EmcEntityFixture.join(emc, invitationId, meId, meId, terms);
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return emc.runCommand(command);
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> revenue(String id, long amount) {
    return run(r -> new RecordRevenue(id, amount, "EUR", "laundry-cycle", null, 1, null, null, OWNER, r));
  }

  /** Closes January (washers earned nothing): washers is flagged at risk and case-1 opens. */
  private CommandResultWithReply<Command, Event, EmcState, Reply> closeJanuary() {
    clock.now = Instant.parse("2026-02-02T00:00:00Z");
    return run(r -> new ClosePeriod("2026-01", OWNER, r));
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> pledge(String pledgeId, String helper, Kind kind, long amount, int repayBps) {
    return run(r -> new PledgeHelp("case-1", pledgeId, kind, "help " + pledgeId, amount, repayBps, helper, r));
  }

  private Rejected refused(CommandResultWithReply<Command, Event, EmcState, Reply> result) {
    assertTrue(result.hasNoEvents(), "a refusal stores nothing");
    return result.replyOfType(Rejected.class);
  }

  private void assertSameAfterRestart() {
    EmcState before = emc.getState();
    emc.restart();
    assertEquals(before, emc.getState());
  }

  @Test
  void aMemberFlaggedAtRiskGetsAHelpCaseWithWhatItIsShortOf() {
    var closed = closeJanuary();
    assertEquals(2, closed.events().size(), "the close and the case, stored together");
    assertInstanceOf(PeriodClosed.class, closed.events().get(0));
    HelpCaseOpened opened = (HelpCaseOpened) closed.events().get(1);
    assertEquals(new HelpCaseOpened(opened.emcId(), "case-1", WASHERS, 1, new Shortfall("2026-01", Metric.REVENUE, 1_000, 0), clock.now), opened);
    HelpCase c = closed.replyOfType(Accepted.class).emc().help().cases().get("case-1");
    assertEquals(CaseStatus.OPEN, c.status());
    assertEquals(1_000, c.shortfalls().get(0).shortBy());
    assertFalse(emc.getState().help().latestOf(DRYERS).isPresent(), "a member that met its target gets no case");
    assertSameAfterRestart();
  }

  @Test
  void whileTheCaseIsOpenTheSeatIsNotReplaced() {
    closeJanuary();
    Rejected refused =
        refused(run(r -> new InviteMember("i9", FIXERS, Side.SOLUTION, "washers", WASHER_TERMS, Duration.ofDays(7), OWNER, WASHERS, r)));
    assertEquals(EmcCodes.HELP_OPEN, refused.code());
    assertEquals(EmcCodes.HELP_OPEN, emc.getState().seatNotReplaceable(WASHERS).orElseThrow().code());
  }

  @Test
  void pledgesComeFromOtherMembersAndARepeatIsAnsweredOnce() {
    closeJanuary();
    assertEquals(EmcCodes.HELP_SELF, refused(pledge("p0", WASHERS, Kind.KNOWLEDGE, 0, 0)).code());
    assertEquals(EmcCodes.NOT_MEMBER, refused(pledge("p0", FIXERS, Kind.KNOWLEDGE, 0, 0)).code());
    assertEquals(ErrorCodes.REQUEST_INVALID, refused(pledge("p0", DRYERS, Kind.ADVANCE, 0, 0)).code());
    assertEquals(ErrorCodes.REQUEST_INVALID, refused(pledge("p0", DRYERS, Kind.STAFF, 10, 0)).code());
    assertEquals(
        EmcCodes.HELP_CASE_NOT_FOUND,
        refused(run(r -> new PledgeHelp("case-9", "p0", Kind.KNOWLEDGE, "x", 0, 0, DRYERS, r))).code());
    var first = pledge("p1", DRYERS, Kind.STAFF, 0, 0);
    HelpPledged pledged = (HelpPledged) first.event();
    assertEquals(WASHERS, pledged.helpedMeId());
    assertTrue(first.replyOfType(Accepted.class).created());
    var again = pledge("p1", DRYERS, Kind.STAFF, 0, 0);
    assertTrue(again.hasNoEvents());
    assertFalse(again.replyOfType(Accepted.class).created());
    assertEquals(EmcCodes.HELP_PLEDGE_CONFLICT, refused(pledge("p1", DRYERS, Kind.RESOURCES, 0, 0)).code());
    // the owner is a member too, and may help
    assertInstanceOf(HelpPledged.class, pledge("p2", OWNER, Kind.INTRODUCTION, 0, 0).event());
    assertEquals(PledgeStatus.PLEDGED, emc.getState().help().cases().get("case-1").pledges().get("p1").status());
    assertSameAfterRestart();
  }

  @Test
  void onlyTheHelpedMemberAnswersAndOnlyTheHelperDeliversAnAcceptedPledge() {
    closeJanuary();
    pledge("p1", DRYERS, Kind.KNOWLEDGE, 0, 0);
    pledge("p2", OWNER, Kind.STAFF, 0, 0);
    assertEquals(EmcCodes.HELP_NOT_HELPED, refused(run(r -> new AnswerPledge("case-1", "p1", true, DRYERS, r))).code());
    assertEquals(EmcCodes.HELP_PLEDGE_NOT_ACCEPTED, refused(run(r -> new DeliverHelp("case-1", "p1", DRYERS, r))).code());
    HelpPledgeAnswered accepted = (HelpPledgeAnswered) run(r -> new AnswerPledge("case-1", "p1", true, WASHERS, r)).event();
    assertTrue(accepted.accepted());
    assertTrue(run(r -> new AnswerPledge("case-1", "p1", true, WASHERS, r)).hasNoEvents(), "the same answer again");
    assertEquals(EmcCodes.HELP_PLEDGE_ANSWERED, refused(run(r -> new AnswerPledge("case-1", "p1", false, WASHERS, r))).code());
    run(r -> new AnswerPledge("case-1", "p2", false, WASHERS, r)).replyOfType(Accepted.class);
    assertEquals(EmcCodes.HELP_PLEDGE_NOT_ACCEPTED, refused(run(r -> new DeliverHelp("case-1", "p2", OWNER, r))).code());
    assertEquals(EmcCodes.HELP_NOT_HELPER, refused(run(r -> new DeliverHelp("case-1", "p1", OWNER, r))).code());
    HelpDelivered delivered = (HelpDelivered) run(r -> new DeliverHelp("case-1", "p1", DRYERS, r)).event();
    assertEquals(0, delivered.amountMinor(), "knowledge moves no money");
    assertTrue(run(r -> new DeliverHelp("case-1", "p1", DRYERS, r)).hasNoEvents());
    assertEquals(PledgeStatus.DELIVERED, emc.getState().help().cases().get("case-1").pledges().get("p1").status());
    assertEquals(PledgeStatus.DECLINED, emc.getState().help().cases().get("case-1").pledges().get("p2").status());
    assertSameAfterRestart();
  }

  @Test
  void anAdvanceIsRepaidFromLaterCreditsToTheMinorUnitAndNeverMore() {
    closeJanuary();
    pledge("adv", DRYERS, Kind.ADVANCE, 501, 0);
    run(r -> new AnswerPledge("case-1", "adv", true, WASHERS, r));
    HelpDelivered delivered = (HelpDelivered) run(r -> new DeliverHelp("case-1", "adv", DRYERS, r)).event();
    assertEquals(new HelpDelivered(delivered.emcId(), "case-1", "adv", DRYERS, WASHERS, Kind.ADVANCE, 501, "EUR", clock.now), delivered);
    // 1 001 at 30 %: washers' part is 300 (the minor unit of rounding goes to the owner's larger remainder); all of it repays
    var first = revenue("r-1", 1_001);
    assertEquals(2, first.events().size());
    RevenueShared shared = (RevenueShared) first.events().get(0);
    long part = shared.parts().stream().filter(p -> p.meId().equals(WASHERS)).findFirst().orElseThrow().amountMinor();
    AdvanceRepaid repaid = (AdvanceRepaid) first.events().get(1);
    assertEquals(part, repaid.amountMinor());
    assertEquals(new AdvanceRepaid(repaid.emcId(), "case-1", "adv", DRYERS, WASHERS, "r-1", part, "EUR", clock.now, clock.now), repaid);
    // the rest, exactly: never more than what is owed
    var second = revenue("r-2", 1_000);
    AdvanceRepaid rest = (AdvanceRepaid) second.events().get(1);
    assertEquals(501 - part, rest.amountMinor());
    assertEquals(1, revenue("r-3", 1_000).events().size(), "nothing is owed any more");
    Pledge adv = emc.getState().help().cases().get("case-1").pledges().get("adv");
    assertEquals(501, adv.repaidMinor());
    assertEquals(0, emc.getState().help().cases().get("case-1").outstanding());
    // a retried revenue repays nothing twice
    assertTrue(revenue("r-2", 1_000).hasNoEvents());
    // the target counts what the member earned, repayments included
    assertEquals(900, emc.getState().accounts().tallies().get("2026-02").revenue().get(WASHERS));
    assertSameAfterRestart();
  }

  @Test
  void anAdvanceRepaysAtItsRate() {
    closeJanuary();
    pledge("adv", DRYERS, Kind.ADVANCE, 1_000, 2_500);
    run(r -> new AnswerPledge("case-1", "adv", true, WASHERS, r));
    run(r -> new DeliverHelp("case-1", "adv", DRYERS, r));
    // washers' part of 1 000 is 300; a quarter of it, 75, repays
    assertEquals(75, ((AdvanceRepaid) revenue("r-1", 1_000).events().get(1)).amountMinor());
    assertEquals(925, emc.getState().help().cases().get("case-1").outstanding());
  }

  @Test
  void theCaseRecoversWhenTheMemberMeetsItsTargetAndItsSeatIsNotReplaced() {
    closeJanuary();
    pledge("p1", DRYERS, Kind.KNOWLEDGE, 0, 0);
    run(r -> new AnswerPledge("case-1", "p1", true, WASHERS, r));
    run(r -> new DeliverHelp("case-1", "p1", DRYERS, r));
    revenue("r-feb", 4_000); // washers earn 1 200 of a 1 000 target
    clock.now = Instant.parse("2026-03-02T00:00:00Z");
    var closed = run(r -> new ClosePeriod("2026-02", OWNER, r));
    HelpCaseClosed recovered = (HelpCaseClosed) closed.events().get(1);
    assertEquals(CaseStatus.RECOVERED, recovered.outcome());
    assertEquals(List.of(DRYERS), recovered.helperMeIds());
    HelpCase c = emc.getState().help().cases().get("case-1");
    assertEquals(2, c.shortfalls().size());
    assertEquals(0, c.shortfalls().get(1).shortBy());
    assertEquals(
        EmcCodes.NOT_AT_RISK,
        refused(run(r -> new InviteMember("i9", FIXERS, Side.SOLUTION, "washers", WASHER_TERMS, Duration.ofDays(7), OWNER, WASHERS, r))).code());
    assertEquals(EmcCodes.HELP_CASE_CLOSED, refused(pledge("p9", OWNER, Kind.STAFF, 0, 0)).code());
    assertSameAfterRestart();
  }

  @Test
  void theCaseFailsAfterItsHelpPeriodAndOnlyThenTheSeatMayBeReplaced() {
    closeJanuary();
    clock.now = Instant.parse("2026-03-02T00:00:00Z");
    var closed = run(r -> new ClosePeriod("2026-02", OWNER, r));
    HelpCaseClosed failed = (HelpCaseClosed) closed.events().get(1);
    assertEquals(CaseStatus.FAILED, failed.outcome());
    assertEquals(2, closed.events().size(), "a member still at risk gets no second case");
    emc.restart();
    run(r -> new InviteMember("i9", FIXERS, Side.SOLUTION, "washers", WASHER_TERMS, Duration.ofDays(7), OWNER, WASHERS, r)).replyOfType(Accepted.class);
    SeatReplaced replaced = (SeatReplaced) run(r -> new AcceptInvitation("i9", FIXERS, r)).event();
    assertEquals(WASHERS, replaced.oldMeId());
    assertEquals(CaseStatus.FAILED, emc.getState().help().cases().get("case-1").status(), "the failed case stays on record");
    assertSameAfterRestart();
  }

  @Test
  void theHelpPeriodIsAContractTerm() {
    Terms twoPeriods = new Terms(1_000, new Target(Metric.REVENUE, 1_000), 1, 2);
    join("i3", FIXERS, twoPeriods);
    var closed = closeJanuary();
    HelpCaseOpened fixersCase =
        closed.events().stream().filter(e -> e instanceof HelpCaseOpened o && o.meId().equals(FIXERS)).map(HelpCaseOpened.class::cast).findFirst().orElseThrow();
    assertEquals(2, fixersCase.helpPeriods());
    clock.now = Instant.parse("2026-03-02T00:00:00Z");
    run(r -> new ClosePeriod("2026-02", OWNER, r));
    assertEquals(CaseStatus.OPEN, emc.getState().help().cases().get(fixersCase.caseId()).status());
    assertEquals(CaseStatus.FAILED, emc.getState().help().latestOf(WASHERS).orElseThrow().status());
    clock.now = Instant.parse("2026-04-02T00:00:00Z");
    run(r -> new ClosePeriod("2026-03", OWNER, r));
    assertEquals(CaseStatus.FAILED, emc.getState().help().cases().get(fixersCase.caseId()).status());
    assertSameAfterRestart();
  }

  @Test
  void aCharterThatWaivesHelpFirstLetsTheSeatBeReplacedWhileTheCaseIsOpen() {
    closeJanuary();
    emc.restart();
    // the charter's replaceOnlyAfterFailedHelp = false comes with the command (EmcApi asks the charter in force)
    run(r -> new InviteMember("i9", FIXERS, Side.SOLUTION, "washers", WASHER_TERMS, Duration.ofDays(7), OWNER, WASHERS, false, false, r))
        .replyOfType(Accepted.class);
    assertEquals(EmcCodes.HELP_OPEN, refused(run(r -> new AcceptInvitation("i9", FIXERS, true, r))).code(), "with help first, still refused");
    SeatReplaced replaced = (SeatReplaced) run(r -> new AcceptInvitation("i9", FIXERS, false, r)).event();
    assertEquals(WASHERS, replaced.oldMeId());
    assertEquals(CaseStatus.ENDED, emc.getState().help().cases().get("case-1").status());
    assertTrue(emc.getState().seatNotReplaceable(FIXERS, false).isPresent(), "not at risk: the waiver waives the help case only");
    assertSameAfterRestart();
  }

  @Test
  void aMemberThatAgreesToLeaveMayBeReplacedBeforeTheCaseFails() {
    closeJanuary();
    assertEquals(EmcCodes.HELP_NOT_HELPED, refused(run(r -> new AgreeToLeave("case-1", OWNER, r))).code());
    LeaveAgreed agreed = (LeaveAgreed) run(r -> new AgreeToLeave("case-1", WASHERS, r)).event();
    assertEquals(WASHERS, agreed.meId());
    assertTrue(run(r -> new AgreeToLeave("case-1", WASHERS, r)).hasNoEvents());
    emc.restart();
    run(r -> new InviteMember("i9", FIXERS, Side.SOLUTION, "washers", WASHER_TERMS, Duration.ofDays(7), OWNER, WASHERS, r)).replyOfType(Accepted.class);
    run(r -> new AcceptInvitation("i9", FIXERS, r)).replyOfType(Accepted.class);
    assertEquals(CaseStatus.ENDED, emc.getState().help().cases().get("case-1").status());
    assertSameAfterRestart();
  }

  @Test
  void aCaseHoldsABoundedNumberOfPledges() {
    closeJanuary();
    for (int i = 0; i < HelpCases.MAX_PLEDGES_PER_CASE; i++) {
      String id = "p" + i;
      pledge(id, DRYERS, Kind.KNOWLEDGE, 0, 0).replyOfType(Accepted.class);
    }
    assertEquals(EmcCodes.HELP_TOO_MANY, refused(pledge("one-more", DRYERS, Kind.KNOWLEDGE, 0, 0)).code());
  }
}
