package io.rendan.appliance;

import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A state being changed: used by the event handler to apply an event, and by
 * the command handler to try a batch of readings before it becomes an event,
 * so both read the readings the same way.
 */
final class ApplianceDraft {
  /** Metered cycles kept in the state: what GET shows, and what a restarted cycle id is checked against. */
  static final int RECENT_CYCLES = 20;
  /** Finished (completed, cancelled, released) reservations kept in the state, besides the active ones. */
  static final int RESERVATION_HISTORY = 20;
  static final String OFFLINE_ALERT = "offline";

  final String applianceId;
  Provisioning provisioning;
  String secretHash;
  int secretVersion;
  Instant provisionedAt;
  String provisionedBy;
  String deviceState;
  long lastSeq;
  Instant lastSeenAt;
  Cycle currentCycle;
  List<Item> inventory;
  final Map<String, Alert> alerts;
  final Map<String, Reservation> reservations;
  final List<MeteredCycle> recentCycles;
  long meteredCycles;
  long revenueMinor;
  long energyWh;
  long waterMl;
  long readings;

  ApplianceDraft(State s) {
    applianceId = s.applianceId();
    provisioning = s.provisioning();
    secretHash = s.secretHash();
    secretVersion = s.secretVersion();
    provisionedAt = s.provisionedAt();
    provisionedBy = s.provisionedBy();
    deviceState = s.deviceState();
    lastSeq = s.lastSeq();
    lastSeenAt = s.lastSeenAt();
    currentCycle = s.currentCycle();
    inventory = s.inventory();
    alerts = new TreeMap<>(s.alerts());
    reservations = new LinkedHashMap<>(s.reservations());
    recentCycles = new ArrayList<>(s.recentCycles());
    meteredCycles = s.totals().meteredCycles();
    revenueMinor = s.totals().revenueMinor();
    energyWh = s.totals().energyWh();
    waterMl = s.totals().waterMl();
    readings = s.totals().readings();
  }

  /** What a reading does to the live state by itself; decisions are made in the command handler. */
  void live(Reading r, Instant at) {
    lastSeq = Math.max(lastSeq, r.seq());
    Body body = r.body();
    if (body instanceof StateChanged s) {
      deviceState = s.state();
    } else if (body instanceof CycleStarted c) {
      currentCycle = new Cycle(c.cycleId(), c.reservationId(), c.program(), c.service(), at);
    } else if (body instanceof CycleFinished f) {
      if (currentCycle != null && currentCycle.cycleId().equals(f.cycleId())) {
        currentCycle = null;
        energyWh += f.energyWh();
        waterMl += f.waterMl();
      }
    } else if (body instanceof InventoryReported i) {
      List<Item> sorted = new ArrayList<>(i.items());
      sorted.sort(Comparator.comparing(Item::itemId));
      inventory = sorted;
    }
  }

  void meter(MeteredCycle m) {
    meteredCycles++;
    revenueMinor += m.amountMinor();
    recentCycles.add(0, m);
    while (recentCycles.size() > RECENT_CYCLES) {
      recentCycles.remove(recentCycles.size() - 1);
    }
  }

  void updateReservation(String reservationId, ReservationStatus status) {
    reservations.computeIfPresent(reservationId, (id, r) -> r.withStatus(status));
  }

  /** Keeps every active reservation and the most recent finished ones. */
  void pruneReservations() {
    long finished = reservations.values().stream().filter(r -> r.status().finished()).count();
    Iterator<Reservation> it = reservations.values().iterator();
    while (finished > RESERVATION_HISTORY && it.hasNext()) {
      if (it.next().status().finished()) {
        it.remove();
        finished--;
      }
    }
  }

  /** Opens a STALE alert for every item within the stale window at {@code now}; clears the others. */
  void refreshStale(Instant now) {
    Map<String, Item> due = new TreeMap<>();
    for (Item item : inventory) {
      if (!now.isBefore(item.bestBefore().minus(provisioning.staleWindow()))) {
        due.put(staleAlertId(item.itemId()), item);
      }
    }
    alerts.values().removeIf(a -> a.kind() == AlertKind.STALE && !due.containsKey(a.alertId()));
    due.forEach(
        (id, item) ->
            alerts.computeIfAbsent(
                id,
                k ->
                    new Alert(
                        k,
                        AlertKind.STALE,
                        item.itemId(),
                        item.name() + " is best before " + item.bestBefore(),
                        now)));
  }

  State build(long version) {
    return new State(
        applianceId,
        provisioning,
        secretHash,
        secretVersion,
        provisionedAt,
        provisionedBy,
        deviceState,
        lastSeq,
        lastSeenAt,
        currentCycle,
        inventory,
        alerts,
        reservations,
        recentCycles,
        new Totals(meteredCycles, revenueMinor, energyWh, waterMl, readings),
        version);
  }

  static String faultAlertId(String code) {
    return "fault:" + code;
  }

  static String staleAlertId(String itemId) {
    return "stale:" + itemId;
  }

  static Instant earliest(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }
}
