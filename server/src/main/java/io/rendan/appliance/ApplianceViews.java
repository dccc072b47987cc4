package io.rendan.appliance;

import com.google.protobuf.Timestamp;
import io.rendan.appliance.ApplianceState.State;
import io.rendan.emc.EmcApi;
import io.rendan.protocol.api.v1.Alert;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.ApplianceAlert;
import io.rendan.protocol.api.v1.Cycle;
import io.rendan.protocol.api.v1.InventoryItem;
import io.rendan.protocol.api.v1.MeteredCycle;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Reservation;
import io.rendan.protocol.api.v1.Tariff;
import io.rendan.protocol.api.v1.UsageTotals;
import io.rendan.pubsub.LiveTopics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The appliance as clients see it: the API messages made of its state, and the
 * live updates its changes push to {@code appliance/{id}} and, for alerts, to
 * the EMC's topic.
 */
public final class ApplianceViews {

  private ApplianceViews() {}

  // ---- live updates ---------------------------------------------------------------------------

  /**
   * Every change goes to {@code appliance/{id}} with seq = version; alerts
   * opened or cleared also go to the EMC's topic, with seq 0, since they are
   * not changes of the EMC. A push nobody can receive is not built: every
   * reading changes its appliance, and most appliances have no watcher.
   */
  static void publish(LiveTopics topics, String name, ApplianceEvents.Event event, State state, Clock clock) {
    topics.publish(
        ApplianceApi.TOPIC_PREFIX + state.applianceId(),
        () -> {
          Instant now = clock.instant();
          return Push.newBuilder()
              .setTopic(ApplianceApi.TOPIC_PREFIX + state.applianceId())
              .setSeq(state.version())
              .setAt(ts(now))
              .setEvent(name)
              .setAppliance(toProto(state, now))
              .build();
        });
    List<ApplianceState.Alert> opened = List.of();
    List<String> cleared = List.of();
    if (event instanceof ApplianceEvents.TelemetryRecorded t) {
      opened = t.alertsOpened();
      cleared = t.alertsCleared();
    } else if (event instanceof ApplianceEvents.AlertsChanged a) {
      opened = a.opened();
      cleared = a.cleared();
    }
    if (opened.isEmpty() && cleared.isEmpty()) {
      return;
    }
    String emcTopic = EmcApi.TOPIC_PREFIX + state.provisioning().emcId();
    Instant now = clock.instant();
    for (ApplianceState.Alert a : opened) {
      topics.publish(emcTopic, () -> alertPush(emcTopic, "appliance.alert-opened", state, toProto(a), true, now));
    }
    for (String alertId : cleared) {
      topics.publish(emcTopic, () -> alertPush(emcTopic, "appliance.alert-cleared", state, clearedAlert(alertId), false, now));
    }
  }

  private static Push alertPush(String topic, String name, State state, Alert alert, boolean open, Instant now) {
    return Push.newBuilder()
        .setTopic(topic)
        .setSeq(0)
        .setAt(ts(now))
        .setEvent(name)
        .setApplianceAlert(
            ApplianceAlert.newBuilder()
                .setApplianceId(state.applianceId())
                .setEmcId(state.provisioning().emcId())
                .setAlert(alert)
                .setOpen(open))
        .build();
  }

  /** A cleared alert is no longer in the state: its id says what it was. */
  private static Alert clearedAlert(String alertId) {
    Alert.Builder b = Alert.newBuilder().setAlertId(alertId);
    if (alertId.startsWith("fault:")) {
      b.setKind(Alert.Kind.FAULT).setSubject(alertId.substring("fault:".length()));
    } else if (alertId.startsWith("stale:")) {
      b.setKind(Alert.Kind.STALE).setSubject(alertId.substring("stale:".length()));
    } else {
      b.setKind(Alert.Kind.OFFLINE);
    }
    return b.build();
  }

  // ---- mapping --------------------------------------------------------------------------------

