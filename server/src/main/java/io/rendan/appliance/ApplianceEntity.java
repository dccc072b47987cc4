package io.rendan.appliance;

import io.rendan.appliance.ApplianceEvents.*;
import io.rendan.appliance.ApplianceProtocol.*;
import io.rendan.appliance.ApplianceState.*;
import io.rendan.vocabulary.CommonCodes;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
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
 * to the EMC, keyed by {@code revenueId} so that it is applied once. Events with
 * fault reports are tagged {@code appliance-faults-{slice}}, the source of the
 * pain points repeated faults open ({@code painpoint/FaultPainPoints}). The
 * provisioning is tagged {@code appliance-directory-{slice}}: the source of the
 * EMC's listing of appliances ({@link ApplianceDirectory}).
 *
 * <p>Its parts: what it is told and answers ({@link ApplianceProtocol}), what it
 * stores ({@link ApplianceEvents}), its state and the event handler
 * ({@link ApplianceState}), and what a telemetry batch does
 * ({@link TelemetryRules}); this class holds the command handlers, one set per
 * lifecycle state, and the deadline timer.
 */
public final class ApplianceEntity
    extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Appliance");

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

  /**
   * Starts the appliance shard region on this node. Appliances are remembered
   * and never passivated: they are live devices, and their deadlines (offline,
   * stale food, no-shows) must fire after a restart without anyone asking.
   */
  public static void init(ActorSystem<?> system, Settings settings, ChangePublisher publisher, Clock clock) {
    ClusterShardingSettings sharding =
        ClusterShardingSettings.create(system)
            .withRememberEntities(true)
            .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced())
            .withNoPassivationStrategy();
    ClusterSharding.get(system)
        .init(
            Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, publisher, clock))
                .withSettings(sharding));
  }

  public static PersistenceId persistenceId(String applianceId) {
    return PersistenceId.of(TYPE_KEY.name(), applianceId);
  }

  /** The tag of events that carry metered cycles: one of {@code slices}, stable for an id. */
  public static String usageTag(String applianceId, int slices) {
    return "appliance-usage-" + Math.floorMod(applianceId.hashCode(), slices);
  }

  /** The tag of events that carry fault reports (the fault rule's pain points): one of {@code slices}. */
  public static String faultsTag(String applianceId, int slices) {
    return "appliance-faults-" + Math.floorMod(applianceId.hashCode(), slices);
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
    if (event instanceof TelemetryRecorded t) {
      boolean metered = !t.meteredCycles().isEmpty();
      boolean faults = t.readings().stream().anyMatch(r -> r.body() instanceof ApplianceProtocol.FaultReported);
      if (metered && faults) {
        return Set.of(usageTag(applianceId, slices), faultsTag(applianceId, slices));
      }
      return metered ? Set.of(usageTag(applianceId, slices)) : faults ? Set.of(faultsTag(applianceId, slices)) : Set.of();
    }
    if (event instanceof ApplianceProvisioned) {
      return Set.of(directoryTag(applianceId, slices));
    }
    return Set.of();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return unprovisioned().orElse(provisioned()).build();
  }

  /** Before provisioning: a device learns nothing from its answers, anyone else that there is no such appliance. */
  private CommandHandlerWithReplyBuilderByState<Command, Event, State, State> unprovisioned() {
    return newCommandHandlerWithReplyBuilder()
        .forState(state -> !state.isProvisioned())
        .onCommand(ProvisionAppliance.class, this::provision)
        .onCommand(AuthenticateDevice.class, (s, c) -> Effect().reply(c.replyTo(), wrongSecret()))
        .onCommand(RecordTelemetry.class, (s, c) -> Effect().reply(c.replyTo(), wrongSecret()))
        .onCommand(Tick.class, (s, c) -> Effect().noReply())
        .onCommand(GetAppliance.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RotateDeviceSecret.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(BookReservation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(CancelReservation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()));
  }

  private CommandHandlerWithReplyBuilderByState<Command, Event, State, State> provisioned() {
    return newCommandHandlerWithReplyBuilder()
        .forState(State::isProvisioned)
        .onCommand(ProvisionAppliance.class, this::provisionAgain)
        .onCommand(GetAppliance.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(RotateDeviceSecret.class, this::rotateSecret)
        .onCommand(AuthenticateDevice.class, this::authenticate)
        .onCommand(RecordTelemetry.class, this::record)
        .onCommand(BookReservation.class, this::book)
        .onCommand(CancelReservation.class, this::cancel)
        .onCommand(Tick.class, this::tick);
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
   * A batch of readings: what {@link TelemetryRules} accepts becomes one event,
   * together with what the readings caused; duplicates and refusals are only answered.
   */
  private ReplyEffect<Event, State> record(State state, RecordTelemetry cmd) {
    if (cmd.secretVersion() != state.secretVersion()) {
      return reject(cmd.replyTo(), CommonCodes.AUTH_UNAUTHENTICATED, "the device secret was rotated: reconnect with the new one");
    }
    TelemetryRules.Batch batch =
        TelemetryRules.decide(applianceId, state, cmd.readings(), settings.maxSeqJump(), clock.instant());
    TelemetryRecorded event = batch.event();
    if (event == null) {
      return Effect().reply(cmd.replyTo(), new Recorded(state.lastSeq(), 0, batch.duplicates(), batch.refusals()));
    }
    return Effect()
        .persist(event)
        .thenRun(s -> changed("appliance.telemetry-recorded", event, s))
        .thenReply(cmd.replyTo(), s -> new Recorded(s.lastSeq(), event.readings().size(), batch.duplicates(), batch.refusals()));
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
    Instant releaseAt = ApplianceDraft.earliest(cmd.to(), cmd.from().plus(settings.noShowGrace()));
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
              ApplianceDraft.OFFLINE_ALERT,
              AlertKind.OFFLINE,
              "",
              "nothing heard since " + state.lastSeenAt() + " (heartbeat window " + state.provisioning().heartbeatWindow() + ")",
              now);
      event = new AlertsChanged(applianceId, List.of(offline), List.of(), now);
      eventName = "appliance.alerts-changed";
    } else {
      ApplianceDraft draft = new ApplianceDraft(state);
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
    timers.startSingleTimer(Tick.INSTANCE, Tick.INSTANCE, io.rendan.vocabulary.BusinessClock.delayUntil(clock, next));
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
