package io.rendan.me;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.http.ErrorCodes;
import io.rendan.me.MeProtocol.Accepted;
import io.rendan.me.MeProtocol.AddOperator;
import io.rendan.me.MeEntity.CapabilitiesChanged;
import io.rendan.me.MeProtocol.ChangeCapabilities;
import io.rendan.me.MeProtocol.Command;
import io.rendan.me.MeEntity.Event;
import io.rendan.me.MeProtocol.GetMe;
import io.rendan.me.MeEntity.Kind;
import io.rendan.me.MeEntity.MeRegistered;
import io.rendan.me.MeEntity.OperatorAdded;
import io.rendan.me.MeEntity.OperatorRemoved;
import io.rendan.me.MeProtocol.RegisterMe;
import io.rendan.me.MeProtocol.Rejected;
import io.rendan.me.MeProtocol.RemoveOperator;
import io.rendan.me.MeProtocol.Reply;
import io.rendan.me.MeEntity.State;
import io.rendan.testkit.EntityTestKit;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One test per business rule of the ME entity. Every command, reply, event and
 * state goes through the serializers bound in application.conf (and must come
 * back equal), so a message that cannot cross nodes or be stored fails here.
 */
@Tag("unit")
class MeEntityTest {
  private static final Instant NOW = Instant.parse("2025-03-01T10:15:30.123456789Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String ALICE = "alice";
  private static final String BOB = "bob";
  private static final String CAROL = "carol";
  private static final String MALLORY = "mallory";
  private static final AtomicInteger IDS = new AtomicInteger();

  private static ActorTestKit testKit;

  /** What the entity handed to its ChangePublisher. */
  private record Published(String event, State me) {}

  private final List<Published> published = new CopyOnWriteArrayList<>();
  private String meId;
  private EventSourcedBehaviorTestKit<Command, Event, State> me;

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  private void newEntity(int snapshotEvery) {
    meId = "me-" + IDS.incrementAndGet();
    MeEntity.Settings settings = new MeEntity.Settings(snapshotEvery, Duration.ofMillis(200), Duration.ofSeconds(10));
    MeEntity.ChangePublisher publisher = (event, state) -> published.add(new Published(event, state));
    me =
        EntityTestKit.entity(
            testKit,
            MeEntity.create(meId, settings, publisher, CLOCK));
  }

  private void newEntity() {
    newEntity(100);
  }

  private CommandResultWithReply<Command, Event, State, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return me.runCommand(command);
  }

  private State registerAsAlice(List<String> capabilities) {
    return run(r -> new RegisterMe("Bakery", Kind.INTERNAL, capabilities, ALICE, r))
        .replyOfType(Accepted.class)
        .me();
  }

  private State registered(List<String> capabilities, List<String> operators, long version) {
    return new State(meId, "Bakery", Kind.INTERNAL, capabilities, operators, NOW, version, Map.of());
  }

  private static void assertRejected(CommandResultWithReply<Command, Event, State, Reply> result, String code, State unchanged) {
    assertEquals(code, result.replyOfType(Rejected.class).code());
    assertTrue(result.hasNoEvents(), "a rejection stores nothing");
    assertEquals(unchanged, result.state());
  }

  private void assertPublishedVersions(long... versions) {
    assertEquals(
        java.util.Arrays.stream(versions).boxed().toList(),
        published.stream().map(p -> p.me().version()).toList(),
        "one published change per stored event, carrying the new version");
  }

  @Test
  void aCreditThatWouldOverflowTheBalanceIsRefusedWithoutCrashingTheMe() {
    newEntity();
    registerAsAlice(List.of());
    MeEntity.Credit big =
        new MeEntity.Credit("emc-a", 1, "r-1", Long.MAX_VALUE - 10, "EUR", "s", NOW, 10_000, 0, true);
    State credited = run(r -> new MeProtocol.RecordCredit(big, r)).replyOfType(Accepted.class).me();
    assertEquals(Long.MAX_VALUE - 10, credited.balances().get("EUR"));

    MeEntity.Credit more = new MeEntity.Credit("emc-b", 1, "r-2", 11, "EUR", "s", NOW, 10_000, 0, true);
    var result = run(r -> new MeProtocol.RecordCredit(more, r));
    assertRejected(result, MeCodes.BALANCE_LIMIT, credited);

    // still alive and unchanged, also after a restart; a credit that fits is taken
    me.restart();
    assertEquals(credited, me.getState());
    MeEntity.Credit fits = new MeEntity.Credit("emc-b", 1, "r-2", 10, "EUR", "s", NOW, 10_000, 0, true);
    var ok = run(r -> new MeProtocol.RecordCredit(fits, r));
    assertEquals(Long.MAX_VALUE, ok.replyOfType(Accepted.class).me().balances().get("EUR"));
    assertEquals(MeEntity.LedgerCredited.class, ok.event().getClass());
  }

