package io.rendan.appliance;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.appliance.ApplianceEntity.*;
import io.rendan.appliance.ApplianceEvents.*;
import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import io.rendan.protocol.persistence.v1.ApplianceSnapshot;
import io.rendan.protocol.persistence.v1.StoredAlert;
import io.rendan.protocol.persistence.v1.StoredCycle;
import io.rendan.protocol.persistence.v1.StoredItem;
import io.rendan.protocol.persistence.v1.StoredMeteredCycle;
import io.rendan.protocol.persistence.v1.StoredProvisioning;
import io.rendan.protocol.persistence.v1.StoredReading;
import io.rendan.protocol.persistence.v1.StoredReservation;
import io.rendan.protocol.persistence.v1.StoredReservationUpdate;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Stores the appliance's events and snapshot as the protobuf messages of
 * {@code rendan/persistence/v1/appliance.proto}, under short manifests that never change.
 */
public final class ApplianceSerializer extends SerializerWithStringManifest {
  static final String PROVISIONED = "appliance.provisioned";
  static final String SECRET_ROTATED = "appliance.secret-rotated";
  static final String TELEMETRY_RECORDED = "appliance.telemetry-recorded";
  static final String ALERTS_CHANGED = "appliance.alerts-changed";
  static final String RESERVATION_BOOKED = "appliance.reservation-booked";
  static final String RESERVATION_CANCELLED = "appliance.reservation-cancelled";
  static final String RESERVATIONS_RELEASED = "appliance.reservations-released";
  static final String SNAPSHOT = "appliance.snapshot";