  /** The appliance as clients see it at {@code now}: deadlines the timer has not handled yet show as passed. */
  public static Appliance toProto(State s, Instant now) {
    Appliance.Builder b =
        Appliance.newBuilder()
            .setApplianceId(s.applianceId())
            .setVersion(s.version());
    if (!s.isProvisioned()) {
      return b.build();
    }
    ApplianceState.Provisioning p = s.provisioning();
    b.setEmcId(p.emcId())
        .setType(Appliance.Type.valueOf(p.type().name()))
        .setModel(p.model())
        .setLocation(p.location())
        .setTariff(Tariff.newBuilder().setAmountMinor(p.tariff().amountMinor()).setCurrency(p.tariff().currency()))
        .setConnectivity(
            s.lastSeenAt() == null
                ? Appliance.Connectivity.NEVER_SEEN
                : s.onlineAt(now) ? Appliance.Connectivity.ONLINE : Appliance.Connectivity.OFFLINE)
        .setDeviceState(s.deviceState())
        .setAckedSeq(s.lastSeq())
        .setUsage(
            UsageTotals.newBuilder()
                .setMeteredCycles(s.totals().meteredCycles())
                .setRevenueMinor(s.totals().revenueMinor())
                .setEnergyWh(s.totals().energyWh())
                .setWaterMl(s.totals().waterMl())
                .setReadings(s.totals().readings()))
        .setHeartbeatSeconds(p.heartbeatWindow().toSeconds())
        .setStaleWindowSeconds(p.staleWindow().toSeconds())
        .setSecretVersion(s.secretVersion())
        .setProvisionedAt(ts(s.provisionedAt()))
        .setFaulted(s.isFaulted());
    if (s.lastSeenAt() != null) {
      b.setLastSeenAt(ts(s.lastSeenAt()));
    }
    ApplianceState.Cycle c = s.currentCycle();
    if (c != null) {
      b.setCurrentCycle(
          Cycle.newBuilder()
              .setCycleId(c.cycleId())
              .setReservationId(c.reservationId())
              .setProgram(c.program())
              .setService(c.service())
              .setStartedAt(ts(c.startedAt())));
    }
    s.inventory().forEach(i -> b.addInventory(toProto(i)));
    s.alerts().values().forEach(a -> b.addAlerts(toProto(a)));
    List<ApplianceState.Reservation> reservations = new ArrayList<>(s.reservations().values());
    reservations.sort(Comparator.comparing(ApplianceState.Reservation::from).thenComparing(ApplianceState.Reservation::reservationId));
    reservations.forEach(r -> b.addReservations(toProto(s.applianceId(), r, now)));
    s.recentCycles().forEach(m -> b.addRecentCycles(toProto(m)));
    return b.build();
  }

  static Reservation toProto(String applianceId, ApplianceState.Reservation r, Instant now) {
    ApplianceState.ReservationStatus status =
        r.status() == ApplianceState.ReservationStatus.BOOKED && !now.isBefore(r.releaseAt())
            ? ApplianceState.ReservationStatus.NO_SHOW
            : r.status();
    return Reservation.newBuilder()
        .setReservationId(r.reservationId())
        .setApplianceId(applianceId)
        .setUserId(r.userId())
        .setFrom(ts(r.from()))
        .setTo(ts(r.to()))
        .setStatus(Reservation.Status.valueOf(status.name()))
        .setReleaseAt(ts(r.releaseAt()))
        .setCreatedAt(ts(r.createdAt()))
        .build();
  }

  static InventoryItem toProto(ApplianceState.Item i) {
    return InventoryItem.newBuilder()
        .setItemId(i.itemId())
        .setName(i.name())
        .setQuantity(i.quantity())
        .setBestBefore(ts(i.bestBefore()))
        .build();
  }

  static Alert toProto(ApplianceState.Alert a) {
    return Alert.newBuilder()
        .setAlertId(a.alertId())
        .setKind(Alert.Kind.valueOf(a.kind().name()))
        .setSubject(a.subject())
        .setMessage(a.message())
        .setOpenedAt(ts(a.openedAt()))
        .build();
  }

  static MeteredCycle toProto(ApplianceState.MeteredCycle m) {
    return MeteredCycle.newBuilder()
        .setRevenueId(m.revenueId())
        .setCycleId(m.cycleId())
        .setReservationId(m.reservationId())
        .setAmountMinor(m.amountMinor())
        .setCurrency(m.currency())
        .setEnergyWh(m.energyWh())
        .setWaterMl(m.waterMl())
        .setDurationSeconds(m.durationSeconds())
        .setFinishedAt(ts(m.finishedAt()))
        .build();
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }
}
