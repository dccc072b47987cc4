package io.rendan.appliance;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.rendan.CborSerializable;
import io.rendan.vocabulary.CommonCodes;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A connected appliance of an EMC: what it is and costs, its device secret (as a
 * hash), its live state as the device streams it, the cycles it has metered,
 * its open alerts and its reservations.
 *
 * <p>Telemetry arrives in batches ({@link RecordTelemetry}); a batch is stored
 * as one event that carries the accepted readings and everything they caused
 * (metered cycles, alerts opened and cleared, reservations used), so the event
 * handler applies stored facts and never decides anything again. Device
 * sequence numbers make a resent reading a duplicate that changes nothing.
 *
 * <p>Deadlines (offline after the heartbeat window, food going stale, a booking
 * nobody showed up for) are the entity's own: one timer at the earliest of
 * them, re-armed after every change and on recovery. The entity's clock
 * decides; a command never relies on the timer having fired.
 *
 * <p>Events that carry metered cycles are tagged {@code appliance-usage-{slice}}:
 * the journal is the at-least-once source from which revenue will be delivered
 * to the EMC, keyed by {@code revenueId} so that it is applied once. The
 * provisioning is tagged {@code appliance-directory-{slice}}: the source of the
 * EMC's listing of appliances ({@link ApplianceDirectory}).
 */
