package io.rendan.appliance;

import static io.rendan.appliance.ApplianceViews.publish;
import static io.rendan.appliance.ApplianceViews.toProto;

import com.google.protobuf.Timestamp;
import io.rendan.appliance.ApplianceProtocol.Accepted;
import io.rendan.appliance.ApplianceProtocol.Command;
import io.rendan.appliance.ApplianceProtocol.DeviceAuthenticated;
import io.rendan.appliance.ApplianceProtocol.Recorded;
import io.rendan.appliance.ApplianceProtocol.Rejected;
import io.rendan.appliance.ApplianceProtocol.Reply;
import io.rendan.appliance.ApplianceState.State;
import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcCodes;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.BookReservationRequest;
import io.rendan.protocol.api.v1.CancelReservationRequest;
import io.rendan.protocol.api.v1.DeviceSecret;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.ListAppliancesRequest;
import io.rendan.protocol.api.v1.ListAppliancesResponse;
import io.rendan.protocol.api.v1.ProvisionApplianceRequest;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Reservation;
import io.rendan.protocol.api.v1.RotateDeviceSecretRequest;
import io.rendan.protocol.api.v1.Tariff;
import io.rendan.pubsub.LiveTopics;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * What clients and devices can do with appliances, shared by the HTTP routes,
 * the WebSocket session and the telemetry ingest. It establishes who acts
 * (an operator of the EMC's owner, the user who booked, the device holding the
 * secret) and leaves the rules to the entity.
 */
public final class ApplianceApi {
  public static final String TOPIC_PREFIX = "appliance/";
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
  private static final int MAX_TEXT = 200;
  private static final long MAX_AMOUNT_MINOR = 1_000_000_000L;
  private static final int SECRET_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Request limits, from {@code rendan.appliance}. */
  public record Limits(
      Duration defaultHeartbeat,
      Duration minHeartbeat,
      Duration maxHeartbeat,
      Duration defaultStaleWindow,
      Duration maxStaleWindow,
      Duration minReservation,
      Duration maxReservation,
      Duration maxAdvance,
      int maxInventoryItems,
      int maxListed) {}

  /** A provisioning's answer: the device secret only when this request created the appliance. */
  public record Provisioned(ProvisionedAppliance answer, boolean created) {}

  public record Booked(Reservation reservation, boolean created) {}

  private final ClusterSharding sharding;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final ApplianceDirectory directory;
  private final Duration askTimeout;
  private final Asks.Retry retry;
  private final Limits limits;
  private final Clock clock;
  private final ActorSystem<?> system;
  private final org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal journal;

  private ApplianceApi(
      ClusterSharding sharding,
      MeApi meApi,
      EmcApi emcApi,
      ApplianceDirectory directory,
      Duration askTimeout,
      Limits limits,
      Clock clock,
      ActorSystem<?> system) {
    this.system = system;
    this.journal =
        org.apache.pekko.persistence.query.PersistenceQuery.get(system)
            .getReadJournalFor(
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.class,
                org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal.Identifier());
    this.sharding = sharding;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.directory = directory;
    this.askTimeout = askTimeout;
    this.retry = Asks.Retry.from(system.settings().config());
    this.limits = limits;
    this.clock = clock;
  }

  /** Starts the appliance shard region on this node ({@link ApplianceEntity#init}) and the API over it. */
  public static ApplianceApi start(
      ActorSystem<?> system,
      LiveTopics topics,
      MeApi meApi,
      EmcApi emcApi,
      ApplianceDirectory directory,
      ApplianceConfig config,
      Duration askTimeout,
      Clock clock) {
    ApplianceEntity.init(system, config.entity(), (name, event, state) -> publish(topics, name, event, state, clock), clock);
    ClusterSharding sharding = ClusterSharding.get(system);
    return new ApplianceApi(sharding, meApi, emcApi, directory, askTimeout, config.limits(), clock, system);
  }

  // ---- operators of the EMC's owner -----------------------------------------------------------

