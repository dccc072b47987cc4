package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.appliance.ApplianceEntity.*;
import io.rendan.appliance.ApplianceEvents.*;
import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import io.rendan.http.ErrorCodes;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * One test per rule of the appliance entity, each checking the reply, the
 * events, the state, and the state after a restart; every command, event and
 * snapshot goes through the production serializers and must come back equal.
 */
@Tag("unit")
class ApplianceEntityTest {
  private static final Instant START = Instant.parse("2026-03-02T18:00:00Z");
  private static final Duration HEARTBEAT = Duration.ofMinutes(5);
  private static final Duration STALE = Duration.ofDays(2);
  private static final Duration GRACE = Duration.ofMinutes(15);
  private static final Tariff TWO_FIFTY = new Tariff(250, "EUR");
  private static final String SECRET = "washer-secret-1";
  private static final AtomicInteger IDS = new AtomicInteger();

  private static ActorTestKit testKit;

  private record Published(String name, Event event, State appliance) {}

  private final TestClock clock = new TestClock(START);
  private final List<Published> published = new CopyOnWriteArrayList<>();
  private String id;
  private EventSourcedBehaviorTestKit<Command, Event, State> appliance;

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
    newEntity(100);
  }

  private void newEntity(int snapshotEvery) {
    id = "washer-" + IDS.incrementAndGet();
    published.clear();
    appliance =
        EntityTestKit.entity(
            testKit,
            ApplianceEntity.create(
                id,
                new Settings(snapshotEvery, Duration.ofMillis(200), Duration.ofSeconds(5), 4, GRACE, 2),
                (name, event, state) -> published.add(new Published(name, event, state)),
                clock));
  }

  // ---- steps ----------------------------------------------------------------------------------

  private CommandResultWithReply<Command, Event, State, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return appliance.runCommand(command);
  }

  private static Provisioning spec(Type type, Tariff tariff, Duration heartbeat) {
    return new Provisioning("laundry-emc", type, "WM-40", "Dorm A, basement", tariff, heartbeat, STALE);
  }

  private State provisioned(Type type, Tariff tariff, Duration heartbeat) {
    return run(r -> new ProvisionAppliance(spec(type, tariff, heartbeat), ApplianceEntity.hashSecret(SECRET), "alice", r))
        .replyOfType(Accepted.class)
        .appliance();
  }

  private State washer() {
    return provisioned(Type.WASHER, TWO_FIFTY, HEARTBEAT);
  }

  private CommandResultWithReply<Command, Event, State, Reply> record(Reading... readings) {
    return run(r -> new RecordTelemetry(appliance.getState().secretVersion(), List.of(readings), r));
  }

  private Recorded recorded(Reading... readings) {
    return record(readings).replyOfType(Recorded.class);
  }

  private static Reading state(long seq, String state) {
    return new Reading(seq, null, new StateChanged(state));
  }

  private static Reading start(long seq, String cycleId, String reservationId) {
    return new Reading(seq, START, new CycleStarted(cycleId, reservationId, "cotton-40", false));
  }

  private static Reading finish(long seq, String cycleId) {
    return new Reading(seq, null, new CycleFinished(cycleId, 820, 48_000, 3_420));
  }

  private static Reading fault(long seq, String code) {
    return new Reading(seq, null, new FaultReported(code, "drain pump blocked"));
  }

  private static Reading fixed(long seq, String code) {
    return new Reading(seq, null, new FaultCleared(code));
  }

  private static Reading heartbeat(long seq) {
    return new Reading(seq, null, new Heartbeat());
  }

  private static Reading inventory(long seq, Item... items) {
    return new Reading(seq, null, new InventoryReported(List.of(items)));
  }

  private CommandResultWithReply<Command, Event, State, Reply> book(String reservationId, String user, Instant from, Instant to) {
    return run(r -> new BookReservation(reservationId, user, from, to, r));
  }

  private static Instant at(String hhmm) {
    return Instant.parse("2026-03-02T" + hhmm + ":00Z");
  }

  private static void assertRejected(CommandResultWithReply<Command, Event, State, Reply> result, String code) {
    assertEquals(code, result.replyOfType(Rejected.class).code(), result.reply().toString());
    assertTrue(result.hasNoEvents(), "a rejection stores nothing");
  }

  private void assertSurvivesRestart() {
    State before = appliance.getState();
    appliance.restart();
    assertEquals(before, appliance.getState());
  }

  private ReservationStatus statusOf(String reservationId) {
    return appliance.getState().reservations().get(reservationId).status();
  }

  // ---- provisioning and the device secret -----------------------------------------------------

  @Test
  void provisioningStoresTheDeviceSecretOnlyAsItsHash() {
    var result =
        run(r -> new ProvisionAppliance(spec(Type.WASHER, TWO_FIFTY, HEARTBEAT), ApplianceEntity.hashSecret(SECRET), "alice", r));
    assertTrue(result.replyOfType(Accepted.class).created());
    ApplianceProvisioned event = result.eventOfType(ApplianceProvisioned.class);
    assertEquals(
        new ApplianceProvisioned(id, spec(Type.WASHER, TWO_FIFTY, HEARTBEAT), ApplianceEntity.hashSecret(SECRET), "alice", START),
        event);
    assertFalse(event.toString().contains(SECRET));
    assertEquals(44, event.secretHash().length(), "base64 of a SHA-256");
    State state = result.state();
    assertEquals(1, state.secretVersion());
    assertEquals(1, state.version());
    assertEquals(List.of("appliance.provisioned"), published.stream().map(Published::name).toList());
    assertSurvivesRestart();
  }

  @Test
  void onlyProvisioningsMeteredBatchesAndFaultReportsAreTaggedForTheirProjections() {
    int slices = 4;
    String usage = ApplianceEntity.usageTag(id, slices);
    String directory = ApplianceEntity.directoryTag(id, slices);
    assertTrue(usage.matches("appliance-usage-[0-3]"), usage);
    assertTrue(directory.matches("appliance-directory-[0-3]"), directory);

    Event provisioned =
        run(r -> new ProvisionAppliance(spec(Type.WASHER, TWO_FIFTY, HEARTBEAT), ApplianceEntity.hashSecret(SECRET), "alice", r))
            .event();
    assertEquals(Set.of(directory), ApplianceEntity.tagsOf(id, provisioned, slices), "the EMC's listing follows provisioning");
    Event metered = record(state(1, "RUNNING"), start(2, "c-1", ""), finish(3, "c-1")).event();
    assertEquals(Set.of(usage), ApplianceEntity.tagsOf(id, metered, slices), "revenue delivery follows metered cycles");
    String faults = ApplianceEntity.faultsTag(id, slices);
    Event faulted = record(fault(4, "E21")).event();
    assertEquals(Set.of(faults), ApplianceEntity.tagsOf(id, faulted, slices), "the fault rule follows fault reports");
    Event heartbeats = record(heartbeat(5)).event();
    assertEquals(Set.of(), ApplianceEntity.tagsOf(id, heartbeats, slices), "plain telemetry stays out of the tag table");
    Event rotated = run(r -> new RotateDeviceSecret(ApplianceEntity.hashSecret("new"), "alice", r)).event();
    assertEquals(Set.of(), ApplianceEntity.tagsOf(id, rotated, slices));
  }

  @Test
  void provisioningAgainIsIdempotentAndADifferentProvisioningConflicts() {
    State first = washer();
    var again =
        run(r -> new ProvisionAppliance(spec(Type.WASHER, TWO_FIFTY, HEARTBEAT), ApplianceEntity.hashSecret("other"), "alice", r));
    assertFalse(again.replyOfType(Accepted.class).created());
    assertTrue(again.hasNoEvents());
    assertEquals(first, again.state(), "a retry keeps the first secret");
    assertRejected(
        run(r -> new ProvisionAppliance(spec(Type.DRYER, TWO_FIFTY, HEARTBEAT), ApplianceEntity.hashSecret("x"), "alice", r)),
        ApplianceCodes.ALREADY_EXISTS);
  }

  @Test
  void anUnprovisionedApplianceIsNotFoundAndTakesNoTelemetry() {
    assertRejected(run(GetAppliance::new), ApplianceCodes.NOT_FOUND);
    assertRejected(run(r -> new AuthenticateDevice(ApplianceEntity.hashSecret(SECRET), r)), ErrorCodes.AUTH_UNAUTHENTICATED);
    assertRejected(run(r -> new RecordTelemetry(0, List.of(heartbeat(1)), r)), ErrorCodes.AUTH_UNAUTHENTICATED);
    assertRejected(book("r1", "stud", at("19:00"), at("20:00")), ApplianceCodes.NOT_FOUND);
  }

  @Test
  void onlyTheStoredSecretAuthenticatesAndRotationRetiresTheOldOne() {
    washer();
    recorded(heartbeat(1), heartbeat(2));
    var ok = run(r -> new AuthenticateDevice(ApplianceEntity.hashSecret(SECRET), r));
    assertEquals(new DeviceAuthenticated(2, 1), ok.reply());
    assertRejected(run(r -> new AuthenticateDevice(ApplianceEntity.hashSecret("guess"), r)), ErrorCodes.AUTH_UNAUTHENTICATED);
    assertRejected(run(r -> new AuthenticateDevice("not base64!", r)), ErrorCodes.AUTH_UNAUTHENTICATED);

    var rotated = run(r -> new RotateDeviceSecret(ApplianceEntity.hashSecret("new-secret"), "alice", r));
    assertEquals(
        new DeviceSecretRotated(id, ApplianceEntity.hashSecret("new-secret"), "alice", START),
        rotated.eventOfType(DeviceSecretRotated.class));
    assertEquals(2, rotated.state().secretVersion());
    assertRejected(run(r -> new AuthenticateDevice(ApplianceEntity.hashSecret(SECRET), r)), ErrorCodes.AUTH_UNAUTHENTICATED);
    assertEquals(new DeviceAuthenticated(2, 2), run(r -> new AuthenticateDevice(ApplianceEntity.hashSecret("new-secret"), r)).reply());
    // a stream that authenticated before the rotation is refused from its next batch
    assertRejected(run(r -> new RecordTelemetry(1, List.of(heartbeat(3)), r)), ErrorCodes.AUTH_UNAUTHENTICATED);
    assertSurvivesRestart();
  }

  // ---- telemetry ------------------------------------------------------------------------------

  @Test
  void aBatchOfReadingsIsOneEventAndAcksItsHighestSeq() {
    washer();
    clock.advance(Duration.ofSeconds(30));
    var result = record(state(1, "IDLE"), heartbeat(2), state(3, "DOOR_OPEN"), heartbeat(4), state(5, "IDLE"));
    assertEquals(new Recorded(5, 5, 0, List.of()), result.reply());
    assertEquals(1, result.events().size(), "one event per batch, not per reading");
    TelemetryRecorded event = result.eventOfType(TelemetryRecorded.class);
    assertEquals(5, event.readings().size());
    State state = result.state();
    assertEquals(5, state.lastSeq());
    assertEquals("IDLE", state.deviceState());
    assertEquals(clock.now, state.lastSeenAt());
    assertEquals(5, state.totals().readings());
    assertEquals(2, state.version());
    assertEquals("appliance.telemetry-recorded", published.get(published.size() - 1).name());
    assertSurvivesRestart();
  }

  @Test
  void resentReadingsAreDuplicatesThatChangeNothing() {
    washer();
    recorded(state(1, "IDLE"), state(2, "RUNNING"), heartbeat(3));
    var overlap = record(state(2, "RUNNING"), heartbeat(3), heartbeat(4), state(5, "IDLE"));
    assertEquals(new Recorded(5, 2, 2, List.of()), overlap.reply());
    assertEquals(List.of(4L, 5L), overlap.eventOfType(TelemetryRecorded.class).readings().stream().map(Reading::seq).toList());
    var allAgain = record(state(1, "IDLE"), state(2, "RUNNING"), heartbeat(3), heartbeat(4), state(5, "IDLE"));
    assertEquals(new Recorded(5, 0, 5, List.of()), allAgain.reply());
    assertTrue(allAgain.hasNoEvents());
    assertEquals(5, appliance.getState().totals().readings());
    assertSurvivesRestart();
  }

  @Test
  void aSeqTooFarAboveTheLastIsRefusedSoTheDeviceCannotSilenceItself() {
    washer();
    recorded(heartbeat(1));
    var wild = record(heartbeat(Long.MAX_VALUE), heartbeat(2));
    Recorded reply = wild.replyOfType(Recorded.class);
    assertEquals(List.of(Long.MAX_VALUE), reply.refusals().stream().map(Refusal::seq).toList());
    assertEquals(ApplianceCodes.SEQ_JUMP, reply.refusals().get(0).code());
    assertEquals(2, reply.ackedSeq(), "the refused seq is not stored: the next reading still counts");
    assertEquals(List.of(2L), wild.eventOfType(TelemetryRecorded.class).readings().stream().map(Reading::seq).toList());
    // the largest jump allowed is taken
    long far = 2 + ApplianceEntity.Settings.DEFAULT_MAX_SEQ_JUMP;
    assertEquals(far, recorded(heartbeat(far)).ackedSeq());
    assertEquals(ApplianceCodes.SEQ_JUMP, recorded(heartbeat(far + ApplianceEntity.Settings.DEFAULT_MAX_SEQ_JUMP + 1)).refusals().get(0).code());
    assertSurvivesRestart();
    assertEquals(far + 1, recorded(heartbeat(far + 1)).ackedSeq());
  }

  @Test
  void aSeqThatGoesBackwardsWithinABatchIsRefused() {
    washer();
    var result = record(heartbeat(3), heartbeat(2), heartbeat(4));
    Recorded reply = result.replyOfType(Recorded.class);
    assertEquals(4, reply.ackedSeq());
    assertEquals(2, reply.stored());
    assertEquals(List.of(2L), reply.refusals().stream().map(Refusal::seq).toList());
    assertEquals(ApplianceCodes.SEQ_NOT_INCREASING, reply.refusals().get(0).code());
    assertEquals(List.of(3L, 4L), result.eventOfType(TelemetryRecorded.class).readings().stream().map(Reading::seq).toList());
  }

  @Test
  void aFinishedPaidCycleIsMeteredOnceUnderAnIdMadeOfApplianceAndCycle() {
    washer();
    recorded(start(1, "c-17", ""), state(2, "RUNNING"));
    assertEquals("c-17", appliance.getState().currentCycle().cycleId());
    clock.advance(Duration.ofMinutes(57));
    var finished = record(finish(3, "c-17"), state(4, "IDLE"));
    MeteredCycle expected = new MeteredCycle(id + ":c-17", "c-17", "", 250, "EUR", 820, 48_000, 3_420, clock.now);
    assertEquals(List.of(expected), finished.eventOfType(TelemetryRecorded.class).meteredCycles());
    State state = finished.state();
    assertNull(state.currentCycle());
    assertEquals(new Totals(1, 250, 820, 48_000, 4), state.totals());
    assertEquals(List.of(expected), state.recentCycles());

    // the same reading resent changes nothing; finishing it again under a new seq is refused
    assertTrue(record(finish(3, "c-17")).hasNoEvents());
    var again = record(finish(5, "c-17"));
    assertEquals(ApplianceCodes.CYCLE_UNKNOWN, again.replyOfType(Recorded.class).refusals().get(0).code());
    assertTrue(again.hasNoEvents());
    var restarted = record(start(6, "c-17", ""));
    assertEquals(ApplianceCodes.CYCLE_CONFLICT, restarted.replyOfType(Recorded.class).refusals().get(0).code());
    assertEquals(1, appliance.getState().totals().meteredCycles());
    assertSurvivesRestart();
  }

  @Test
  void aServiceCycleOrAFreeApplianceMetersNothingButCountsItsEnergy() {
    washer();
    var service =
        record(new Reading(1, null, new CycleStarted("clean-1", "", "drum-clean", true)), finish(2, "clean-1"));
    assertEquals(List.of(), service.eventOfType(TelemetryRecorded.class).meteredCycles());
    assertEquals(new Totals(0, 0, 820, 48_000, 2), service.state().totals());

    newEntity();
    provisioned(Type.WASHER, new Tariff(0, "EUR"), HEARTBEAT);
    var free = record(start(1, "c-1", ""), finish(2, "c-1"));
    assertEquals(List.of(), free.eventOfType(TelemetryRecorded.class).meteredCycles());
  }

  @Test
  void finishingACycleThatIsNotRunningIsRefusedAndNothingOfItIsStored() {
    washer();
    var result = record(finish(1, "c-9"), heartbeat(2));
    Recorded reply = result.replyOfType(Recorded.class);
    assertEquals(List.of(new Refusal(1, ApplianceCodes.CYCLE_UNKNOWN, "cycle c-9 is not running")), reply.refusals());
    assertEquals(List.of(2L), result.eventOfType(TelemetryRecorded.class).readings().stream().map(Reading::seq).toList());
    assertEquals(Totals.ZERO.readings() + 1, result.state().totals().readings());
    assertEquals(0, result.state().totals().energyWh());
  }

  @Test
  void aNewCycleAbandonsTheRunningOneWithoutChargingIt() {
    washer();
    book("r1", "stud", at("18:00"), at("19:00"));
    recorded(start(1, "c-1", "r1"));
    var restarted = record(start(2, "c-2", ""), finish(3, "c-2"));
    TelemetryRecorded event = restarted.eventOfType(TelemetryRecorded.class);
    assertEquals(List.of(id + ":c-2"), event.meteredCycles().stream().map(MeteredCycle::revenueId).toList());
    assertEquals(List.of(new ReservationUpdate("r1", ReservationStatus.COMPLETED)), event.reservationUpdates());
    assertSurvivesRestart();
  }

  // ---- faults and alerts ----------------------------------------------------------------------

  @Test
  void aFaultOpensAnAlertAndStopsBookingsUntilTheDeviceReportsItFixed() {
    washer();
    var faulted = record(fault(1, "E21"));
    Alert alert = new Alert("fault:E21", AlertKind.FAULT, "E21", "drain pump blocked", START);
    assertEquals(List.of(alert), faulted.eventOfType(TelemetryRecorded.class).alertsOpened());
    assertTrue(faulted.state().isFaulted());
    assertRejected(book("r1", "stud", at("19:00"), at("20:00")), ApplianceCodes.FAULTED);
    assertTrue(record(fault(2, "E21")).eventOfType(TelemetryRecorded.class).alertsOpened().isEmpty(), "already open");
    assertSurvivesRestart();
    assertTrue(appliance.getState().isFaulted());

    var fixed = record(fixed(3, "E21"));
    assertEquals(List.of("fault:E21"), fixed.eventOfType(TelemetryRecorded.class).alertsCleared());
    assertFalse(fixed.state().isFaulted());
    assertEquals(Map.of(), fixed.state().alerts());
    book("r1", "stud", at("19:00"), at("20:00")).replyOfType(Accepted.class);
  }

  @Test
  void clearingWithoutACodeClearsEveryFault() {
    washer();
    recorded(fault(1, "E21"), fault(2, "F05"));
    assertEquals(2, appliance.getState().alerts().size());
    var fixed = record(fixed(3, ""));
    assertEquals(List.of("fault:E21", "fault:F05"), fixed.eventOfType(TelemetryRecorded.class).alertsCleared());
  }

  @Test
  void silenceLongerThanTheHeartbeatWindowShowsOfflineAndTheNextReadingClearsIt() {
    washer();
    recorded(heartbeat(1));
    clock.advance(Duration.ofMinutes(4));
    assertTrue(appliance.runCommand(Tick.INSTANCE).hasNoEvents(), "still within the window");
    clock.advance(Duration.ofMinutes(2));
    var silent = appliance.runCommand(Tick.INSTANCE);
    AlertsChanged offline = silent.eventOfType(AlertsChanged.class);
    assertEquals(List.of("offline"), offline.opened().stream().map(Alert::alertId).toList());
    assertEquals(AlertKind.OFFLINE, offline.opened().get(0).kind());
    assertFalse(silent.state().isOnline());
    assertEquals("appliance.alerts-changed", published.get(published.size() - 1).name());
    assertSurvivesRestart();

    var back = record(heartbeat(2));
    assertEquals(List.of("offline"), back.eventOfType(TelemetryRecorded.class).alertsCleared());
    assertTrue(back.state().isOnline());
  }

  @Test
  void foodWithinTheStaleWindowRaisesAnAlertThatClearsWhenTheItemIsGone() {
    provisioned(Type.FRIDGE, new Tariff(0, "EUR"), Duration.ofDays(30));
    Item milk = new Item("milk-1", "Milk 1l", 1, START.plus(Duration.ofDays(1)));
    Item cheese = new Item("cheese-1", "Gouda", 2, START.plus(Duration.ofDays(10)));
    var report = record(inventory(1, milk, cheese));
    assertEquals(
        List.of(new Alert("stale:milk-1", AlertKind.STALE, "milk-1", "Milk 1l is best before " + milk.bestBefore(), START)),
        report.eventOfType(TelemetryRecorded.class).alertsOpened());
    assertEquals(List.of(cheese, milk), report.state().inventory(), "by item id");

    var eaten = record(inventory(2, cheese));
    assertEquals(List.of("stale:milk-1"), eaten.eventOfType(TelemetryRecorded.class).alertsCleared());
    assertSurvivesRestart();

    // time passes without a report: the entity's own deadline raises the cheese's alert
    clock.advance(Duration.ofDays(7));
    assertTrue(appliance.runCommand(Tick.INSTANCE).hasNoEvents());
    clock.advance(Duration.ofDays(1));
    var due = appliance.runCommand(Tick.INSTANCE);
    assertEquals(List.of("stale:cheese-1"), due.eventOfType(AlertsChanged.class).opened().stream().map(Alert::alertId).toList());
    assertSurvivesRestart();
  }

  // ---- reservations ---------------------------------------------------------------------------

  @Test
  void aStudentBooksASlotAndAnOverlappingBookingIsRefused() {
    washer();
    var booked = book("r1", "student-1", at("19:00"), at("20:00"));
    Reservation expected =
        new Reservation("r1", "student-1", at("19:00"), at("20:00"), ReservationStatus.BOOKED, at("19:15"), START);
    assertEquals(new ReservationBooked(id, expected, START), booked.eventOfType(ReservationBooked.class));
    assertTrue(booked.replyOfType(Accepted.class).created());

    assertRejected(book("r2", "student-2", at("19:30"), at("20:30")), ApplianceCodes.RESERVATION_OVERLAP);
    assertRejected(book("r2", "student-2", at("18:30"), at("19:01")), ApplianceCodes.RESERVATION_OVERLAP);
    book("r2", "student-2", at("20:00"), at("21:00")).replyOfType(Accepted.class); // back to back is fine
    book("r3", "student-3", at("18:00"), at("19:00")).replyOfType(Accepted.class);

    var retry = book("r1", "student-1", at("19:00"), at("20:00"));
    assertFalse(retry.replyOfType(Accepted.class).created());
    assertTrue(retry.hasNoEvents());
    assertRejected(book("r1", "student-1", at("21:00"), at("22:00")), ApplianceCodes.RESERVATION_CONFLICT);
    assertSurvivesRestart();
  }

  @Test
  void aUserHoldsAtMostTheLimitOfActiveReservations() {
    washer();
    book("r1", "student-1", at("19:00"), at("20:00")).replyOfType(Accepted.class);
    book("r2", "student-1", at("20:00"), at("21:00")).replyOfType(Accepted.class);
    assertRejected(book("r3", "student-1", at("21:00"), at("22:00")), ApplianceCodes.RESERVATION_LIMIT);
    run(r -> new CancelReservation("r1", "student-1", false, r)).replyOfType(Accepted.class);
    book("r3", "student-1", at("21:00"), at("22:00")).replyOfType(Accepted.class);
  }

  @Test
  void aFridgeIsNotBookedByTheSlot() {
    provisioned(Type.FRIDGE, new Tariff(0, "EUR"), HEARTBEAT);
    assertRejected(book("r1", "student-1", at("19:00"), at("20:00")), ApplianceCodes.NOT_BOOKABLE);
  }

  @Test
  void aCycleServingAReservationUsesItAndItsEndCompletesIt() {
    provisioned(Type.WASHER, TWO_FIFTY, Duration.ofDays(1));
    book("r1", "student-1", at("19:00"), at("20:00"));
    clock.set(at("19:05"));
    var started = record(start(1, "c-1", "r1"));
    assertEquals(
        List.of(new ReservationUpdate("r1", ReservationStatus.IN_USE)),
        started.eventOfType(TelemetryRecorded.class).reservationUpdates());
    clock.set(at("20:00"));
    assertTrue(appliance.runCommand(Tick.INSTANCE).hasNoEvents(), "a used reservation is not released");
    var finished = record(finish(2, "c-1"));
    TelemetryRecorded event = finished.eventOfType(TelemetryRecorded.class);
    assertEquals(List.of(new ReservationUpdate("r1", ReservationStatus.COMPLETED)), event.reservationUpdates());
    assertEquals("r1", event.meteredCycles().get(0).reservationId());
    assertEquals(ReservationStatus.COMPLETED, statusOf("r1"));
    assertSurvivesRestart();
  }

  @Test
  void theUserOrAnOperatorCancelsAReservationAndNobodyElse() {
    washer();
    book("r1", "student-1", at("19:00"), at("20:00"));
    book("r2", "student-2", at("20:00"), at("21:00"));
    assertRejected(run(r -> new CancelReservation("r1", "student-2", false, r)), ApplianceCodes.RESERVATION_NOT_YOURS);
    var mine = run(r -> new CancelReservation("r1", "student-1", false, r));
    assertEquals(new ReservationCancelled(id, "r1", "student-1", START), mine.eventOfType(ReservationCancelled.class));
    assertTrue(run(r -> new CancelReservation("r1", "student-1", false, r)).hasNoEvents(), "cancelling twice is a retry");
    run(r -> new CancelReservation("r2", "alice", true, r)).replyOfType(Accepted.class);
    assertEquals(ReservationStatus.CANCELLED, statusOf("r2"));
    assertRejected(run(r -> new CancelReservation("nope", "student-1", false, r)), ApplianceCodes.RESERVATION_NOT_FOUND);
    // the slot is free again
    book("r3", "student-3", at("19:00"), at("20:00")).replyOfType(Accepted.class);
    assertSurvivesRestart();
  }

  @Test
  void aReservationInUseCannotBeCancelled() {
    washer();
    book("r1", "student-1", at("18:00"), at("19:00"));
    recorded(start(1, "c-1", "r1"));
    assertRejected(run(r -> new CancelReservation("r1", "student-1", false, r)), ApplianceCodes.RESERVATION_NOT_CANCELLABLE);
  }

  @Test
  void aReservationNobodyShowsUpForIsReleasedAfterTheGracePeriod() {
    washer();
    book("r1", "student-1", at("19:00"), at("20:00"));
    clock.set(at("19:14"));
    assertTrue(appliance.runCommand(Tick.INSTANCE).hasNoEvents());
    clock.set(at("19:15"));
    var released = appliance.runCommand(Tick.INSTANCE);
    assertEquals(new ReservationsReleased(id, List.of("r1"), at("19:15")), released.eventOfType(ReservationsReleased.class));
    assertEquals(ReservationStatus.NO_SHOW, statusOf("r1"));
    assertEquals("appliance.reservations-released", published.get(published.size() - 1).name());
    // someone else takes the rest of the slot
    book("r2", "student-2", at("19:20"), at("20:00")).replyOfType(Accepted.class);
    assertSurvivesRestart();
  }

  @Test
  void aBookingPastItsGraceNoLongerHoldsTheSlotEvenBeforeTheTimerFires() {
    washer();
    book("r1", "student-1", at("19:00"), at("20:00"));
    clock.set(at("19:20"));
    book("r2", "student-2", at("19:20"), at("20:00")).replyOfType(Accepted.class);
  }

  @Test
  void theNoShowTimerIsArmedAgainWhenTheEntityRecovers() {
    washer();
    book("r1", "student-1", at("19:00"), at("20:00"));
    clock.set(at("19:30"));
    appliance.restart();
    // nothing but the timer armed on recovery can release it
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(ReservationStatus.NO_SHOW, statusOf("r1"));
      return null;
    });
    assertEquals(List.of("appliance.reservations-released"), published.stream().map(Published::name).skip(2).toList());
  }

  @Test
  void eachChangeIsOneEventAndOnePublishedVersion() {
    washer();
    recorded(heartbeat(1), heartbeat(2));
    book("r1", "student-1", at("19:00"), at("20:00"));
    recorded(fault(3, "E21"));
    assertEquals(List.of(1L, 2L, 3L, 4L), published.stream().map(p -> p.appliance().version()).toList());
  }

  @Test
  void snapshotsAndEventsRecoverTheSameState() {
    newEntity(2);
    washer();
    book("r1", "student-1", at("19:00"), at("20:00"));
    List<Reading> readings = new ArrayList<>();
    readings.add(start(1, "c-1", "r1"));
    readings.add(fault(2, "E21"));
    recorded(readings.toArray(Reading[]::new));
    recorded(finish(3, "c-1"), fixed(4, "E21"), inventory(5, new Item("i", "Soap", 3, START.plus(Duration.ofDays(90)))));
    run(r -> new RotateDeviceSecret(ApplianceEntity.hashSecret("s2"), "alice", r));
    assertSurvivesRestart();
  }
}
