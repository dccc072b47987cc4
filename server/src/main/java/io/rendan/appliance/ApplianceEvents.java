package io.rendan.appliance;

import io.rendan.appliance.ApplianceProtocol.Reading;
import io.rendan.appliance.ApplianceState.*;
import java.time.Instant;
import java.util.List;

/**
 * What {@link ApplianceEntity} stores: one event per accepted command, mapped to
 * protobuf by {@link ApplianceSerializer} under permanent manifests. A
 * namespace, implemented by nothing.
 */
public interface ApplianceEvents {

  public sealed interface Event
      permits ApplianceProvisioned,
          DeviceSecretRotated,
          TelemetryRecorded,
          AlertsChanged,
          ReservationBooked,
          ReservationCancelled,
          ReservationsReleased {
    String applianceId();

    Instant at();
  }

  public record ApplianceProvisioned(
      String applianceId, Provisioning provisioning, String secretHash, String provisionedBy, Instant at)
      implements Event {}

  public record DeviceSecretRotated(String applianceId, String secretHash, String rotatedBy, Instant at) implements Event {}

  /** One batch: its accepted readings, and the facts they caused. */
  public record TelemetryRecorded(
      String applianceId,
      List<Reading> readings,
      List<MeteredCycle> meteredCycles,
      List<Alert> alertsOpened,
      List<String> alertsCleared,
      List<ReservationUpdate> reservationUpdates,
      Instant at)
      implements Event {
    public TelemetryRecorded {
      readings = List.copyOf(readings);
      meteredCycles = List.copyOf(meteredCycles);
      alertsOpened = List.copyOf(alertsOpened);
      alertsCleared = List.copyOf(alertsCleared);
      reservationUpdates = List.copyOf(reservationUpdates);
    }
  }

  /** Alerts opened or cleared by the passing of time (offline, food going stale). */
  public record AlertsChanged(String applianceId, List<Alert> opened, List<String> cleared, Instant at) implements Event {
    public AlertsChanged {
      opened = List.copyOf(opened);
      cleared = List.copyOf(cleared);
    }
  }

  public record ReservationBooked(String applianceId, Reservation reservation, Instant at) implements Event {}

  public record ReservationCancelled(String applianceId, String reservationId, String cancelledBy, Instant at)
      implements Event {}

  /** Bookings nobody started a cycle for within the grace period: one event for all found due. */
  public record ReservationsReleased(String applianceId, List<String> reservationIds, Instant at) implements Event {
    public ReservationsReleased {
      reservationIds = List.copyOf(reservationIds);
    }
  }
}
