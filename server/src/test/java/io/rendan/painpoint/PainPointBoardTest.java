package io.rendan.painpoint;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import io.rendan.painpoint.PainPointEvents.Event;
import io.rendan.painpoint.PainPointEvents.PainPointPosted;
import io.rendan.painpoint.PainPointEvents.PainPointTriaged;
import io.rendan.painpoint.PainPointEvents.PainPointVoted;
import io.rendan.painpoint.PainPointProtocol.Accepted;
import io.rendan.painpoint.PainPointProtocol.Action;
import io.rendan.painpoint.PainPointProtocol.Command;
import io.rendan.painpoint.PainPointProtocol.Rejected;
import io.rendan.painpoint.PainPointProtocol.Reply;
import io.rendan.painpoint.PainPointState.Status;
import io.rendan.painpoint.PainPointState;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of a pain-point board. Commands, replies, events and states
 * go through the serializers bound in application.conf and must come back equal.
 */
@Tag("unit")
class PainPointBoardTest {
  private static final Instant DEC = Instant.parse("2026-12-07T10:00:00Z");
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final PainPointBoard.Settings SETTINGS =
      new PainPointBoard.Settings(2, 3, 4, 3, 100, Duration.ofMillis(200), Duration.ofSeconds(10));

  private static ActorTestKit testKit;

  private final TestClock clock = new TestClock(DEC);
  private final List<String> published = new CopyOnWriteArrayList<>();
  private String emcId;
  private EventSourcedBehaviorTestKit<Command, Event, PainPointState> board;

  @BeforeAll
  static void start() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private void newBoard() {
    emcId = "emc-" + IDS.incrementAndGet();
    board =
        EntityTestKit.entity(
            testKit,
            PainPointBoard.create(emcId, SETTINGS, (event, state, id) -> published.add(event + " " + id + " " + state.version()), clock));
  }