  @Test
  void registeringCreatesTheMeWithTheCallerAsOperator() {
    newEntity();
    var result = run(r -> new RegisterMe("Bakery", Kind.INTERNAL, List.of("baking"), ALICE, r));

    State expected = registered(List.of("baking"), List.of(ALICE), 1);
    Accepted reply = result.replyOfType(Accepted.class);
    assertTrue(reply.created());
    assertEquals(expected, reply.me());
    assertEquals(
        List.of(new MeRegistered(meId, "Bakery", Kind.INTERNAL, List.of("baking"), ALICE, NOW)), result.events());
    assertEquals(expected, result.state());
    assertEquals(List.of(new Published("me.registered", expected)), published);
    assertEquals(expected, me.restart().state());
  }

  @Test
  void registeringTheSameMeAgainIsIdempotent() {
    newEntity();
    State first = registerAsAlice(List.of("welding", "baking"));

    // A retry, with the capabilities in another order and repeated: the same request.
    var retry = run(r -> new RegisterMe("Bakery", Kind.INTERNAL, List.of("baking", "welding", "baking"), ALICE, r));

    Accepted reply = retry.replyOfType(Accepted.class);
    assertFalse(reply.created(), "a retry does not create the ME again");
    assertEquals(first, reply.me());
    assertTrue(retry.hasNoEvents());
    assertEquals(first, retry.state());
    assertPublishedVersions(1);
    assertEquals(first, me.restart().state());
  }

