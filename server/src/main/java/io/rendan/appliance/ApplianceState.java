package io.rendan.appliance;

import io.rendan.appliance.ApplianceEvents.*;
import io.rendan.appliance.ApplianceProtocol.Reading;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state of {@link ApplianceEntity} and the values it is made of; the event
 * handler is {@link State#apply}, which changes it through an {@code ApplianceDraft}.
 * A namespace, implemented by nothing.
 */
public interface ApplianceState {

  public enum Type {
    WASHER,
    DRYER,
    FRIDGE,
    OVEN,
    DISHWASHER,
    OTHER;

    /** A fridge is used by everyone at once; the others are booked by the slot. */
    public boolean bookable() {
      return this != FRIDGE;
    }
  }

  public enum AlertKind {
    FAULT,
    OFFLINE,
    STALE
  }

  public enum ReservationStatus {
    BOOKED,
    IN_USE,
    COMPLETED,
    CANCELLED,
    NO_SHOW;

    boolean finished() {
      return this == COMPLETED || this == CANCELLED || this == NO_SHOW;
    }
  }

  public record Tariff(long amountMinor, String currency) {}

  /** What an appliance is, as provisioned. */
  public record Provisioning(
      String emcId,
      Type type,
      String model,
      String location,
      Tariff tariff,
      Duration heartbeatWindow,
      Duration staleWindow) {}

  public record Cycle(String cycleId, String reservationId, String program, boolean service, Instant startedAt) {}

  public record Item(String itemId, String name, int quantity, Instant bestBefore) {}

  public record Alert(String alertId, AlertKind kind, String subject, String message, Instant openedAt) {}

  public record Reservation(
      String reservationId,
      String userId,
      Instant from,
      Instant to,
      ReservationStatus status,
      Instant releaseAt,
      Instant createdAt) {

    /** Holds its slot: in use, or booked and not yet past its release. */
    public boolean activeAt(Instant now) {
      return status == ReservationStatus.IN_USE || (status == ReservationStatus.BOOKED && now.isBefore(releaseAt));
    }

    boolean overlaps(Instant otherFrom, Instant otherTo) {
      return from.isBefore(otherTo) && otherFrom.isBefore(to);
    }

    Reservation withStatus(ReservationStatus next) {
      return new Reservation(reservationId, userId, from, to, next, releaseAt, createdAt);
    }
  }

  /** A finished paid cycle; {@code revenueId} is {@code "{applianceId}:{cycleId}"}. */
  public record MeteredCycle(
      String revenueId,
      String cycleId,
      String reservationId,
      long amountMinor,
      String currency,
      long energyWh,
      long waterMl,
      long durationSeconds,
      Instant finishedAt) {}

  public record Totals(long meteredCycles, long revenueMinor, long energyWh, long waterMl, long readings) {
    static final Totals ZERO = new Totals(0, 0, 0, 0, 0);
  }

  public record ReservationUpdate(String reservationId, ReservationStatus status) {}

  /**
   * The appliance; {@code provisioning == null} until it is provisioned.
   * {@code lastSeq} is the highest device sequence number stored,
   * {@code version} the number of events applied.
   */
  public record State(
      String applianceId,
      Provisioning provisioning,
      String secretHash,
      int secretVersion,
      Instant provisionedAt,
      String provisionedBy,
      String deviceState,
      long lastSeq,
      Instant lastSeenAt,
      Cycle currentCycle,
      List<Item> inventory,
      Map<String, Alert> alerts,
      Map<String, Reservation> reservations,
      List<MeteredCycle> recentCycles,
      Totals totals,
      long version) {

    public State {
      inventory = List.copyOf(inventory);
      alerts = Collections.unmodifiableMap(new TreeMap<>(alerts));
      reservations = Collections.unmodifiableMap(new LinkedHashMap<>(reservations));
      recentCycles = List.copyOf(recentCycles);
    }

    static State empty(String applianceId) {
      return new State(
          applianceId, null, null, 0, null, null, "", 0, null, null, List.of(), Map.of(), Map.of(), List.of(), Totals.ZERO, 0);
    }

    public boolean isProvisioned() {
      return provisioning != null;
    }

    public boolean isFaulted() {
      return alerts.values().stream().anyMatch(a -> a.kind() == AlertKind.FAULT);
    }

    /** Heard from, and not yet marked offline (the timer may not have fired: see {@link #onlineAt}). */
    public boolean isOnline() {
      return lastSeenAt != null && !alerts.containsKey(ApplianceDraft.OFFLINE_ALERT);
    }

    /** Online as the clock says now, whether or not the offline timer has fired yet. */
    public boolean onlineAt(Instant now) {
      return isOnline() && now.isBefore(lastSeenAt.plus(provisioning.heartbeatWindow()));
    }

    /** The earliest deadline the entity must act on, or null. */
    Instant nextDeadline() {
      if (!isProvisioned()) {
        return null;
      }
      Instant next = isOnline() ? lastSeenAt.plus(provisioning.heartbeatWindow()) : null;
      for (Item item : inventory) {
        if (!alerts.containsKey(ApplianceDraft.staleAlertId(item.itemId()))) {
          next = ApplianceDraft.earliest(next, item.bestBefore().minus(provisioning.staleWindow()));
        }
      }
      for (Reservation r : reservations.values()) {
        if (r.status() == ReservationStatus.BOOKED) {
          next = ApplianceDraft.earliest(next, r.releaseAt());
        }
      }
      return next;
    }

    State apply(Event event) {
      ApplianceDraft d = new ApplianceDraft(this);
      if (event instanceof ApplianceProvisioned e) {
        d.provisioning = e.provisioning();
        d.secretHash = e.secretHash();
        d.secretVersion = 1;
        d.provisionedAt = e.at();
        d.provisionedBy = e.provisionedBy();
      } else if (event instanceof DeviceSecretRotated e) {
        d.secretHash = e.secretHash();
        d.secretVersion++;
      } else if (event instanceof TelemetryRecorded e) {
        for (Reading r : e.readings()) {
          d.live(r, e.at());
        }
        e.meteredCycles().forEach(d::meter);
        e.alertsCleared().forEach(d.alerts::remove);
        e.alertsOpened().forEach(a -> d.alerts.put(a.alertId(), a));
        e.reservationUpdates().forEach(u -> d.updateReservation(u.reservationId(), u.status()));
        d.lastSeenAt = e.at();
        d.readings += e.readings().size();
      } else if (event instanceof AlertsChanged e) {
        e.cleared().forEach(d.alerts::remove);
        e.opened().forEach(a -> d.alerts.put(a.alertId(), a));
      } else if (event instanceof ReservationBooked e) {
        d.reservations.put(e.reservation().reservationId(), e.reservation());
      } else if (event instanceof ReservationCancelled e) {
        d.updateReservation(e.reservationId(), ReservationStatus.CANCELLED);
      } else if (event instanceof ReservationsReleased e) {
        e.reservationIds().forEach(id -> d.updateReservation(id, ReservationStatus.NO_SHOW));
      } else {
        throw new IllegalStateException("unknown event " + event.getClass());
      }
      d.pruneReservations();
      return d.build(version + 1);
    }
  }
}