  private CommandResultWithReply<Command, Event, PainPointState, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return board.runCommand(command);
  }

  private CommandResultWithReply<Command, Event, PainPointState, Reply> post(String id, String subject) {
    return run(r -> new PainPointProtocol.PostPainPoint(id, "text of " + id, "washers", null, subject, false, r));
  }

  private CommandResultWithReply<Command, Event, PainPointState, Reply> vote(String id, String subject) {
    return run(r -> new PainPointProtocol.VotePainPoint(id, subject, r));
  }

  private CommandResultWithReply<Command, Event, PainPointState, Reply> triage(String id, Action action, String into, String reason) {
    return run(r -> new PainPointProtocol.TriagePainPoint(id, action, "dorm-laundry", into, reason, r));
  }

  private static void assertRejected(CommandResultWithReply<Command, Event, PainPointState, Reply> result, String code) {
    assertEquals(code, result.replyOfType(Rejected.class).code());
    assertTrue(result.hasNoEvents(), "a rejection stores nothing");
  }

  @Test
  void aPostIsStoredThenPushedAndSurvivesARestart() {
    newBoard();
    var posted = post("pp-1", "student-1");
    assertEquals(
        new PainPointPosted(emcId, "pp-1", "text of pp-1", "washers", null, "student-1", false, "2026-12", DEC), posted.event());
    Accepted accepted = posted.replyOfType(Accepted.class);
    assertTrue(accepted.changed());
    assertEquals(Status.OPEN, accepted.board().painPoints().get("pp-1").status());
    assertEquals(List.of("painpoint.posted pp-1 1"), published);
    PainPointState before = board.getState();
    assertEquals(before, board.restart().state());
    assertEquals(1, board.getState().quota("student-1", "2026-12").posts());
  }

  @Test
  void theSamePostAgainIsAnsweredAgainAndOtherContentUnderItsIdConflicts() {
    newBoard();
    post("pp-1", "student-1");
    var again = post("pp-1", "student-1");
    assertTrue(again.hasNoEvents());
    assertFalse(again.replyOfType(Accepted.class).changed());
    assertRejected(post("pp-1", "student-2"), PainPointCodes.EXISTS);
  }

  @Test
  void aUserPostsAtMostTheLimitInAPeriodTheSystemWithoutOneAndTheBoardHoldsItsMost() {
    newBoard();
    post("pp-1", "student-1");
    post("pp-2", "student-1");
    assertRejected(post("pp-3", "student-1"), PainPointCodes.POSTS_LIMIT);
    post("pp-3", "student-2"); // another user's limit is its own
    // the system's posts count against nobody
    var bySystem = run(r -> new PainPointProtocol.PostPainPoint("pp-4", "Dryer faults", "appliance-faults", "dryer-2", PainPointBoard.SYSTEM, true, r));
    assertTrue(((PainPointPosted) bySystem.event()).bySystem());
    clock.set(Instant.parse("2027-01-01T00:00:01Z"));
    assertRejected(post("pp-5", "student-1"), PainPointCodes.BOARD_FULL);
  }

  @Test
  void aNewPeriodStartsTheLimitsAgain() {
    newBoard();
    post("pp-1", "student-1");
    post("pp-2", "student-1");
    clock.set(Instant.parse("2027-01-01T00:00:01Z"));
    var january = post("pp-3", "student-1");
    assertEquals("2027-01", ((PainPointPosted) january.event()).period());
    PainPointState state = board.restart().state();
    assertEquals(1, state.quota("student-1", "2027-01").posts());
    assertFalse(state.quotas().values().stream().anyMatch(q -> q.period().equals("2026-12")), "counts of a past period are dropped");
  }

  @Test
  void aUserVotesOnceAndAtMostTheLimitInAPeriod() {
    newBoard();
    post("pp-1", "student-1");
    post("pp-2", "student-1");
    post("pp-3", "student-2");
    post("pp-4", "student-2");
    assertEquals(new PainPointVoted(emcId, "pp-1", "voter", "2026-12", DEC), vote("pp-1", "voter").event());
    var twice = vote("pp-1", "voter");
    assertTrue(twice.hasNoEvents(), "a second vote of the same user changes nothing");
    vote("pp-2", "voter");
    vote("pp-3", "voter");
    assertRejected(vote("pp-4", "voter"), PainPointCodes.VOTES_LIMIT);
    assertRejected(vote("nope", "voter"), PainPointCodes.NOT_FOUND);
    assertEquals(List.of("voter"), board.restart().state().painPoints().get("pp-1").voters());
  }

  @Test
  void aPainPointCountsAtMostMaxVoters() {
    newBoard();
    post("pp-1", "student-1");
    vote("pp-1", "a");
    vote("pp-1", "b");
    vote("pp-1", "c");
    assertRejected(vote("pp-1", "d"), PainPointCodes.VOTES_FULL);
  }

  @Test
  void aMergeMovesTheVotesIntoTheOtherAndClosesTheMergedOne() {
    newBoard();
    post("pp-1", "student-1");
    post("pp-2", "student-2");
    vote("pp-1", "a");
    vote("pp-2", "a");
    vote("pp-2", "b");
    var merged = triage("pp-2", Action.MERGE, "pp-1", null);
    assertEquals(new PainPointTriaged(emcId, "pp-2", Action.MERGE, "dorm-laundry", "pp-1", null, DEC), merged.event());
    PainPointState state = board.restart().state();
    assertEquals(List.of("a", "b"), state.painPoints().get("pp-1").voters(), "voters united, each once");
    assertEquals(List.of("pp-2"), state.painPoints().get("pp-1").mergedFrom());
    assertEquals(Status.MERGED, state.painPoints().get("pp-2").status());
    assertEquals("pp-1", state.painPoints().get("pp-2").mergedInto());
    assertRejected(vote("pp-2", "c"), PainPointCodes.CLOSED);
    assertRejected(triage("pp-1", Action.MERGE, "pp-2", null), PainPointCodes.MERGE_INVALID);
    assertRejected(triage("pp-1", Action.MERGE, "pp-1", null), PainPointCodes.MERGE_INVALID);
    assertRejected(triage("pp-1", Action.MERGE, "pp-9", null), PainPointCodes.NOT_FOUND);
  }

  @Test
  void aPainPointInACallIsResolvedOnceWhenItsAwardedMemberJoins() {
    newBoard();
    post("pp-1", "student-1");
    post("pp-2", "student-1");
    triage("pp-2", Action.DECLINE, null, "no");
    var opened = run(r -> new PainPointProtocol.OpenCall("pp-1", "round-1", r));
    assertEquals(new PainPointEvents.PainPointCallOpened(emcId, "pp-1", "round-1", DEC), opened.event());
    assertTrue(run(r -> new PainPointProtocol.OpenCall("pp-1", "round-1", r)).hasNoEvents(), "the same call again changes nothing");
    assertRejected(run(r -> new PainPointProtocol.OpenCall("pp-1", "round-2", r)), PainPointCodes.CLOSED);
    assertRejected(run(r -> new PainPointProtocol.OpenCall("pp-2", "round-3", r)), PainPointCodes.CLOSED);
    assertEquals(Status.IN_CALL, board.restart().state().painPoints().get("pp-1").status());
    // another round's award resolves nothing
    assertTrue(run(r -> new PainPointProtocol.ResolveByRound("round-9", "someone", r)).hasNoEvents());
    var resolved = run(r -> new PainPointProtocol.ResolveByRound("round-1", "sock-savers", r));
    assertEquals(new PainPointEvents.PainPointResolved(emcId, "pp-1", "round-1", "sock-savers", DEC), resolved.event());
    assertTrue(run(r -> new PainPointProtocol.ResolveByRound("round-1", "sock-savers", r)).hasNoEvents(), "delivered again: resolved once");
    PainPointState state = board.restart().state();
    assertEquals(Status.RESOLVED, state.painPoints().get("pp-1").status());
    assertEquals("sock-savers", state.painPoints().get("pp-1").resolvedByMeId());
    assertEquals("round-1", state.painPoints().get("pp-1").roundId());
  }

  @Test
  void aDeclineKeepsItsReasonAndEndsThePainPoint() {
    newBoard();
    post("pp-1", "student-1");
    var acknowledged = triage("pp-1", Action.ACKNOWLEDGE, null, null);
    assertEquals(Status.ACKNOWLEDGED, acknowledged.state().painPoints().get("pp-1").status());
    assertTrue(triage("pp-1", Action.ACKNOWLEDGE, null, null).hasNoEvents(), "acknowledging again changes nothing");
    triage("pp-1", Action.DECLINE, null, "the landlord's plumbing");
    PainPointState state = board.restart().state();
    assertEquals(Status.DECLINED, state.painPoints().get("pp-1").status());
    assertEquals("the landlord's plumbing", state.painPoints().get("pp-1").reason());
    assertEquals("dorm-laundry", state.painPoints().get("pp-1").triagedByMeId());
    assertRejected(triage("pp-1", Action.ACKNOWLEDGE, null, null), PainPointCodes.CLOSED);
    assertRejected(triage("pp-1", Action.DECLINE, null, "again"), PainPointCodes.CLOSED);
    assertRejected(vote("pp-1", "a"), PainPointCodes.CLOSED);
  }

  private CommandResultWithReply<Command, Event, PainPointState, Reply> fault(String appliance, String code, long seq, int reports) {
    FaultRule rule = new FaultRule(3, Duration.ofHours(24));
    return run(r -> new PainPointProtocol.ReportFault(appliance, code, "drum stuck", seq, reports, rule.opens(reports), rule.windowText(), r));
  }

  @Test
  void repeatedFaultsOpenOneSystemPainPointPerApplianceAndCodeAndRepeatsAddToIt() {
    newBoard();
    assertTrue(fault("dryer-2", "E21", 4, 1).hasNoEvents(), "below the rule's count nothing opens");
    assertTrue(fault("dryer-2", "E21", 9, 2).hasNoEvents());
    var opened = fault("dryer-2", "E21", 12, 3);
    PainPointPosted posted = (PainPointPosted) opened.event();
    String id = PainPointRules.faultPainPointId("dryer-2", "E21", 12);
    assertEquals(
        new PainPointPosted(
            emcId, id, "Appliance dryer-2 reported fault E21 3 times within 24 hours: drum stuck", PainPointBoard.FAULT_CATEGORY, "dryer-2",
            PainPointBoard.SYSTEM, true, "2026-12", DEC, new PainPointEvents.FaultCount("E21", 12, 3)),
        posted);
    assertEquals(List.of("painpoint.posted " + id + " 1"), published);
    assertTrue(fault("dryer-2", "E21", 12, 3).hasNoEvents(), "the same report delivered again opens nothing more");
    // a repeat adds to the open one, whatever the window's count
    var repeated = fault("dryer-2", "E21", 15, 1);
    assertEquals(new PainPointEvents.PainPointFaultRepeated(emcId, id, 15, DEC), repeated.event());
    assertTrue(fault("dryer-2", "E21", 15, 1).hasNoEvents(), "a repeat delivered again is counted once");
    // another code or another appliance is another pain point
    assertFalse(fault("dryer-2", "E30", 16, 3).hasNoEvents());
    assertFalse(fault("washer-1", "E21", 3, 3).hasNoEvents());
    PainPointState state = board.restart().state();
    assertEquals(3, state.painPoints().size());
    assertEquals(new PainPointEvents.FaultCount("E21", 15, 4), state.painPoints().get(id).fault());
    assertEquals(0, state.quota(PainPointBoard.SYSTEM, "2026-12").posts(), "the system's posts count against no limit");
  }

  @Test
  void aFaultPainPointThatIsClosedIsFollowedByANewOneOnlyWhenTheRuleOpensIt() {
    newBoard();
    fault("dryer-2", "E21", 12, 3);
    String first = PainPointRules.faultPainPointId("dryer-2", "E21", 12);
    triage(first, Action.DECLINE, null, "fixed by the technician");
    assertTrue(fault("dryer-2", "E21", 12, 3).hasNoEvents(), "a report counted before a decline does not reopen");
    assertTrue(fault("dryer-2", "E21", 20, 2).hasNoEvents(), "a report after the decline does not add to a closed one");
    var reopened = fault("dryer-2", "E21", 25, 3);
    assertEquals(PainPointRules.faultPainPointId("dryer-2", "E21", 25), ((PainPointPosted) reopened.event()).painPointId());
    assertEquals(Status.DECLINED, board.restart().state().painPoints().get(first).status());
  }

  @Test
  void theFaultRuleCountsReportsWithinItsWindow() {
    FaultRule rule = new FaultRule(3, Duration.ofMinutes(90));
    assertFalse(rule.opens(2));
    assertTrue(rule.opens(3));
    assertTrue(rule.opens(4));
    assertEquals(DEC.minus(Duration.ofMinutes(90)), rule.windowStart(DEC));
    assertEquals("90 minutes", rule.windowText());
    assertEquals("1 hour", new FaultRule(1, Duration.ofHours(1)).windowText());
    FaultRule configured = FaultRule.from(ConfigFactory.parseResources("application.conf").resolve());
    assertEquals(new FaultRule(3, Duration.ofHours(24)), configured, "the documented default");
    assertThrows(IllegalArgumentException.class, () -> new FaultRule(0, Duration.ofHours(1)));
    assertThrows(IllegalArgumentException.class, () -> new FaultRule(2, Duration.ZERO));
  }
}