  public CompletionStage<Provisioned> provision(Caller caller, ProvisionApplianceRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String applianceId =
        request.getApplianceId().isEmpty() ? UUID.randomUUID().toString() : checkId("applianceId", request.getApplianceId());
    ApplianceState.Provisioning provisioning =
        new ApplianceState.Provisioning(
            emcId,
            type(request.getType()),
            checkText("model", request.getModel()),
            checkText("location", request.getLocation()),
            tariff(request),
            window("heartbeatSeconds", request.getHeartbeatSeconds(), limits.defaultHeartbeat(), limits.minHeartbeat(), limits.maxHeartbeat()),
            window("staleWindowSeconds", request.getStaleWindowSeconds(), limits.defaultStaleWindow(), Duration.ZERO, limits.maxStaleWindow()));
    String secret = newSecret();
    return requireOwnerOperator(caller, emcId)
        .thenCompose(
            emc -> {
              if (emc.getStatus() == Emc.Status.DISSOLVED) {
                throw new ApiException(EmcCodes.DISSOLVED, "the EMC is dissolved");
              }
              return ask(
                  applianceId,
                  replyTo ->
                      new ApplianceProtocol.ProvisionAppliance(
                          provisioning, ApplianceEntity.hashSecret(secret), caller.subject(), replyTo));
            })
        .thenApply(
            a -> {
              ProvisionedAppliance.Builder answer = ProvisionedAppliance.newBuilder().setAppliance(toProto(a.appliance(), clock.instant()));
              if (a.created()) {
                answer.setDeviceSecret(secret);
              }
              return new Provisioned(answer.build(), a.created());
            });
  }

  public CompletionStage<DeviceSecret> rotateSecret(Caller caller, RotateDeviceSecretRequest request) {
    String applianceId = checkId("applianceId", request.getApplianceId());
    String secret = newSecret();
    return current(applianceId)
        .thenCompose(state -> requireOwnerOperator(caller, state.provisioning().emcId()))
        .thenCompose(
            emc ->
                ask(applianceId, replyTo -> new ApplianceProtocol.RotateDeviceSecret(ApplianceEntity.hashSecret(secret), caller.subject(), replyTo)))
        .thenApply(
            a ->
                DeviceSecret.newBuilder()
                    .setApplianceId(applianceId)
                    .setDeviceSecret(secret)
                    .setSecretVersion(a.appliance().secretVersion())
                    .build());
  }

  // ---- anyone who may see the EMC -------------------------------------------------------------

  public CompletionStage<Appliance> get(Caller caller, String applianceId) {
    return visible(caller, applianceId).thenApply(s -> toProto(s, clock.instant()));
  }

  /**
   * The EMC's appliances, by id, from the directory: whoever may read the EMC
   * may list them, and is refused as reading the EMC would refuse.
   */
  public CompletionStage<ListAppliancesResponse> list(Caller caller, ListAppliancesRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    if (request.getLimit() < 0 || request.getLimit() > limits.maxListed()) {
      throw invalid("limit must be between 1 and " + limits.maxListed());
    }
    int limit = request.getLimit() == 0 ? limits.maxListed() : request.getLimit();
    ApplianceDirectory.Page after = request.getAfter().isEmpty() ? null : ApplianceDirectory.Page.parse(request.getAfter());
    return emcApi.authorizeWatch(caller, emcId).thenCompose(version -> directory.list(emcId, limit, after));
  }

  /** The appliance's current version, if the caller may watch {@code appliance/{id}}. */
  public CompletionStage<Long> authorizeWatch(Caller caller, String applianceId) {
    return visible(caller, applianceId).thenApply(State::version);
  }

  // ---- users ----------------------------------------------------------------------------------

  /** Any authenticated user books; the token's subject is the user. */
  public CompletionStage<Booked> book(Caller caller, BookReservationRequest request) {
    String applianceId = checkId("applianceId", request.getApplianceId());
    String reservationId =
        request.getReservationId().isEmpty() ? UUID.randomUUID().toString() : checkId("reservationId", request.getReservationId());
    if (!request.hasFrom() || !request.hasTo()) {
      throw invalid("from and to are required");
    }
    Instant from = instant(request.getFrom());
    Instant to = instant(request.getTo());
    Duration length = Duration.between(from, to);
    if (length.compareTo(limits.minReservation()) < 0 || length.compareTo(limits.maxReservation()) > 0) {
      throw invalid("a reservation lasts from " + limits.minReservation() + " to " + limits.maxReservation());
    }
    Instant now = clock.instant();
    if (!to.isAfter(now)) {
      throw invalid("the slot is over");
    }
    if (from.isAfter(now.plus(limits.maxAdvance()))) {
      throw invalid("a slot may be booked at most " + limits.maxAdvance() + " ahead");
    }
    return ask(applianceId, replyTo -> new ApplianceProtocol.BookReservation(reservationId, caller.subject(), from, to, replyTo))
        .thenApply(a -> new Booked(toProto(applianceId, a.appliance().reservations().get(reservationId), clock.instant()), a.created()));
  }

