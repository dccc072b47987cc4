package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The gate that takes one EMC seat at a time: one holder, waiters in order, a lease, a bounded queue. */
@Tag("unit")
class NestingGateTest {
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void oneHolderAtATimeAndWaitersInTheOrderTheyCame() {
    ActorRef<NestingGate.Command> gate = testKit.spawn(NestingGate.behaviour(Duration.ofMinutes(1), 10));
    TestProbe<NestingGate.Answer> first = testKit.createTestProbe();
    TestProbe<NestingGate.Answer> second = testKit.createTestProbe();
    TestProbe<NestingGate.Answer> third = testKit.createTestProbe();
    gate.tell(new NestingGate.Acquire("a", first.ref()));
    assertTrue(first.receiveMessage().granted());
    gate.tell(new NestingGate.Acquire("b", second.ref()));
    gate.tell(new NestingGate.Acquire("c", third.ref()));
    second.expectNoMessage(Duration.ofMillis(200));
    // a waiter that gives up leaves the queue; a release by someone else's token changes nothing
    gate.tell(new NestingGate.Release("b"));
    gate.tell(new NestingGate.Release("nobody"));
    third.expectNoMessage(Duration.ofMillis(100));
    gate.tell(new NestingGate.Release("a"));
    assertEquals(new NestingGate.Answer("c", true), third.receiveMessage());
    second.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aHolderThatNeverReleasesLosesTheGateWhenItsLeaseRunsOut() {
    ActorRef<NestingGate.Command> gate = testKit.spawn(NestingGate.behaviour(Duration.ofMillis(300), 10));
    TestProbe<NestingGate.Answer> lost = testKit.createTestProbe();
    TestProbe<NestingGate.Answer> next = testKit.createTestProbe();
    gate.tell(new NestingGate.Acquire("dead", lost.ref()));
    assertTrue(lost.receiveMessage().granted());
    gate.tell(new NestingGate.Acquire("next", next.ref()));
    assertTrue(next.receiveMessage(Duration.ofSeconds(3)).granted());
  }

  @Test
  void aFullQueueIsRefusedAtOnce() {
    ActorRef<NestingGate.Command> gate = testKit.spawn(NestingGate.behaviour(Duration.ofMinutes(1), 1));
    TestProbe<NestingGate.Answer> probe = testKit.createTestProbe();
    gate.tell(new NestingGate.Acquire("holder", probe.ref()));
    assertTrue(probe.receiveMessage().granted());
    gate.tell(new NestingGate.Acquire("waiter", probe.ref()));
    gate.tell(new NestingGate.Acquire("one-too-many", probe.ref()));
    assertFalse(probe.receiveMessage().granted());
  }
}
