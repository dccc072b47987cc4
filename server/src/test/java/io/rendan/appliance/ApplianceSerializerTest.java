package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.appliance.ApplianceEntity.*;
import io.rendan.appliance.ApplianceEvents.*;
import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import io.rendan.testkit.GoldenSampleTests;
import io.rendan.testkit.GoldenSamples;
import io.rendan.testkit.GoldenSamples.Sample;
import java.io.IOException;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The appliance's stored form, pinned by samples committed under
 * {@code src/test/resources/serialization/} (never rewrite one). A new stored
 * type gets a sample below, written once with
 *
 * <pre>
 * mvn -q -pl server -am test -Dtest=ApplianceSerializerTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drendan.serialization.write-missing-samples=true
 * </pre>
 */
@Tag("unit")
class ApplianceSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2026-03-02T19:05:00.123456789Z");
  private static final ApplianceSerializer SERIALIZER = new ApplianceSerializer();
  private static final Provisioning WASHER =
      new Provisioning("laundry-emc", Type.WASHER, "WM-40", "Dorm A, basement", new Tariff(250, "EUR"), Duration.ofMinutes(5), Duration.ofDays(2));
  private static final Item MILK = new Item("milk-1", "Milk 1l", 1, Instant.parse("2026-03-04T00:00:00Z"));
  private static final Alert FAULT = new Alert("fault:E21", AlertKind.FAULT, "E21", "drain pump blocked", AT);
  private static final Alert STALE = new Alert("stale:milk-1", AlertKind.STALE, "milk-1", "Milk 1l is best before 2026-03-04T00:00:00Z", AT);
  private static final MeteredCycle METERED =
      new MeteredCycle("washer-1:c-17", "c-17", "r1", 250, "EUR", 820, 48_000, 3_420, AT);
  private static final Reservation BOOKED =
      new Reservation(
          "r1",
          "student-1",
          Instant.parse("2026-03-02T19:00:00Z"),
          Instant.parse("2026-03-02T20:00:00Z"),
          ReservationStatus.BOOKED,
          Instant.parse("2026-03-02T19:15:00Z"),
          AT);

  /** Every kind of reading, so that the sample pins each body of the oneof. */
  private static List<Reading> everyReading() {
    return List.of(
        new Reading(1, AT, new StateChanged("IDLE")),
        new Reading(2, null, new CycleStarted("c-17", "r1", "cotton-40", false)),
        new Reading(3, null, new CycleFinished("c-17", 820, 48_000, 3_420)),
        new Reading(4, AT, new FaultReported("E21", "drain pump blocked")),
        new Reading(5, null, new FaultCleared("")),
        new Reading(6, null, new InventoryReported(List.of(MILK))),
        new Reading(7, AT, new Heartbeat()));
  }

  private static State fullState() {
    Map<String, Alert> alerts = new TreeMap<>();
    alerts.put(FAULT.alertId(), FAULT);
    alerts.put(STALE.alertId(), STALE);
    Map<String, Reservation> reservations = new LinkedHashMap<>();
    reservations.put("r1", BOOKED);
    reservations.put("r0", new Reservation("r0", "student-2", AT.minusSeconds(7200), AT.minusSeconds(3600), ReservationStatus.NO_SHOW, AT.minusSeconds(6300), AT.minusSeconds(9000)));
    return new State(
        "washer-1",
        WASHER,
        ApplianceEntity.hashSecret("s"),
        2,
        AT.minusSeconds(86_400),
        "alice",
        "RUNNING",
        42,
        AT,
        new Cycle("c-18", "r1", "cotton-40", false, AT),
        List.of(MILK),
        alerts,
        reservations,
        List.of(METERED),
        new Totals(1, 250, 820, 48_000, 42),
        17);
  }

  static final List<Sample> SAMPLES =
      List.of(
          new Sample("appliance.provisioned.bin", "appliance.provisioned",
              new ApplianceProvisioned("washer-1", WASHER, ApplianceEntity.hashSecret("s"), "alice", AT)),
          new Sample("appliance.secret-rotated.bin", "appliance.secret-rotated",
              new DeviceSecretRotated("washer-1", ApplianceEntity.hashSecret("s2"), "alice", AT)),
          new Sample("appliance.telemetry-recorded.bin", "appliance.telemetry-recorded",
              new TelemetryRecorded("washer-1", everyReading(), List.of(METERED), List.of(FAULT, STALE), List.of("offline"),
                  List.of(new ReservationUpdate("r1", ReservationStatus.COMPLETED)), AT)),
          new Sample("appliance.alerts-changed.bin", "appliance.alerts-changed",
              new AlertsChanged("washer-1", List.of(new Alert("offline", AlertKind.OFFLINE, "", "nothing heard", AT)), List.of("stale:milk-1"), AT)),
          new Sample("appliance.reservation-booked.bin", "appliance.reservation-booked", new ReservationBooked("washer-1", BOOKED, AT)),
          new Sample("appliance.reservation-cancelled.bin", "appliance.reservation-cancelled",
              new ReservationCancelled("washer-1", "r1", "student-1", AT)),
          new Sample("appliance.reservations-released.bin", "appliance.reservations-released",
              new ReservationsReleased("washer-1", List.of("r1", "r2"), AT)),
          new Sample("appliance.snapshot.bin", "appliance.snapshot", fullState()),
          new Sample("appliance.snapshot-empty.bin", "appliance.snapshot", State.empty("washer-2")));

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    assertEquals(
        List.of(
            "appliance.provisioned", "appliance.secret-rotated", "appliance.telemetry-recorded", "appliance.alerts-changed",
            "appliance.reservation-booked", "appliance.reservation-cancelled", "appliance.reservations-released",
            "appliance.snapshot"),
        List.of(
            ApplianceSerializer.PROVISIONED, ApplianceSerializer.SECRET_ROTATED, ApplianceSerializer.TELEMETRY_RECORDED,
            ApplianceSerializer.ALERTS_CHANGED, ApplianceSerializer.RESERVATION_BOOKED, ApplianceSerializer.RESERVATION_CANCELLED,
            ApplianceSerializer.RESERVATIONS_RELEASED, ApplianceSerializer.SNAPSHOT));
    assertEquals(7106, SERIALIZER.identifier());
  }

  @Test
  void theStoredFormHoldsNoDeviceSecret() {
    byte[] bytes = SERIALIZER.toBinary(new ApplianceProvisioned("washer-1", WASHER, ApplianceEntity.hashSecret("plain-secret"), "alice", AT));
    assertFalse(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).contains("plain-secret"));
  }

  @Test
  void unknownManifestOrCorruptBytesAreNotSerializable() throws IOException {
    byte[] bytes = GoldenSamples.committed("appliance.provisioned.bin");
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "appliance.renamed"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[] {(byte) 0xFF}, "appliance.provisioned"));
  }
}