  /** The user who booked cancels; so may an operator of the EMC's owner. */
  public CompletionStage<Reservation> cancel(Caller caller, CancelReservationRequest request) {
    String applianceId = checkId("applianceId", request.getApplianceId());
    String reservationId = checkId("reservationId", request.getReservationId());
    return current(applianceId)
        .thenCompose(
            state -> {
              ApplianceState.Reservation r = state.reservations().get(reservationId);
              if (r == null) {
                throw new ApiException(ApplianceCodes.RESERVATION_NOT_FOUND, "no reservation " + reservationId);
              }
              if (r.userId().equals(caller.subject())) {
                return CompletableFuture.completedFuture(false);
              }
              return requireOwnerOperator(caller, state.provisioning().emcId())
                  .handle(
                      (emc, failure) -> {
                        if (failure != null) {
                          ApiException api = ErrorCodes.fromThrowable(failure);
                          if (api.status() >= 500) {
                            throw api;
                          }
                          throw new ApiException(
                              ApplianceCodes.RESERVATION_NOT_YOURS,
                              "only its user or an operator of the EMC's owner cancels a reservation");
                        }
                        return true;
                      });
            })
        .thenCompose(
            byOperator ->
                ask(applianceId, replyTo -> new ApplianceProtocol.CancelReservation(reservationId, caller.subject(), byOperator, replyTo)))
        .thenApply(a -> toProto(applianceId, a.appliance().reservations().get(reservationId), clock.instant()));
  }

  // ---- devices --------------------------------------------------------------------------------

