package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
import io.rendan.emc.RemovalNotice.*;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.*;
import java.time.Duration;
import java.time.Instant;
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

/**
 * Removal with notice, one rule per test: the owner's removal is stored at once
 * as scheduled, survives a restart, is cancelled by the owner, and when due the
 * member leaves with the same event as an immediate removal.
 */
@Tag("unit")
class RemovalNoticeEntityTest {
  private static final Instant START = Instant.parse("2026-01-05T09:00:00Z");
  private static final String OWNER = "laundry";
  private static final String WASHERS = "washers";
  private static final Duration NOTICE = Duration.ofDays(30);
  private static final AtomicInteger IDS = new AtomicInteger();
  private static ActorTestKit testKit;

  private final TestClock clock = new TestClock(START);
  /** What the entity told members on {@code me/{meId}}: "meId event". */
  private final java.util.List<String> toMembers = new java.util.concurrent.CopyOnWriteArrayList<>();
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
    emc =
        EmcEntityFixture.entity(
            testKit,
            "emc-r-" + IDS.incrementAndGet(),
            EmcEntityFixture.settings(100, 6),
            new EmcEntity.ChangePublisher() {
              @Override
              public void published(String event, EmcState state) {}

              @Override
              public void toMember(String meId, String event, EmcState state) {
                toMembers.add(meId + " " + event);
              }
            },
            clock);
    EmcEntityFixture.start(emc);
    EmcEntityFixture.join(emc, "i1", WASHERS, "washers", new Terms(3_000, new Target(Metric.REVENUE, 0), 3));
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return emc.runCommand(command);
  }

  private RemovalScheduled schedule() {
    return (RemovalScheduled) run(r -> new ScheduleRemoval(WASHERS, NOTICE, 2, 1, OWNER, r)).event();
  }

  @Test
  void theOwnersRemovalIsScheduledAtOnceWithTheCharterVersionsAndSurvivesARestart() {
    RemovalScheduled scheduled = schedule();
    assertEquals(new Scheduled(WASHERS, OWNER, START.plus(NOTICE), 2, 1, START), scheduled.removal());
    assertTrue(emc.getState().members().containsKey(WASHERS), "still a member during the notice");
    assertTrue(run(r -> new ScheduleRemoval(WASHERS, Duration.ofDays(1), 2, 1, OWNER, r)).hasNoEvents(), "a repeat: the first notice stands");
    assertEquals(EmcCodes.NOT_OWNER, run(r -> new ScheduleRemoval(WASHERS, NOTICE, 2, 1, WASHERS, r)).replyOfType(Rejected.class).code());
    assertEquals(EmcCodes.OWNER_CANNOT_LEAVE, run(r -> new ScheduleRemoval(OWNER, NOTICE, 2, 1, OWNER, r)).replyOfType(Rejected.class).code());
    EmcState before = emc.getState();
    emc.restart();
    assertEquals(before, emc.getState());
    assertEquals(START.plus(NOTICE), emc.getState().removals().get(WASHERS).effectiveAt());
  }

  @Test
  void theMemberIsToldAtOnceOfItsScheduledRemovalAndOfItsCancellation() {
    schedule();
    assertEquals(java.util.List.of(WASHERS + " emc.removal-scheduled"), toMembers);
    run(r -> new ScheduleRemoval(WASHERS, NOTICE, 2, 1, OWNER, r));
    assertEquals(1, toMembers.size(), "a repeat changes nothing and tells nothing");
    run(r -> new CancelRemoval(WASHERS, OWNER, r)).replyOfType(Accepted.class);
    assertEquals(java.util.List.of(WASHERS + " emc.removal-scheduled", WASHERS + " emc.removal-cancelled"), toMembers);
  }

  @Test
  void beforeItIsDueNothingHappensThenTheMemberIsRemovedAsAnImmediateRemovalWould() {
    schedule();
    clock.now = START.plus(NOTICE).minusSeconds(1);
    assertTrue(emc.runCommand(RemovalsDue.INSTANCE).hasNoEvents(), "not yet due");
    emc.restart();
    clock.now = START.plus(NOTICE);
    var removed = emc.runCommand(RemovalsDue.INSTANCE);
    assertEquals(new MemberLeft(emc.getState().emcId(), WASHERS, true, START.plus(NOTICE)), removed.event());
    assertFalse(emc.getState().members().containsKey(WASHERS));
    assertTrue(emc.getState().removals().isEmpty(), "done: nothing scheduled any more");
    assertTrue(emc.runCommand(RemovalsDue.INSTANCE).hasNoEvents(), "only once");
    EmcState before = emc.getState();
    emc.restart();
    assertEquals(before, emc.getState());
  }

  @Test
  void aRestartAfterTheDueTimeRemovesOnItsOwnTimer() {
    schedule();
    clock.now = START.plus(NOTICE).plusSeconds(60);
    emc.restart(); // recovery re-arms the timer: due already, it fires at once
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertFalse(emc.getState().members().containsKey(WASHERS));
      return null;
    });
    assertTrue(emc.getState().removals().isEmpty());
  }

  @Test
  void theOwnerCancelsAndTheMemberStays() {
    schedule();
    assertEquals(EmcCodes.NOT_OWNER, run(r -> new CancelRemoval(WASHERS, WASHERS, r)).replyOfType(Rejected.class).code());
    RemovalCancelled cancelled = (RemovalCancelled) run(r -> new CancelRemoval(WASHERS, OWNER, r)).event();
    assertEquals(WASHERS, cancelled.meId());
    assertEquals(EmcCodes.REMOVAL_NOT_SCHEDULED, run(r -> new CancelRemoval(WASHERS, OWNER, r)).replyOfType(Rejected.class).code());
    emc.restart();
    clock.now = START.plus(NOTICE).plusSeconds(1);
    assertTrue(emc.runCommand(RemovalsDue.INSTANCE).hasNoEvents());
    assertTrue(emc.getState().members().containsKey(WASHERS));
    assertTrue(emc.getState().removals().isEmpty());
  }

  @Test
  void aMemberThatLeavesMeanwhileEndsItsScheduledRemoval() {
    schedule();
    run(r -> new RemoveMember(WASHERS, WASHERS, r)).replyOfType(Accepted.class);
    assertTrue(emc.getState().removals().isEmpty());
    emc.restart();
    assertTrue(emc.getState().removals().isEmpty());
  }
}