public final class ApplianceEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ApplianceEntity.Command, ApplianceEntity.Event, ApplianceEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Appliance");
  /** Metered cycles kept in the state: what GET shows, and what a restarted cycle id is checked against. */
  static final int RECENT_CYCLES = 20;
  /** Finished (completed, cancelled, released) reservations kept in the state, besides the active ones. */
  static final int RESERVATION_HISTORY = 20;
  static final String OFFLINE_ALERT = "offline";

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

  // ---- readings -------------------------------------------------------------------------------

  /** One reading of the device, validated by the ingest. {@code deviceAt} may be null. */
  public record Reading(long seq, Instant deviceAt, Body body) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = StateChanged.class, name = "state"),
    @JsonSubTypes.Type(value = CycleStarted.class, name = "cycle-started"),
    @JsonSubTypes.Type(value = CycleFinished.class, name = "cycle-finished"),
    @JsonSubTypes.Type(value = FaultReported.class, name = "fault"),
    @JsonSubTypes.Type(value = FaultCleared.class, name = "fault-cleared"),
    @JsonSubTypes.Type(value = InventoryReported.class, name = "inventory"),
    @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat")
  })
  public sealed interface Body
      permits StateChanged, CycleStarted, CycleFinished, FaultReported, FaultCleared, InventoryReported, Heartbeat {}

  public record StateChanged(String state) implements Body {}

  public record CycleStarted(String cycleId, String reservationId, String program, boolean service) implements Body {}

  public record CycleFinished(String cycleId, long energyWh, long waterMl, long durationSeconds) implements Body {}

  public record FaultReported(String code, String message) implements Body {}

  /** An empty code clears every fault. */
  public record FaultCleared(String code) implements Body {}

  /** Everything inside now; replaces the previous report. */
  public record InventoryReported(List<Item> items) implements Body {
    public InventoryReported {
      items = List.copyOf(items);
    }
  }

  public record Heartbeat() implements Body {}

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits ProvisionAppliance,
          GetAppliance,
          RotateDeviceSecret,
          AuthenticateDevice,
          RecordTelemetry,
          BookReservation,
          CancelReservation,
          Tick {}

  /** {@code secretHash}: SHA-256 of the new device secret, base64; the entity never sees the secret. */
  public record ProvisionAppliance(
      Provisioning provisioning, String secretHash, String provisionedBy, ActorRef<Reply> replyTo) implements Command {}

  public record GetAppliance(ActorRef<Reply> replyTo) implements Command {}

  public record RotateDeviceSecret(String secretHash, String rotatedBy, ActorRef<Reply> replyTo) implements Command {}

  /** Answered {@link DeviceAuthenticated} when the hash is the stored one (compared in constant time). */
  public record AuthenticateDevice(String secretHash, ActorRef<Reply> replyTo) implements Command {}

  /**
   * One batch of a device's stream, in the order sent, strictly increasing in
   * seq. {@code secretVersion} is the one the stream authenticated with: after a
   * rotation, streams opened with the old secret are refused.
   */
  public record RecordTelemetry(int secretVersion, List<Reading> readings, ActorRef<Reply> replyTo) implements Command {
    public RecordTelemetry {
      readings = List.copyOf(readings);
    }
  }

  public record BookReservation(String reservationId, String userId, Instant from, Instant to, ActorRef<Reply> replyTo)
      implements Command {}

  /** By the user who booked it ({@code byOperator == false}) or by an operator of the EMC's owner. */
  public record CancelReservation(String reservationId, String cancelledBy, boolean byOperator, ActorRef<Reply> replyTo)
      implements Command {}

  /** From the entity's own timer: handle whatever deadline is due. */
  public enum Tick implements Command {
    INSTANCE
  }

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected, DeviceAuthenticated, Recorded {}

  public record Accepted(State appliance, boolean created) implements Reply {}

  public record Rejected(String code, String message) implements Reply {}

  public record DeviceAuthenticated(long ackedSeq, int secretVersion) implements Reply {}

  /** A reading refused by a rule of the entity; nothing of it was stored. */
  public record Refusal(long seq, String code, String message) {}

  /** What happened to a batch: {@code ackedSeq} is the highest seq now stored. */
  public record Recorded(long ackedSeq, int stored, int duplicates, List<Refusal> refusals) implements Reply {
    public Recorded {
      refusals = List.copyOf(refusals);
    }
  }

  // ---- events ---------------------------------------------------------------------------------

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

  // ---- state ----------------------------------------------------------------------------------

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
      return lastSeenAt != null && !alerts.containsKey(OFFLINE_ALERT);
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
        if (!alerts.containsKey(staleAlertId(item.itemId()))) {
          next = earliest(next, item.bestBefore().minus(provisioning.staleWindow()));
        }
      }
      for (Reservation r : reservations.values()) {
        if (r.status() == ReservationStatus.BOOKED) {
          next = earliest(next, r.releaseAt());
        }
      }
      return next;
    }

    State apply(Event event) {
      Draft d = new Draft(this);
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

  static String faultAlertId(String code) {
    return "fault:" + code;
  }

  static String staleAlertId(String itemId) {
    return "stale:" + itemId;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }

  /**
   * A state being changed: used by the event handler to apply an event, and by
   * the command handler to try a batch of readings before it becomes an event,
   * so both read the readings the same way.
   */
  static final class Draft {
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

    Draft(State s) {
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
  }

  /** Where live changes go; the real one publishes to {@code appliance/{id}} (and alerts to the EMC's topic). */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String eventName, Event event, State appliance);
  }

  /**
   * Tunables of the entity, from {@code rendan.appliance}; {@code maxSeqJump}: how
   * far above the highest stored seq a reading may be (ingest.max-seq-jump).
   */
  public record Settings(
      int snapshotEvery,
      Duration backoffMin,
      Duration backoffMax,
      int tagSlices,
      Duration noShowGrace,
      int maxReservationsPerUser,
      long maxSeqJump) {
    public static final long DEFAULT_MAX_SEQ_JUMP = 1_000_000_000L;

    public Settings(
        int snapshotEvery, Duration backoffMin, Duration backoffMax, int tagSlices, Duration noShowGrace, int maxReservationsPerUser) {
      this(snapshotEvery, backoffMin, backoffMax, tagSlices, noShowGrace, maxReservationsPerUser, DEFAULT_MAX_SEQ_JUMP);
    }
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String applianceId, Settings settings, ChangePublisher publisher, Clock clock) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new ApplianceEntity(ctx, timers, applianceId, settings, publisher, clock)));
  }

  public static PersistenceId persistenceId(String applianceId) {
    return PersistenceId.of(TYPE_KEY.name(), applianceId);
  }

  /** The tag of events that carry metered cycles: one of {@code slices}, stable for an id. */
  public static String usageTag(String applianceId, int slices) {
    return "appliance-usage-" + Math.floorMod(applianceId.hashCode(), slices);
  }

  /** The tag of events that change an EMC's listing of appliances (provisioning): one of {@code slices}. */
  public static String directoryTag(String applianceId, int slices) {
    return "appliance-directory-" + Math.floorMod(applianceId.hashCode(), slices);
  }

  /** SHA-256 of a device secret, base64: the only form in which a secret is kept. */
  public static String hashSecret(String secret) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String applianceId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;
  /** When the armed timer fires; null when none is armed. */
  private Instant armedFor;

  private ApplianceEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String applianceId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock) {
    super(
        persistenceId(applianceId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.context = context;
    this.timers = timers;
    this.applianceId = applianceId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.empty(applianceId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return tagsOf(applianceId, event, settings.tagSlices());
  }

  /**
   * Only what the projections need to follow (revenue delivery, the EMC's
   * listing): keeps the tag table small under telemetry load.
   */
  static Set<String> tagsOf(String applianceId, Event event, int slices) {
    if (event instanceof TelemetryRecorded t && !t.meteredCycles().isEmpty()) {
      return Set.of(usageTag(applianceId, slices));
    }
    if (event instanceof ApplianceProvisioned) {
      return Set.of(directoryTag(applianceId, slices));
    }
    return Set.of();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

    builder
        .forState(state -> !state.isProvisioned())
        .onCommand(ProvisionAppliance.class, this::provision)
        .onCommand(AuthenticateDevice.class, (s, c) -> Effect().reply(c.replyTo(), wrongSecret()))
        .onCommand(RecordTelemetry.class, (s, c) -> Effect().reply(c.replyTo(), wrongSecret()))
        .onCommand(Tick.class, (s, c) -> Effect().noReply())
        .onAnyCommand((s, c) -> Effect().reply(replyTo(c), notFound()));

    builder
        .forAnyState()
        .onCommand(ProvisionAppliance.class, this::provisionAgain)
        .onCommand(GetAppliance.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(RotateDeviceSecret.class, this::rotateSecret)
        .onCommand(AuthenticateDevice.class, this::authenticate)
        .onCommand(RecordTelemetry.class, this::record)
        .onCommand(BookReservation.class, this::book)
        .onCommand(CancelReservation.class, this::cancel)
        .onCommand(Tick.class, this::tick);

    return builder.build();
  }

  private ReplyEffect<Event, State> provision(State state, ProvisionAppliance cmd) {
    return persist(
        new ApplianceProvisioned(applianceId, cmd.provisioning(), cmd.secretHash(), cmd.provisionedBy(), clock.instant()),
        "appliance.provisioned",
        cmd.replyTo(),
        true);
  }

  /** The same provisioning again (a retry) gets the appliance, without a new secret; anything else conflicts. */
  private ReplyEffect<Event, State> provisionAgain(State state, ProvisionAppliance cmd) {
    if (state.provisioning().equals(cmd.provisioning())) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), ApplianceCodes.ALREADY_EXISTS, "an appliance with id " + applianceId + " exists");
  }

  private ReplyEffect<Event, State> rotateSecret(State state, RotateDeviceSecret cmd) {
    return persist(
        new DeviceSecretRotated(applianceId, cmd.secretHash(), cmd.rotatedBy(), clock.instant()),
        "appliance.secret-rotated",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> authenticate(State state, AuthenticateDevice cmd) {
    if (!sameHash(state.secretHash(), cmd.secretHash())) {
      return Effect().reply(cmd.replyTo(), wrongSecret());
    }
    return Effect().reply(cmd.replyTo(), new DeviceAuthenticated(state.lastSeq(), state.secretVersion()));
  }

  private static boolean sameHash(String stored, String presented) {
    try {
      return MessageDigest.isEqual(Base64.getDecoder().decode(stored), Base64.getDecoder().decode(presented));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * A batch of readings: duplicates (seq already stored) are skipped, readings a
   * rule refuses are answered and left out, the rest become one event together
   * with what they caused.
   */
  private ReplyEffect<Event, State> record(State state, RecordTelemetry cmd) {
    if (cmd.secretVersion() != state.secretVersion()) {
      return reject(cmd.replyTo(), CommonCodes.AUTH_UNAUTHENTICATED, "the device secret was rotated: reconnect with the new one");
    }
    Instant now = clock.instant();
    Draft draft = new Draft(state);
    List<Reading> accepted = new ArrayList<>();
    List<Refusal> refusals = new ArrayList<>();
    List<MeteredCycle> metered = new ArrayList<>();
    Map<String, ReservationStatus> reservationUpdates = new LinkedHashMap<>();
    int duplicates = 0;
    long previous = state.lastSeq();
    for (Reading r : cmd.readings()) {
      if (r.seq() <= state.lastSeq()) {
        duplicates++;
        continue;
      }
      if (r.seq() <= previous) {
        refusals.add(new Refusal(r.seq(), ApplianceCodes.SEQ_NOT_INCREASING, "seq " + r.seq() + " is not above " + previous));
        continue;
      }
      if (r.seq() - previous > settings.maxSeqJump()) {
        // Stored, such a seq would make every later reading a duplicate: the device would be silenced for good.
        refusals.add(
            new Refusal(
                r.seq(),
                ApplianceCodes.SEQ_JUMP,
                "seq " + r.seq() + " is more than " + settings.maxSeqJump() + " above " + previous + "; continue from " + (previous + 1)));
        continue;
      }
      Refusal refusal = check(draft, r);
      if (refusal != null) {
        refusals.add(refusal);
        continue;
      }
      decide(draft, r, now, metered, reservationUpdates);
      draft.live(r, now);
      accepted.add(r);
      previous = r.seq();
    }
    if (accepted.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Recorded(state.lastSeq(), 0, duplicates, refusals));
    }
    draft.alerts.remove(OFFLINE_ALERT); // heard from again
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
    int stored = accepted.size();
    int dups = duplicates;
    return Effect()
        .persist(event)
        .thenRun(s -> changed("appliance.telemetry-recorded", event, s))
        .thenReply(cmd.replyTo(), s -> new Recorded(s.lastSeq(), stored, dups, refusals));
  }

  /** A rule a reading breaks given what came before it, or null. */
  private static Refusal check(Draft draft, Reading r) {
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
  private void decide(
      Draft draft, Reading r, Instant now, List<MeteredCycle> metered, Map<String, ReservationStatus> reservationUpdates) {
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
          faultAlertId(f.code()),
          new Alert(faultAlertId(f.code()), AlertKind.FAULT, f.code(), f.message().isEmpty() ? "fault " + f.code() : f.message(), now));
    } else if (body instanceof FaultCleared f) {
      if (f.code().isEmpty()) {
        draft.alerts.values().removeIf(a -> a.kind() == AlertKind.FAULT);
      } else {
        draft.alerts.remove(faultAlertId(f.code()));
      }
    }
  }

  private ReplyEffect<Event, State> book(State state, BookReservation cmd) {
    Reservation existing = state.reservations().get(cmd.reservationId());
    if (existing != null) {
      boolean same =
          existing.userId().equals(cmd.userId()) && existing.from().equals(cmd.from()) && existing.to().equals(cmd.to());
      return same
          ? Effect().reply(cmd.replyTo(), new Accepted(state, false))
          : reject(cmd.replyTo(), ApplianceCodes.RESERVATION_CONFLICT, "reservation " + cmd.reservationId() + " is another booking");
    }
    if (!state.provisioning().type().bookable()) {
      return reject(cmd.replyTo(), ApplianceCodes.NOT_BOOKABLE, "a " + state.provisioning().type() + " is not booked by the slot");
    }
    if (state.isFaulted()) {
      return reject(cmd.replyTo(), ApplianceCodes.FAULTED, "the appliance reported a fault and takes no bookings until it is fixed");
    }
    Instant now = clock.instant();
    List<Reservation> active = state.reservations().values().stream().filter(r -> r.activeAt(now)).toList();
    long mine = active.stream().filter(r -> r.userId().equals(cmd.userId())).count();
    if (mine >= settings.maxReservationsPerUser()) {
      return reject(
          cmd.replyTo(),
          ApplianceCodes.RESERVATION_LIMIT,
          "a user holds at most " + settings.maxReservationsPerUser() + " active reservations of an appliance");
    }
    if (active.stream().anyMatch(r -> r.overlaps(cmd.from(), cmd.to()))) {
      return reject(cmd.replyTo(), ApplianceCodes.RESERVATION_OVERLAP, "the slot overlaps another booking");
    }
    Instant releaseAt = earliest(cmd.to(), cmd.from().plus(settings.noShowGrace()));
    Reservation reservation =
        new Reservation(cmd.reservationId(), cmd.userId(), cmd.from(), cmd.to(), ReservationStatus.BOOKED, releaseAt, now);
    return persist(new ReservationBooked(applianceId, reservation, now), "appliance.reservation-booked", cmd.replyTo(), true);
  }

  private ReplyEffect<Event, State> cancel(State state, CancelReservation cmd) {
    Reservation r = state.reservations().get(cmd.reservationId());
    if (r == null) {
      return reject(cmd.replyTo(), ApplianceCodes.RESERVATION_NOT_FOUND, "no reservation " + cmd.reservationId());
    }
    if (!cmd.byOperator() && !r.userId().equals(cmd.cancelledBy())) {
      return reject(
          cmd.replyTo(), ApplianceCodes.RESERVATION_NOT_YOURS, "only its user or an operator of the EMC's owner cancels a reservation");
    }
    if (r.status() == ReservationStatus.CANCELLED) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    if (r.status() != ReservationStatus.BOOKED) {
      return reject(
          cmd.replyTo(), ApplianceCodes.RESERVATION_NOT_CANCELLABLE, "the reservation is " + r.status() + ", no longer booked");
    }
    return persist(
        new ReservationCancelled(applianceId, cmd.reservationId(), cmd.cancelledBy(), clock.instant()),
        "appliance.reservation-cancelled",
        cmd.replyTo(),
        false);
  }

  /** One deadline kind per tick, so each change is one event; the timer comes back at once for the next. */
  private ReplyEffect<Event, State> tick(State state, Tick tick) {
    armedFor = null;
    Instant now = clock.instant();
    Event event = null;
    String eventName = null;
    if (state.isOnline() && !now.isBefore(state.lastSeenAt().plus(state.provisioning().heartbeatWindow()))) {
      Alert offline =
          new Alert(
              OFFLINE_ALERT,
              AlertKind.OFFLINE,
              "",
              "nothing heard since " + state.lastSeenAt() + " (heartbeat window " + state.provisioning().heartbeatWindow() + ")",
              now);
      event = new AlertsChanged(applianceId, List.of(offline), List.of(), now);
      eventName = "appliance.alerts-changed";
    } else {
      Draft draft = new Draft(state);
      draft.refreshStale(now);
      List<Alert> opened =
          draft.alerts.values().stream().filter(a -> !state.alerts().containsKey(a.alertId())).toList();
      List<String> cleared = state.alerts().keySet().stream().filter(id -> !draft.alerts.containsKey(id)).toList();
      if (!opened.isEmpty() || !cleared.isEmpty()) {
        event = new AlertsChanged(applianceId, opened, cleared, now);
        eventName = "appliance.alerts-changed";
      } else {
        List<String> noShows =
            state.reservations().values().stream()
                .filter(r -> r.status() == ReservationStatus.BOOKED && !now.isBefore(r.releaseAt()))
                .map(Reservation::reservationId)
                .toList();
        if (!noShows.isEmpty()) {
          event = new ReservationsReleased(applianceId, noShows, now);
          eventName = "appliance.reservations-released";
        }
      }
    }
    if (event == null) {
      arm(state);
      return Effect().noReply();
    }
    Event stored = event;
    String name = eventName;
    return Effect().persist(stored).thenRun(s -> changed(name, stored, s)).thenNoReply();
  }

  /** One command, one event: the version (and a push's seq) grows by exactly one per change. */
  private ReplyEffect<Event, State> persist(Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
    return Effect()
        .persist(event)
        .thenRun(s -> changed(eventName, event, s))
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  private void changed(String eventName, Event event, State state) {
    publisher.published(eventName, event, state);
    arm(state);
  }

  /**
   * Arms the timer for the next deadline unless one at least as early is armed:
   * a telemetry batch moves the offline deadline later, and re-arming on every
   * batch would cost a timer per reading; an early tick just re-arms.
   */
  private void arm(State state) {
    Instant next = state.nextDeadline();
    if (next == null) {
      if (armedFor != null) {
        timers.cancel(Tick.INSTANCE);
        armedFor = null;
      }
      return;
    }
    if (armedFor != null && !next.isBefore(armedFor)) {
      return;
    }
    armedFor = next;
    // deadlines are business time: at RENDAN_CLOCK_SPEED=60 a 60 s window passes in 1 real second
    timers.startSingleTimer(Tick.INSTANCE, Tick.INSTANCE, io.rendan.BusinessClock.delayUntil(clock, next));
  }

  private static ActorRef<Reply> replyTo(Command cmd) {
    if (cmd instanceof GetAppliance c) return c.replyTo();
    if (cmd instanceof RotateDeviceSecret c) return c.replyTo();
    if (cmd instanceof BookReservation c) return c.replyTo();
    if (cmd instanceof CancelReservation c) return c.replyTo();
    if (cmd instanceof ProvisionAppliance c) return c.replyTo();
    if (cmd instanceof AuthenticateDevice c) return c.replyTo();
    if (cmd instanceof RecordTelemetry c) return c.replyTo();
    throw new IllegalArgumentException("no reply for " + cmd);
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }

  private Rejected notFound() {
    return new Rejected(ApplianceCodes.NOT_FOUND, "no appliance with id " + applianceId);
  }

  /** The same answer whether the appliance exists or not: a device learns nothing from a wrong secret. */
  private static Rejected wrongSecret() {
    return new Rejected(CommonCodes.AUTH_UNAUTHENTICATED, "wrong device secret");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              context.getLog().debug("appliance {} recovered at version {}", applianceId, state.version());
              arm(state);
            })
        .build();
  }
}
