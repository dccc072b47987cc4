package io.rendan.charter;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcAccounts;
import io.rendan.emc.EmcMembership;
import io.rendan.emc.EmcState;
import io.rendan.emc.HelpCases;
import io.rendan.testkit.EntityTestKit;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import io.rendan.emc.EmcMembership.Terms;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** Each clause as a check of an EMC command, strictness, and the versioned charter entity (after a restart too). */
@Tag("unit")
class CharterRulesTest {
  private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");
  private static final Terms THIRTY = new Terms(3_000, new Target(Metric.REVENUE, 100), 3);
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** An EMC whose member "washers" holds 30 % since {@code since}, and has missed {@code missed} periods in a row. */
  private static EmcState emc(Instant since, int missed) {
    EmcMembership.Member owner = new EmcMembership.Member("laundry", Side.EXPERIENCE, "owner", true, List.of(), null, since);
    EmcMembership.Member washers =
        new EmcMembership.Member("washers", Side.SOLUTION, "washers", false, List.of(new EmcMembership.Contract(1, THIRTY, since)), null, since);
    EmcAccounts.Accounts accounts =
        new EmcAccounts.Accounts("EUR", List.of(), List.of(), Map.of(), null, Map.of(), Map.of("washers", new EmcAccounts.Standing(missed, false)));
    return new EmcState(
        "laundry", "Community Laundry", "dorm", "laundry", EmcMembership.Status.ACTIVE, Map.of("laundry", owner, "washers", washers), Map.of(), since, 5, accounts,
        HelpCases.Cases.EMPTY, Map.of());
  }

  private static Clauses clauses(int minShare, int maxOwner, Duration notice, Duration interval, boolean selfAward) {
    return new Clauses(minShare, maxOwner, notice, interval, true, selfAward);
  }

  @Test
  void minShareRefusesTermsBelowIt() {
    Clauses c = clauses(500, 10_000, Duration.ZERO, Duration.ZERO, false);
    var refusal = CharterChecks.terms(emc(NOW.minus(Duration.ofDays(10)), 0), "dryers", new Terms(400, new Target(Metric.REVENUE, 1), 3), c, NOW);
    assertEquals(CharterCodes.MIN_SHARE, refusal.orElseThrow().code());
    assertTrue(CharterChecks.terms(emc(NOW, 0), "dryers", new Terms(500, new Target(Metric.REVENUE, 1), 3), c, NOW).isEmpty());
  }

  @Test
  void maxOwnerShareRefusesACutThatLeavesTheOwnerMore() {
    Clauses c = clauses(0, 6_000, Duration.ZERO, Duration.ZERO, false);
    EmcState s = emc(NOW.minus(Duration.ofDays(10)), 0);
    assertEquals(CharterCodes.MAX_OWNER_SHARE, CharterChecks.terms(s, "washers", new Terms(1_000, THIRTY.target(), 3), c, NOW).orElseThrow().code());
    assertTrue(CharterChecks.terms(s, "washers", new Terms(4_000, THIRTY.target(), 3), c, NOW).isEmpty(), "a raise is never refused by it");
  }

  @Test
  void termsIntervalRefusesAChangeTooSoon() {
    Clauses c = clauses(0, 10_000, Duration.ZERO, Duration.ofDays(30), false);
    assertEquals(CharterCodes.TERMS_INTERVAL, CharterChecks.terms(emc(NOW.minus(Duration.ofDays(29)), 0), "washers", THIRTY, c, NOW).orElseThrow().code());
    assertTrue(CharterChecks.terms(emc(NOW.minus(Duration.ofDays(30)), 0), "washers", THIRTY, c, NOW).isEmpty());
  }

  @Test
  void removalNoticeProtectsAMemberThatMissedNoTarget() {
    Clauses c = clauses(0, 10_000, Duration.ofDays(30), Duration.ZERO, false);
    assertEquals(CharterCodes.REMOVAL_NOTICE, CharterChecks.removal(emc(NOW, 0), "washers", true, c).orElseThrow().code());
    assertTrue(CharterChecks.removal(emc(NOW, 1), "washers", true, c).isEmpty(), "a member that missed a target may be removed");
    assertTrue(CharterChecks.removal(emc(NOW, 0), "washers", false, c).isEmpty(), "a member may always leave");
    assertTrue(CharterChecks.removal(emc(NOW, 0), "washers", true, Clauses.DEFAULT).isEmpty());
  }

  @Test
  void anEmcMayOnlyBeStricter() {
    Clauses org = clauses(500, 8_000, Duration.ofDays(10), Duration.ofDays(10), true);
    assertEquals(List.of(), clauses(600, 7_000, Duration.ofDays(20), Duration.ofDays(10), true).looserThan(org));
    assertEquals(
        List.of(CharterCodes.MIN_SHARE, CharterCodes.MAX_OWNER_SHARE, CharterCodes.REMOVAL_NOTICE, CharterCodes.TERMS_INTERVAL, CharterCodes.SELF_AWARD),
        clauses(100, 9_000, Duration.ZERO, Duration.ZERO, false).looserThan(org));
    assertEquals(List.of(CharterCodes.REPLACE_AFTER_HELP), new Clauses(500, 8_000, Duration.ofDays(10), Duration.ofDays(10), false, true).looserThan(org));
    assertEquals(
        new Clauses(600, 7_000, Duration.ofDays(20), Duration.ofDays(10), true, true),
        org.strictest(clauses(600, 7_000, Duration.ofDays(20), Duration.ZERO, false)));
  }

  @Test
  void everyChangeIsANewVersionAndVersionsSurviveARestart() {
    EventSourcedBehaviorTestKit<CharterEntity.Command, CharterEntity.Event, CharterEntity.State> charter =
        EntityTestKit.entity(
            testKit,
            CharterEntity.create(CharterEntity.ORG + "-" + System.nanoTime(), new CharterEntity.Settings(Duration.ofMillis(200), Duration.ofSeconds(2)), Clock.fixed(NOW, ZoneOffset.UTC)));
    var empty = charter.<CharterEntity.Reply>runCommand(CharterEntity.GetCharter::new).replyOfType(CharterEntity.Accepted.class).charter();
    assertEquals(0, empty.version());
    assertEquals(Clauses.DEFAULT, empty.clauses());
    Clauses strict = clauses(500, 8_000, Duration.ofDays(10), Duration.ZERO, true);
    var first = charter.<CharterEntity.Reply>runCommand(r -> new CharterEntity.AdoptCharter(strict, "root", 0, r));
    assertEquals(1, ((CharterEntity.CharterAdopted) first.event()).version());
    assertTrue(charter.<CharterEntity.Reply>runCommand(r -> new CharterEntity.AdoptCharter(strict, "root", 0, r)).hasNoEvents(), "the same clauses again");
    var second = charter.<CharterEntity.Reply>runCommand(r -> new CharterEntity.AdoptCharter(Clauses.DEFAULT, "root", 0, r));
    assertEquals(2, ((CharterEntity.CharterAdopted) second.event()).version());
    charter.restart();
    CharterEntity.State after = charter.getState();
    assertEquals(2, after.version());
    assertEquals(strict, after.versions().get(0).clauses(), "an old version is never rewritten");
  }
}
