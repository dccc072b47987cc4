package io.rendan.appliance;

import io.rendan.appliance.ApplianceEvents.TelemetryRecorded;
import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a batch of readings does, decided once in the command handler so that the
 * event handler only applies stored facts: a seq already stored is a duplicate;
 * a seq not above the previous one, or too far above it, is refused; a reading a
 * rule refuses (a cycle that is not running, a cycle id used before) is answered
 * and left out; the rest change the live state and may meter a cycle, open or
 * clear a fault, and use a reservation.
 *
 * <p>The telemetry stream's hot path: one pass over the batch, one
 * {@link ApplianceDraft}, and nothing allocated per reading beyond what the
 * reading causes.
 */
final class TelemetryRules {

  private TelemetryRules() {}

  /** One batch decided: the event to store (null when no reading was accepted), and what the answer reports. */
  record Batch(TelemetryRecorded event, int duplicates, List<Refusal> refusals) {}

  static Batch decide(String applianceId, State state, List<Reading> readings, long maxSeqJump, Instant now) {
    ApplianceDraft draft = new ApplianceDraft(state);
    List<Reading> accepted = new ArrayList<>();
    List<Refusal> refusals = new ArrayList<>();
    List<MeteredCycle> metered = new ArrayList<>();
    Map<String, ReservationStatus> reservationUpdates = new LinkedHashMap<>();
    int duplicates = 0;
    long previous = state.lastSeq();
    for (Reading r : readings) {
      if (r.seq() <= state.lastSeq()) {
        duplicates++;
        continue;
      }
      if (r.seq() <= previous) {
        refusals.add(new Refusal(r.seq(), ApplianceCodes.SEQ_NOT_INCREASING, "seq " + r.seq() + " is not above " + previous));
        continue;
      }
      if (r.seq() - previous > maxSeqJump) {
        // Stored, such a seq would make every later reading a duplicate: the device would be silenced for good.
        refusals.add(
            new Refusal(
                r.seq(),
                ApplianceCodes.SEQ_JUMP,
                "seq " + r.seq() + " is more than " + maxSeqJump + " above " + previous + "; continue from " + (previous + 1)));
        continue;
      }
      Refusal refusal = check(draft, r);
      if (refusal != null) {
        refusals.add(refusal);
        continue;
      }
      consequences(applianceId, draft, r, now, metered, reservationUpdates);
      draft.live(r, now);
      accepted.add(r);
      previous = r.seq();
    }
    if (accepted.isEmpty()) {
      return new Batch(null, duplicates, refusals);
    }
    draft.alerts.remove(ApplianceDraft.OFFLINE_ALERT); // heard from again
    draft.refreshStale(now);
    List<Alert> opened =
        draft.alerts.values().stream().filter(a -> !a.equals(state.alerts().get(a.alertId()))).toList();
    List<String> cleared = state.alerts().keySet().stream().filter(id -> !draft.alerts.containsKey(id)).toList();
    TelemetryRecorded event =
        new TelemetryRecorded(
            applianceId,
            accepted,
            metered,
            opened,
            cleared,
            reservationUpdates.entrySet().stream().map(e -> new ReservationUpdate(e.getKey(), e.getValue())).toList(),
            now);
    return new Batch(event, duplicates, refusals);
  }

  /** A rule a reading breaks given what came before it, or null. */
  private static Refusal check(ApplianceDraft draft, Reading r) {
    if (r.body() instanceof CycleFinished f
        && (draft.currentCycle == null || !draft.currentCycle.cycleId().equals(f.cycleId()))) {
      return new Refusal(r.seq(), ApplianceCodes.CYCLE_UNKNOWN, "cycle " + f.cycleId() + " is not running");
    }
    if (r.body() instanceof CycleStarted c) {
      boolean running = draft.currentCycle != null && draft.currentCycle.cycleId().equals(c.cycleId());
      boolean finished = draft.recentCycles.stream().anyMatch(m -> m.cycleId().equals(c.cycleId()));
      if (running || finished) {
        return new Refusal(
            r.seq(), ApplianceCodes.CYCLE_CONFLICT, "cycle " + c.cycleId() + " was started before: cycle ids are never reused");
      }
    }
    return null;
  }

  /** What a reading causes beyond the live state: metering, alerts, reservations used. */
  private static void consequences(
      String applianceId, ApplianceDraft draft, Reading r, Instant now, List<MeteredCycle> metered, Map<String, ReservationStatus> reservationUpdates) {
    Body body = r.body();
    if (body instanceof CycleStarted c) {
      // A new cycle abandons a running one (power cut, restart): it is not charged, but
      // its reservation was served and must not hold the slot or the user's quota.
      Cycle abandoned = draft.currentCycle;
      if (abandoned != null && !abandoned.reservationId().isEmpty()) {
        Reservation used = draft.reservations.get(abandoned.reservationId());
        if (used != null && used.status() == ReservationStatus.IN_USE) {
          draft.updateReservation(used.reservationId(), ReservationStatus.COMPLETED);
          reservationUpdates.put(used.reservationId(), ReservationStatus.COMPLETED);
        }
      }
      Reservation reservation = c.reservationId().isEmpty() ? null : draft.reservations.get(c.reservationId());
      if (reservation != null && reservation.status() == ReservationStatus.BOOKED) {
        draft.updateReservation(c.reservationId(), ReservationStatus.IN_USE);
        reservationUpdates.put(c.reservationId(), ReservationStatus.IN_USE);
      }
    } else if (body instanceof CycleFinished f) {
      Cycle cycle = draft.currentCycle;
      Tariff tariff = draft.provisioning.tariff();
      if (!cycle.service() && tariff.amountMinor() > 0) {
        MeteredCycle m =
            new MeteredCycle(
                applianceId + ":" + cycle.cycleId(),
                cycle.cycleId(),
                cycle.reservationId(),
                tariff.amountMinor(),
                tariff.currency(),
                f.energyWh(),
                f.waterMl(),
                f.durationSeconds(),
                now);
        metered.add(m);
        draft.meter(m);
      }
      Reservation reservation = cycle.reservationId().isEmpty() ? null : draft.reservations.get(cycle.reservationId());
      if (reservation != null && reservation.status() == ReservationStatus.IN_USE) {
        draft.updateReservation(cycle.reservationId(), ReservationStatus.COMPLETED);
        reservationUpdates.put(cycle.reservationId(), ReservationStatus.COMPLETED);
      }
    } else if (body instanceof FaultReported f) {
      draft.alerts.putIfAbsent(
          ApplianceDraft.faultAlertId(f.code()),
          new Alert(ApplianceDraft.faultAlertId(f.code()), AlertKind.FAULT, f.code(), f.message().isEmpty() ? "fault " + f.code() : f.message(), now));
    } else if (body instanceof FaultCleared f) {
      if (f.code().isEmpty()) {
        draft.alerts.values().removeIf(a -> a.kind() == AlertKind.FAULT);
      } else {
        draft.alerts.remove(ApplianceDraft.faultAlertId(f.code()));
      }
    }
  }
}