  @Override
  public int identifier() {
    return 7106;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ApplianceProvisioned) return PROVISIONED;
    if (o instanceof DeviceSecretRotated) return SECRET_ROTATED;
    if (o instanceof TelemetryRecorded) return TELEMETRY_RECORDED;
    if (o instanceof AlertsChanged) return ALERTS_CHANGED;
    if (o instanceof ReservationBooked) return RESERVATION_BOOKED;
    if (o instanceof ReservationCancelled) return RESERVATION_CANCELLED;
    if (o instanceof ReservationsReleased) return RESERVATIONS_RELEASED;
    if (o instanceof State) return SNAPSHOT;
    throw new IllegalArgumentException("ApplianceSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof ApplianceProvisioned e) {
      return io.rendan.protocol.persistence.v1.ApplianceProvisioned.newBuilder()
          .setApplianceId(e.applianceId())
          .setProvisioning(provisioning(e.provisioning()))
          .setSecretHash(e.secretHash())
          .setProvisionedBy(e.provisionedBy())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof DeviceSecretRotated e) {
      return io.rendan.protocol.persistence.v1.ApplianceSecretRotated.newBuilder()
          .setApplianceId(e.applianceId())
          .setSecretHash(e.secretHash())
          .setRotatedBy(e.rotatedBy())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof TelemetryRecorded e) {
      var b = io.rendan.protocol.persistence.v1.ApplianceTelemetryRecorded.newBuilder().setApplianceId(e.applianceId());
      e.readings().forEach(r -> b.addReadings(reading(r)));
      e.meteredCycles().forEach(m -> b.addMeteredCycles(metered(m)));
      e.alertsOpened().forEach(a -> b.addAlertsOpened(alert(a)));
      b.addAllAlertsCleared(e.alertsCleared());
      e.reservationUpdates()
          .forEach(
              u ->
                  b.addReservationUpdates(
                      StoredReservationUpdate.newBuilder().setReservationId(u.reservationId()).setStatus(status(u.status()))));
      return b.setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof AlertsChanged e) {
      var b = io.rendan.protocol.persistence.v1.ApplianceAlertsChanged.newBuilder().setApplianceId(e.applianceId());
      e.opened().forEach(a -> b.addOpened(alert(a)));
      return b.addAllCleared(e.cleared()).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof ReservationBooked e) {
      return io.rendan.protocol.persistence.v1.ApplianceReservationBooked.newBuilder()
          .setApplianceId(e.applianceId())
          .setReservation(reservation(e.reservation()))
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof ReservationCancelled e) {
      return io.rendan.protocol.persistence.v1.ApplianceReservationCancelled.newBuilder()
          .setApplianceId(e.applianceId())
          .setReservationId(e.reservationId())
          .setCancelledBy(e.cancelledBy())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof ReservationsReleased e) {
      return io.rendan.protocol.persistence.v1.ApplianceReservationsReleased.newBuilder()
          .setApplianceId(e.applianceId())
          .addAllReservationIds(e.reservationIds())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof State s) {
      return snapshot(s).toByteArray();
    }
    throw new IllegalArgumentException("ApplianceSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case PROVISIONED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceProvisioned.parseFrom(bytes);
          yield new ApplianceProvisioned(
              p.getApplianceId(), provisioning(p.getProvisioning()), p.getSecretHash(), p.getProvisionedBy(), instant(p.getAt()));
        }
        case SECRET_ROTATED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceSecretRotated.parseFrom(bytes);
          yield new DeviceSecretRotated(p.getApplianceId(), p.getSecretHash(), p.getRotatedBy(), instant(p.getAt()));
        }
        case TELEMETRY_RECORDED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceTelemetryRecorded.parseFrom(bytes);
          List<Reading> readings = new ArrayList<>(p.getReadingsCount());
          for (StoredReading r : p.getReadingsList()) {
            readings.add(reading(r));
          }
          yield new TelemetryRecorded(
              p.getApplianceId(),
              readings,
              p.getMeteredCyclesList().stream().map(ApplianceSerializer::metered).toList(),
              p.getAlertsOpenedList().stream().map(ApplianceSerializer::alert).toList(),
              List.copyOf(p.getAlertsClearedList()),
              p.getReservationUpdatesList().stream()
                  .map(u -> new ReservationUpdate(u.getReservationId(), status(u.getStatus())))
                  .toList(),
              instant(p.getAt()));
        }
        case ALERTS_CHANGED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceAlertsChanged.parseFrom(bytes);
          yield new AlertsChanged(
              p.getApplianceId(),
              p.getOpenedList().stream().map(ApplianceSerializer::alert).toList(),
              List.copyOf(p.getClearedList()),
              instant(p.getAt()));
        }
        case RESERVATION_BOOKED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceReservationBooked.parseFrom(bytes);
          yield new ReservationBooked(p.getApplianceId(), reservation(p.getReservation()), instant(p.getAt()));
        }
        case RESERVATION_CANCELLED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceReservationCancelled.parseFrom(bytes);
          yield new ReservationCancelled(p.getApplianceId(), p.getReservationId(), p.getCancelledBy(), instant(p.getAt()));
        }
        case RESERVATIONS_RELEASED -> {
          var p = io.rendan.protocol.persistence.v1.ApplianceReservationsReleased.parseFrom(bytes);
          yield new ReservationsReleased(p.getApplianceId(), List.copyOf(p.getReservationIdsList()), instant(p.getAt()));
        }
        case SNAPSHOT -> state(ApplianceSnapshot.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown appliance manifest " + manifest);
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  // ---- snapshot -------------------------------------------------------------------------------

  private static ApplianceSnapshot snapshot(State s) {
    ApplianceSnapshot.Builder b = ApplianceSnapshot.newBuilder().setApplianceId(s.applianceId()).setVersion(s.version());
    if (!s.isProvisioned()) {
      return b.build();
    }
    b.setProvisioning(provisioning(s.provisioning()))
        .setSecretHash(s.secretHash())
        .setSecretVersion(s.secretVersion())
        .setProvisionedAt(ts(s.provisionedAt()))
        .setProvisionedBy(s.provisionedBy())
        .setDeviceState(s.deviceState())
        .setLastSeq(s.lastSeq())
        .setMeteredCycles(s.totals().meteredCycles())
        .setRevenueMinor(s.totals().revenueMinor())
        .setEnergyWh(s.totals().energyWh())
        .setWaterMl(s.totals().waterMl())
        .setReadings(s.totals().readings());
    if (s.lastSeenAt() != null) {
      b.setLastSeenAt(ts(s.lastSeenAt()));
    }
    Cycle c = s.currentCycle();
    if (c != null) {
      b.setCurrentCycle(
          StoredCycle.newBuilder()
              .setCycleId(c.cycleId())
              .setReservationId(c.reservationId())
              .setProgram(c.program())
              .setService(c.service())
              .setStartedAt(ts(c.startedAt())));
    }
    s.inventory().forEach(i -> b.addInventory(item(i)));
    s.alerts().values().forEach(a -> b.addAlerts(alert(a)));
    s.reservations().values().forEach(r -> b.addReservations(reservation(r)));
    s.recentCycles().forEach(m -> b.addRecentCycles(metered(m)));
    return b.build();
  }

  private static State state(ApplianceSnapshot p) {
    if (!p.hasProvisioning()) {
      return new State(
          p.getApplianceId(), null, null, 0, null, null, "", 0, null, null, List.of(), Map.of(), Map.of(), List.of(), Totals.ZERO, p.getVersion());
    }
    Cycle cycle = null;
    if (p.hasCurrentCycle()) {
      StoredCycle c = p.getCurrentCycle();
      cycle = new Cycle(c.getCycleId(), c.getReservationId(), c.getProgram(), c.getService(), instant(c.getStartedAt()));
    }
    Map<String, Alert> alerts = new TreeMap<>();
    p.getAlertsList().forEach(a -> alerts.put(a.getAlertId(), alert(a)));
    Map<String, Reservation> reservations = new LinkedHashMap<>();
    p.getReservationsList().forEach(r -> reservations.put(r.getReservationId(), reservation(r)));
    return new State(
        p.getApplianceId(),
        provisioning(p.getProvisioning()),
        p.getSecretHash(),
        p.getSecretVersion(),
        instant(p.getProvisionedAt()),
        p.getProvisionedBy(),
        p.getDeviceState(),
        p.getLastSeq(),
        p.hasLastSeenAt() ? instant(p.getLastSeenAt()) : null,
        cycle,
        p.getInventoryList().stream().map(ApplianceSerializer::item).toList(),
        alerts,
        reservations,
        p.getRecentCyclesList().stream().map(ApplianceSerializer::metered).toList(),
        new Totals(p.getMeteredCycles(), p.getRevenueMinor(), p.getEnergyWh(), p.getWaterMl(), p.getReadings()),
        p.getVersion());
  }

  // ---- parts ----------------------------------------------------------------------------------

  static StoredProvisioning provisioning(Provisioning p) {
    return StoredProvisioning.newBuilder()
        .setEmcId(p.emcId())
        .setType(type(p.type()))
        .setModel(p.model())
        .setLocation(p.location())
        .setTariffAmountMinor(p.tariff().amountMinor())
        .setTariffCurrency(p.tariff().currency())
        .setHeartbeatSeconds(p.heartbeatWindow().toSeconds())
        .setStaleWindowSeconds(p.staleWindow().toSeconds())
        .build();
  }

  static Provisioning provisioning(StoredProvisioning p) {
    return new Provisioning(
        p.getEmcId(),
        type(p.getType()),
        p.getModel(),
        p.getLocation(),
        new Tariff(p.getTariffAmountMinor(), p.getTariffCurrency()),
        Duration.ofSeconds(p.getHeartbeatSeconds()),
        Duration.ofSeconds(p.getStaleWindowSeconds()));
  }

  static StoredReading reading(Reading r) {
    StoredReading.Builder b = StoredReading.newBuilder().setSeq(r.seq());
    if (r.deviceAt() != null) {
      b.setDeviceAt(ts(r.deviceAt()));
    }
    Body body = r.body();
    if (body instanceof StateChanged s) {
      b.setStateChanged(StoredReading.StateChanged.newBuilder().setState(s.state()));
    } else if (body instanceof CycleStarted c) {
      b.setCycleStarted(
          StoredReading.CycleStarted.newBuilder()
              .setCycleId(c.cycleId())
              .setReservationId(c.reservationId())
              .setProgram(c.program())
              .setService(c.service()));
    } else if (body instanceof CycleFinished f) {
      b.setCycleFinished(
          StoredReading.CycleFinished.newBuilder()
              .setCycleId(f.cycleId())
              .setEnergyWh(f.energyWh())
              .setWaterMl(f.waterMl())
              .setDurationSeconds(f.durationSeconds()));
    } else if (body instanceof FaultReported f) {
      b.setFaultReported(StoredReading.FaultReported.newBuilder().setCode(f.code()).setMessage(f.message()));
    } else if (body instanceof FaultCleared f) {
      b.setFaultCleared(StoredReading.FaultCleared.newBuilder().setCode(f.code()));
    } else if (body instanceof InventoryReported i) {
      StoredReading.InventoryReported.Builder items = StoredReading.InventoryReported.newBuilder();
      i.items().forEach(item -> items.addItems(item(item)));
      b.setInventoryReported(items);
    } else if (body instanceof Heartbeat) {
      b.setHeartbeat(StoredReading.Heartbeat.getDefaultInstance());
    }
    return b.build();
  }

  static Reading reading(StoredReading r) {
    Body body =
        switch (r.getBodyCase()) {
          case STATE_CHANGED -> new StateChanged(r.getStateChanged().getState());
          case CYCLE_STARTED -> {
            var c = r.getCycleStarted();
            yield new CycleStarted(c.getCycleId(), c.getReservationId(), c.getProgram(), c.getService());
          }
          case CYCLE_FINISHED -> {
            var f = r.getCycleFinished();
            yield new CycleFinished(f.getCycleId(), f.getEnergyWh(), f.getWaterMl(), f.getDurationSeconds());
          }
          case FAULT_REPORTED -> new FaultReported(r.getFaultReported().getCode(), r.getFaultReported().getMessage());
          case FAULT_CLEARED -> new FaultCleared(r.getFaultCleared().getCode());
          case INVENTORY_REPORTED ->
              new InventoryReported(r.getInventoryReported().getItemsList().stream().map(ApplianceSerializer::item).toList());
          case HEARTBEAT -> new Heartbeat();
          case BODY_NOT_SET -> throw new IllegalArgumentException("stored reading " + r.getSeq() + " has no body");
        };
    return new Reading(r.getSeq(), r.hasDeviceAt() ? instant(r.getDeviceAt()) : null, body);
  }

  static StoredItem item(Item i) {
    return StoredItem.newBuilder()
        .setItemId(i.itemId())
        .setName(i.name())
        .setQuantity(i.quantity())
        .setBestBefore(ts(i.bestBefore()))
        .build();
  }

  static Item item(StoredItem i) {
    return new Item(i.getItemId(), i.getName(), i.getQuantity(), instant(i.getBestBefore()));
  }

  static StoredAlert alert(Alert a) {
    return StoredAlert.newBuilder()
        .setAlertId(a.alertId())
        .setKind(
            switch (a.kind()) {
              case FAULT -> io.rendan.protocol.persistence.v1.AlertKind.ALERT_KIND_FAULT;
              case OFFLINE -> io.rendan.protocol.persistence.v1.AlertKind.ALERT_KIND_OFFLINE;
              case STALE -> io.rendan.protocol.persistence.v1.AlertKind.ALERT_KIND_STALE;
            })
        .setSubject(a.subject())
        .setMessage(a.message())
        .setOpenedAt(ts(a.openedAt()))
        .build();
  }

  static Alert alert(StoredAlert a) {
    AlertKind kind =
        switch (a.getKind()) {
          case ALERT_KIND_FAULT -> AlertKind.FAULT;
          case ALERT_KIND_OFFLINE -> AlertKind.OFFLINE;
          case ALERT_KIND_STALE -> AlertKind.STALE;
          default -> throw new IllegalArgumentException("stored alert kind " + a.getKind());
        };
    return new Alert(a.getAlertId(), kind, a.getSubject(), a.getMessage(), instant(a.getOpenedAt()));
  }

  static StoredMeteredCycle metered(MeteredCycle m) {
    return StoredMeteredCycle.newBuilder()
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

  static MeteredCycle metered(StoredMeteredCycle m) {
    return new MeteredCycle(
        m.getRevenueId(),
        m.getCycleId(),
        m.getReservationId(),
        m.getAmountMinor(),
        m.getCurrency(),
        m.getEnergyWh(),
        m.getWaterMl(),
        m.getDurationSeconds(),
        instant(m.getFinishedAt()));
  }

  static StoredReservation reservation(Reservation r) {
    return StoredReservation.newBuilder()
        .setReservationId(r.reservationId())
        .setUserId(r.userId())
        .setFrom(ts(r.from()))
        .setTo(ts(r.to()))
        .setStatus(status(r.status()))
        .setReleaseAt(ts(r.releaseAt()))
        .setCreatedAt(ts(r.createdAt()))
        .build();
  }

  static Reservation reservation(StoredReservation r) {
    return new Reservation(
        r.getReservationId(),
        r.getUserId(),
        instant(r.getFrom()),
        instant(r.getTo()),
        status(r.getStatus()),
        instant(r.getReleaseAt()),
        instant(r.getCreatedAt()));
  }

  static io.rendan.protocol.persistence.v1.ReservationStatus status(ReservationStatus s) {
    return switch (s) {
      case BOOKED -> io.rendan.protocol.persistence.v1.ReservationStatus.RESERVATION_STATUS_BOOKED;
      case IN_USE -> io.rendan.protocol.persistence.v1.ReservationStatus.RESERVATION_STATUS_IN_USE;
      case COMPLETED -> io.rendan.protocol.persistence.v1.ReservationStatus.RESERVATION_STATUS_COMPLETED;
      case CANCELLED -> io.rendan.protocol.persistence.v1.ReservationStatus.RESERVATION_STATUS_CANCELLED;
      case NO_SHOW -> io.rendan.protocol.persistence.v1.ReservationStatus.RESERVATION_STATUS_NO_SHOW;
    };
  }

  static ReservationStatus status(io.rendan.protocol.persistence.v1.ReservationStatus s) {
    return switch (s) {
      case RESERVATION_STATUS_BOOKED -> ReservationStatus.BOOKED;
      case RESERVATION_STATUS_IN_USE -> ReservationStatus.IN_USE;
      case RESERVATION_STATUS_COMPLETED -> ReservationStatus.COMPLETED;
      case RESERVATION_STATUS_CANCELLED -> ReservationStatus.CANCELLED;
      case RESERVATION_STATUS_NO_SHOW -> ReservationStatus.NO_SHOW;
      default -> throw new IllegalArgumentException("stored reservation status " + s);
    };
  }

  static io.rendan.protocol.persistence.v1.ApplianceType type(Type t) {
    return switch (t) {
      case WASHER -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_WASHER;
      case DRYER -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_DRYER;
      case FRIDGE -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_FRIDGE;
      case OVEN -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_OVEN;
      case DISHWASHER -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_DISHWASHER;
      case OTHER -> io.rendan.protocol.persistence.v1.ApplianceType.APPLIANCE_TYPE_OTHER;
    };
  }

  static Type type(io.rendan.protocol.persistence.v1.ApplianceType t) {
    return switch (t) {
      case APPLIANCE_TYPE_WASHER -> Type.WASHER;
      case APPLIANCE_TYPE_DRYER -> Type.DRYER;
      case APPLIANCE_TYPE_FRIDGE -> Type.FRIDGE;
      case APPLIANCE_TYPE_OVEN -> Type.OVEN;
      case APPLIANCE_TYPE_DISHWASHER -> Type.DISHWASHER;
      case APPLIANCE_TYPE_OTHER -> Type.OTHER;
      default -> throw new IllegalArgumentException("stored appliance type " + t);
    };
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