  @Test
  void registeringADifferentMeUnderAnExistingIdIsAConflict() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    List<Function<ActorRef<Reply>, Command>> differentRegistrations =
        List.of(
            r -> new RegisterMe("Brewery", Kind.INTERNAL, List.of("baking"), ALICE, r),
            r -> new RegisterMe("Bakery", Kind.EXTERNAL_PARTNER, List.of("baking"), ALICE, r),
            r -> new RegisterMe("Bakery", Kind.INTERNAL, List.of("baking", "welding"), ALICE, r),
            r -> new RegisterMe("Bakery", Kind.INTERNAL, List.of("baking"), MALLORY, r));
    for (Function<ActorRef<Reply>, Command> registration : differentRegistrations) {
      assertRejected(run(registration), MeCodes.ALREADY_EXISTS, existing);
    }
    assertEquals(409, ErrorCodes.status(MeCodes.ALREADY_EXISTS));
    assertPublishedVersions(1);
    assertEquals(existing, me.restart().state());
  }

  @Test
  void unknownMeIsNotFound() {
    newEntity();
    State nothing = State.unregistered(meId);

    assertRejected(run(GetMe::new), MeCodes.NOT_FOUND, nothing);
    assertRejected(run(r -> new ChangeCapabilities(List.of("baking"), ALICE, r)), MeCodes.NOT_FOUND, nothing);
    assertRejected(run(r -> new AddOperator(BOB, ALICE, r)), MeCodes.NOT_FOUND, nothing);
    assertRejected(run(r -> new RemoveOperator(BOB, ALICE, r)), MeCodes.NOT_FOUND, nothing);
    assertEquals(404, ErrorCodes.status(MeCodes.NOT_FOUND));
    assertTrue(published.isEmpty());
    assertEquals(nothing, me.restart().state());
  }

  @Test
  void anyoneCanGetARegisteredMe() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    var result = run(GetMe::new);

    assertEquals(new Accepted(existing, false), result.reply());
    assertTrue(result.hasNoEvents());
    assertPublishedVersions(1);
  }

  @Test
  void onlyAnOperatorChangesCapabilities() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    var refused = run(r -> new ChangeCapabilities(List.of("welding"), MALLORY, r));
    assertRejected(refused, ErrorCodes.AUTH_FORBIDDEN, existing);
    assertEquals(403, ErrorCodes.status(refused.replyOfType(Rejected.class).code()));

    var allowed = run(r -> new ChangeCapabilities(List.of("welding"), ALICE, r));
    State changed = registered(List.of("welding"), List.of(ALICE), 2);
    assertEquals(new Accepted(changed, false), allowed.reply());
    assertEquals(List.of(new CapabilitiesChanged(meId, List.of("welding"), ALICE, NOW)), allowed.events());
    assertEquals(List.of("me.registered", "me.capabilities-changed"), published.stream().map(Published::event).toList());
    assertPublishedVersions(1, 2);
    assertEquals(changed, me.restart().state());
  }

  @Test
  void onlyAnOperatorChangesOperators() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    assertRejected(run(r -> new AddOperator(MALLORY, MALLORY, r)), ErrorCodes.AUTH_FORBIDDEN, existing);
    assertRejected(run(r -> new RemoveOperator(ALICE, MALLORY, r)), ErrorCodes.AUTH_FORBIDDEN, existing);
    assertPublishedVersions(1);
    assertEquals(existing, me.restart().state());
  }

  @Test
  void capabilitiesAreStoredSortedAndUnique() {
    newEntity();
    var registration =
        run(r -> new RegisterMe("Bakery", Kind.INTERNAL, List.of("welding", "baking", "welding"), ALICE, r));
    assertEquals(List.of("baking", "welding"), registration.eventOfType(MeRegistered.class).capabilities());

    var change = run(r -> new ChangeCapabilities(List.of("welding", "assembly", "welding", "baking"), ALICE, r));

    List<String> sorted = List.of("assembly", "baking", "welding");
    assertEquals(List.of(new CapabilitiesChanged(meId, sorted, ALICE, NOW)), change.events());
    State expected = registered(sorted, List.of(ALICE), 2);
    assertEquals(new Accepted(expected, false), change.reply());
    assertEquals(expected, change.state());
    assertEquals(expected, me.restart().state());
  }

  @Test
  void unchangedCapabilitiesStoreNothing() {
    newEntity();
    State existing = registerAsAlice(List.of("baking", "welding"));

    var result = run(r -> new ChangeCapabilities(List.of("welding", "baking", "baking"), ALICE, r));

    assertEquals(new Accepted(existing, false), result.reply());
    assertTrue(result.hasNoEvents());
    assertEquals(existing, result.state());
    assertPublishedVersions(1);
    assertEquals(existing, me.restart().state());
  }

  @Test
  void operatorCanAddAnotherOperator() {
    newEntity();
    registerAsAlice(List.of("baking"));

    var added = run(r -> new AddOperator(BOB, ALICE, r));

    State withBob = registered(List.of("baking"), List.of(ALICE, BOB), 2);
    assertEquals(new Accepted(withBob, false), added.reply());
    assertEquals(List.of(new OperatorAdded(meId, BOB, ALICE, NOW)), added.events());
    assertEquals(withBob, added.state());
    assertEquals(new Published("me.operator-added", withBob), published.get(published.size() - 1));
    assertEquals(withBob, me.restart().state());

    // Bob now holds the same rights as Alice.
    var bobChanges = run(r -> new ChangeCapabilities(List.of("brewing"), BOB, r));
    assertEquals(registered(List.of("brewing"), List.of(ALICE, BOB), 3), bobChanges.replyOfType(Accepted.class).me());
    assertPublishedVersions(1, 2, 3);
  }

  @Test
  void addingAnExistingOperatorStoresNothing() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    var result = run(r -> new AddOperator(ALICE, ALICE, r));

    assertEquals(new Accepted(existing, false), result.reply());
    assertTrue(result.hasNoEvents());
    assertPublishedVersions(1);
    assertEquals(existing, me.restart().state());
  }

  @Test
  void operatorCanRemoveAnotherOperator() {
    newEntity();
    registerAsAlice(List.of("baking"));
    run(r -> new AddOperator(BOB, ALICE, r)).replyOfType(Accepted.class);

    var removed = run(r -> new RemoveOperator(ALICE, BOB, r));

    State bobOnly = registered(List.of("baking"), List.of(BOB), 3);
    assertEquals(new Accepted(bobOnly, false), removed.reply());
    assertEquals(List.of(new OperatorRemoved(meId, ALICE, BOB, NOW)), removed.events());
    assertEquals(bobOnly, removed.state());
    assertEquals(new Published("me.operator-removed", bobOnly), published.get(published.size() - 1));
    assertPublishedVersions(1, 2, 3);
    assertEquals(bobOnly, me.restart().state());

    // Alice is no longer an operator.
    assertRejected(run(r -> new ChangeCapabilities(List.of("x"), ALICE, r)), ErrorCodes.AUTH_FORBIDDEN, bobOnly);
  }

  @Test
  void lastOperatorCannotBeRemoved() {
    newEntity();
    State existing = registerAsAlice(List.of("baking"));

    var refused = run(r -> new RemoveOperator(ALICE, ALICE, r));

    assertRejected(refused, MeCodes.LAST_OPERATOR, existing);
    assertEquals(409, ErrorCodes.status(MeCodes.LAST_OPERATOR));
    assertPublishedVersions(1);
    assertEquals(existing, me.restart().state());
  }

  @Test
  void removingAnUnknownOperatorIsRefused() {
    newEntity();
    registerAsAlice(List.of("baking"));
    State withBob = run(r -> new AddOperator(BOB, ALICE, r)).replyOfType(Accepted.class).me();

    var refused = run(r -> new RemoveOperator(CAROL, ALICE, r));

    assertRejected(refused, MeCodes.OPERATOR_NOT_FOUND, withBob);
    assertEquals(404, ErrorCodes.status(MeCodes.OPERATOR_NOT_FOUND));
    assertPublishedVersions(1, 2);
    assertEquals(withBob, me.restart().state());
  }

  @Test
  void stateSurvivesRestart() {
    newEntity();
    registerAsAlice(List.of("baking"));
    run(r -> new AddOperator(BOB, ALICE, r)).replyOfType(Accepted.class);
    run(r -> new ChangeCapabilities(List.of("welding", "baking"), BOB, r)).replyOfType(Accepted.class);
    State before = run(r -> new RemoveOperator(ALICE, BOB, r)).replyOfType(Accepted.class).me();

    State after = me.restart().state();

    assertEquals(registered(List.of("baking", "welding"), List.of(BOB), 4), after);
    assertEquals(before, after);
    // The recovered entity carries on from the stored sequence number.
    var next = run(r -> new AddOperator(CAROL, BOB, r));
    assertEquals(5, next.replyOfType(Accepted.class).me().version());
    assertPublishedVersions(1, 2, 3, 4, 5);
  }

  @Test
  void snapshotAndEventsRecoverTheSameState() {
    newEntity(2);
    registerAsAlice(List.of("baking"));
    run(r -> new AddOperator(BOB, ALICE, r)).replyOfType(Accepted.class);
    run(r -> new ChangeCapabilities(List.of("welding"), BOB, r)).replyOfType(Accepted.class);
    run(r -> new AddOperator(CAROL, BOB, r)).replyOfType(Accepted.class);
    State before = run(r -> new RemoveOperator(ALICE, CAROL, r)).replyOfType(Accepted.class).me();
    assertEquals(5, before.version());

    String persistenceId = MeEntity.persistenceId(meId).id();
    List<Pair<SnapshotMeta, Object>> snapshots = me.snapshotTestKit().orElseThrow().persistedInStorage(persistenceId);
    assertEquals(List.of(2L, 4L), snapshots.stream().map(s -> s.first().sequenceNr()).toList());
    State latestSnapshot = (State) snapshots.get(snapshots.size() - 1).second();
    assertEquals(4, latestSnapshot.version());

    // Recovery from the latest snapshot plus the event after it...
    State recovered = me.restart().state();
    // ...must equal replaying every stored event from nothing.
    State replayed = State.unregistered(meId);
    for (Object event : me.persistenceTestKit().persistedInStorage(persistenceId)) {
      replayed = replayed.apply((Event) event);
    }
    assertEquals(5, me.persistenceTestKit().persistedInStorage(persistenceId).size(), "events are never deleted");
    assertEquals(before, recovered);
    assertEquals(replayed, recovered);
    assertEquals(registered(List.of("welding"), List.of(BOB, CAROL), 5), recovered);
    assertPublishedVersions(1, 2, 3, 4, 5);
  }

  @Test
  void aMembershipIsRecordedOnceWhateverTheRedeliveries() {
    newEntity();
    registerAsAlice(List.of("washers"));
    MeEntity.Membership joined =
        new MeEntity.Membership("emc-1", "Community Laundry", Side.SOLUTION, "washers", false, true, 3);
    var first = run(r -> new MeProtocol.RecordMembership(joined, r));
    assertEquals(1, first.events().size());
    assertEquals(List.of(joined), first.state().activeMemberships());

    // the delivery is at least once: the same message again, and an older one, change nothing
    var again = run(r -> new MeProtocol.RecordMembership(joined, r));
    assertTrue(again.hasNoEvents());
    MeEntity.Membership older =
        new MeEntity.Membership("emc-1", "Community Laundry", Side.SOLUTION, "washers", false, false, 2);
    assertTrue(run(r -> new MeProtocol.RecordMembership(older, r)).hasNoEvents());

    MeEntity.Membership left = new MeEntity.Membership("emc-1", "", null, "", false, false, 9);
    var leaving = run(r -> new MeProtocol.RecordMembership(left, r));
    assertEquals(1, leaving.events().size());
    assertEquals(List.of(), leaving.state().activeMemberships());
    assertEquals(leaving.state(), me.restart().state());
    assertTrue(run(r -> new MeProtocol.RecordMembership(joined, r)).hasNoEvents(), "still applied once after a restart");
  }

  @Test
  void anUnknownMeRefusesAMembership() {
    newEntity();
    MeEntity.Membership m = new MeEntity.Membership("emc-1", "X", Side.SOLUTION, "r", false, true, 1);
    assertRejected(run(r -> new MeProtocol.RecordMembership(m, r)), MeCodes.NOT_FOUND, State.unregistered(meId));
  }
}