  /** The device holding this appliance's current secret; {@code auth:unauthenticated} otherwise. */
  public CompletionStage<DeviceAuthenticated> authenticateDevice(String applianceId, String secret) {
    if (!io.rendan.http.Ids.valid(applianceId)) {
      return CompletableFuture.failedFuture(new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, "wrong device secret"));
    }
    String hash = ApplianceEntity.hashSecret(secret);
    // Only an appliance that was provisioned is asked: waking an entity for any id a
    // caller without credentials names would remember it (a journal row) for good.
    return provisioned(applianceId)
        .thenCompose(
            known ->
                known
                    ? askAgain(applianceId, replyTo -> new ApplianceProtocol.AuthenticateDevice(hash, replyTo))
                    : CompletableFuture.failedFuture(new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, "wrong device secret")))
        .thenApply(reply -> (DeviceAuthenticated) reply);
  }

  /** Whether the appliance's first event is in the journal; read from the journal, without starting the entity. */
  private CompletionStage<Boolean> provisioned(String applianceId) {
    return journal
        .currentEventsByPersistenceId(ApplianceEntity.persistenceId(applianceId).id(), 1, 1)
        .runWith(org.apache.pekko.stream.javadsl.Sink.headOption(), system)
        .thenApply(java.util.Optional::isPresent);
  }

  /**
   * Stores one batch of a device's readings; completes once they are durable.
   * Sent again when the appliance does not answer in time (it may be moving to
   * another node): a seq already stored is a duplicate, not stored twice.
   */
  public CompletionStage<Recorded> record(String applianceId, int secretVersion, List<ApplianceProtocol.Reading> readings) {
    return askAgain(applianceId, replyTo -> new ApplianceProtocol.RecordTelemetry(secretVersion, readings, replyTo))
        .thenApply(reply -> (Recorded) reply);
  }

  // ---- acting parties -------------------------------------------------------------------------

  /** The EMC, if the caller operates its owner ME. */
  private CompletionStage<Emc> requireOwnerOperator(Caller caller, String emcId) {
    return emcApi
        .get(caller, emcId)
        .thenCompose(emc -> meApi.requireOperator(caller, emc.getOwnerMeId()).thenApply(owner -> emc))
        .exceptionally(
            failure -> {
              ApiException api = ErrorCodes.fromThrowable(failure);
              if (api.code().equals(ErrorCodes.AUTH_FORBIDDEN)) {
                throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "only operators of the EMC's owner ME may do this");
              }
              throw api;
            });
  }

  /** The appliance, if the caller is an admin or may see its EMC (operates one of its MEs). */
  private CompletionStage<State> visible(Caller caller, String applianceId) {
    return current(checkId("applianceId", applianceId))
        .thenCompose(
            state -> {
              if (caller.isAdmin()) {
                return CompletableFuture.completedFuture(state);
              }
              return emcApi
                  .authorizeWatch(caller, state.provisioning().emcId())
                  .handle(
                      (version, failure) -> {
                        if (failure != null) {
                          ApiException api = ErrorCodes.fromThrowable(failure);
                          if (api.status() >= 500) {
                            throw api;
                          }
                          throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "only operators of the EMC's MEs may see its appliances");
                        }
                        return state;
                      });
            });
  }

  /** The EMC that operates an appliance (for the revenue delivery). */
  public CompletionStage<String> emcOf(String applianceId) {
    return current(applianceId).thenApply(state -> state.provisioning().emcId());
  }

  private CompletionStage<State> current(String applianceId) {
    return askAgain(applianceId, ApplianceProtocol.GetAppliance::new).thenApply(reply -> ((Accepted) reply).appliance());
  }

  private CompletionStage<Accepted> ask(String applianceId, Function<ActorRef<Reply>, Command> command) {
    return askReply(applianceId, command).thenApply(reply -> (Accepted) reply);
  }

  private CompletionStage<Reply> askReply(String applianceId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(ApplianceEntity.TYPE_KEY, applianceId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>ask(ref, command, askTimeout));
  }

  /** An ask of a command that is safe to send twice (a read, readings with their seqs): {@link Asks#askAgain}. */
  private CompletionStage<Reply> askAgain(String applianceId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(ApplianceEntity.TYPE_KEY, applianceId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>askAgain(ref, command, retry));
  }

  private static String newSecret() {
    byte[] bytes = new byte[SECRET_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  // ---- validation -----------------------------------------------------------------------------

  static Instant instant(Timestamp t) {
    try {
      return io.rendan.vocabulary.Timestamps.instant(t);
    } catch (java.time.DateTimeException e) {
      throw invalid("a time is out of range");
    }
  }

  public static String checkId(String field, String id) {
    return io.rendan.http.Ids.check(field, id);
  }

  private static String checkText(String field, String value) {
    String trimmed = value.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_TEXT || trimmed.chars().anyMatch(Character::isISOControl)) {
      throw invalid(field + " is required: 1 to " + MAX_TEXT + " characters, no control characters");
    }
    return trimmed;
  }

  private static ApplianceState.Type type(Appliance.Type type) {
    return switch (type) {
      case WASHER -> ApplianceState.Type.WASHER;
      case DRYER -> ApplianceState.Type.DRYER;
      case FRIDGE -> ApplianceState.Type.FRIDGE;
      case OVEN -> ApplianceState.Type.OVEN;
      case DISHWASHER -> ApplianceState.Type.DISHWASHER;
      case OTHER -> ApplianceState.Type.OTHER;
      default -> throw invalid("type is required: WASHER, DRYER, FRIDGE, OVEN, DISHWASHER or OTHER");
    };
  }

  private static ApplianceState.Tariff tariff(ProvisionApplianceRequest request) {
    if (!request.hasTariff()) {
      throw invalid("tariff is required: amountMinor per finished cycle and currency");
    }
    Tariff t = request.getTariff();
    if (t.getAmountMinor() < 0 || t.getAmountMinor() > MAX_AMOUNT_MINOR) {
      throw invalid("tariff.amountMinor must be between 0 and " + MAX_AMOUNT_MINOR);
    }
    if (!CURRENCY.matcher(t.getCurrency()).matches()) {
      throw invalid("tariff.currency must be an ISO-4217 code such as EUR");
    }
    return new ApplianceState.Tariff(t.getAmountMinor(), t.getCurrency());
  }

  private static Duration window(String field, long seconds, Duration fallback, Duration min, Duration max) {
    if (seconds == 0) {
      return fallback;
    }
    if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
      throw invalid(field + " must be between " + Math.max(1, min.toSeconds()) + " and " + max.toSeconds() + " (0: the default)");
    }
    return Duration.ofSeconds(seconds);
  }

  private static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }
}
