package io.rendan.me;

import com.google.protobuf.Timestamp;
import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeProtocol.Accepted;
import io.rendan.me.MeProtocol.Command;
import io.rendan.me.MeProtocol.Rejected;
import io.rendan.me.MeProtocol.Reply;
import io.rendan.me.MeEntity.State;
import io.rendan.protocol.api.v1.AddOperatorRequest;
import io.rendan.protocol.api.v1.ChangeCapabilitiesRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Membership;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.RemoveOperatorRequest;
import io.rendan.pubsub.LiveTopics;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
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
 * What clients can do with MEs, shared by the HTTP routes and the WebSocket
 * session: validates requests, asks the sharded entity, and turns its typed
 * replies into API messages or {@link ApiException}s.
 */
public final class MeApi {
  public static final String TOPIC_PREFIX = "me/";
  private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final int MAX_NAME = 200;
  private static final int MAX_SUBJECT = 200;

  public record Limits(int maxCapabilities) {}

  /** A registration's answer: the ME, and whether this request created it. */
  public record Registered(Me me, boolean created) {}

  /** The entity of an ME id: sharding's, or in a test one whose deliveries it controls. */
  private final Function<String, EntityRef<Command>> entities;
  private final Duration askTimeout;
  private final Asks.Retry retry;
  private final Limits limits;
  private final LiveMes live;

  private MeApi(
      Function<String, EntityRef<Command>> entities, Duration askTimeout, Asks.Retry retry, Limits limits, LiveMes live) {
    this.entities = entities;
    this.askTimeout = askTimeout;
    this.retry = retry;
    this.limits = limits;
    this.live = live;
  }

  /** Starts the ME shard region on this node. */
  public static MeApi start(
      ActorSystem<?> system,
      LiveTopics topics,
      MeEntity.Settings settings,
      Limits limits,
      Duration askTimeout,
      Clock clock) {
    LiveMes live = new LiveMes();
    MeEntity.init(system, settings, (event, state) -> topics.publish(push(event, state, clock)), clock, live);
    ClusterSharding sharding = ClusterSharding.get(system);
    return new MeApi(
        meId -> sharding.entityRefFor(MeEntity.TYPE_KEY, meId), askTimeout, Asks.Retry.from(system.settings().config()), limits, live);
  }

  /** Over the given entities instead of the shard region (tests: an entity that loses a delivery). */
  static MeApi over(Function<String, EntityRef<Command>> entities, Duration askTimeout, Asks.Retry retry, Limits limits) {
    return new MeApi(entities, askTimeout, retry, limits, new LiveMes());
  }

  public CompletionStage<Registered> register(Caller caller, RegisterMeRequest request) {
    String meId = request.getMeId().isEmpty() ? UUID.randomUUID().toString() : checkId(request.getMeId());
    String name = checkName(request.getName());
    MeEntity.Kind kind = kind(request.getKind());
    List<String> capabilities = checkCapabilities(request.getCapabilitiesList());
    // one ask: a second copy is answered as a repeat (created false: 200, not the 201 of the first)
    return ask(meId, replyTo -> new MeProtocol.RegisterMe(name, kind, capabilities, caller.subject(), replyTo))
        .thenApply(a -> new Registered(toProto(a.me()), a.created()));
  }

  public CompletionStage<Me> get(Caller caller, String meId) {
    // Balances are the ME's own business: its operators and admins see them.
    return read(checkId(meId))
        .thenApply(a -> toProto(a.me(), caller.isAdmin() || a.me().isOperator(caller.subject())));
  }

  public CompletionStage<Me> changeCapabilities(Caller caller, ChangeCapabilitiesRequest request) {
    String meId = checkId(request.getMeId());
    List<String> capabilities = checkCapabilities(request.getCapabilitiesList());
    return askAgain(meId, replyTo -> new MeProtocol.ChangeCapabilities(capabilities, caller.subject(), replyTo))
        .thenApply(a -> toProto(a.me()));
  }

  public CompletionStage<Me> addOperator(Caller caller, AddOperatorRequest request) {
    String meId = checkId(request.getMeId());
    String subject = checkSubject(request.getSubject());
    return askAgain(meId, replyTo -> new MeProtocol.AddOperator(subject, caller.subject(), replyTo))
        .thenApply(a -> toProto(a.me()));
  }

  /**
   * One ask: a second copy of a removal that the first one stored would be refused
   * ({@code me:operator.not-found}). Unanswered in time, it is {@code 503
   * server:unavailable}; a client that sends it again and is told the subject is
   * no operator knows the removal is done.
   */
  public CompletionStage<Me> removeOperator(Caller caller, RemoveOperatorRequest request) {
    String meId = checkId(request.getMeId());
    String subject = checkSubject(request.getSubject());
    return ask(meId, replyTo -> new MeProtocol.RemoveOperator(subject, caller.subject(), replyTo))
        .thenApply(a -> toProto(a.me()));
  }

  /**
   * May the caller watch {@code me/{meId}}? Operators and admins may: the topic
   * will carry the ME's ledger too. Answers the current version, after which
   * pushes follow.
   */
  public CompletionStage<Long> authorizeWatch(Caller caller, String meId) {
    return read(checkId(meId))
        .thenApply(
            a -> {
              if (!a.me().isOperator(caller.subject()) && !caller.isAdmin()) {
                throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "only operators of an ME may watch it");
              }
              return a.me().version();
            });
  }

  /** The ME, if the caller operates it; otherwise {@code auth:forbidden} (or {@code me:not-found}). */
  public CompletionStage<State> requireOperator(Caller caller, String meId) {
    return requireOperator(caller, meId, ErrorCodes.AUTH_FORBIDDEN, "you do not operate ME " + meId);
  }

  /**
   * The ME, if the caller operates it; otherwise a refusal with the given code.
   * Other failures (an unknown ME, a timeout) keep their own code.
   */
  public CompletionStage<State> requireOperator(Caller caller, String meId, String refusalCode, String refusal) {
    Optional<State> here = live.get(checkId(meId));
    if (here.isPresent()) {
      // the entity is in memory on this node and keeps this entry as it stores (LiveMes)
      State me = here.get();
      return me.isOperator(caller.subject())
          ? CompletableFuture.completedFuture(me)
          : CompletableFuture.failedFuture(new ApiException(refusalCode, refusal));
    }
    return read(meId)
        .thenApply(
            a -> {
              if (!a.me().isOperator(caller.subject())) {
                throw new ApiException(refusalCode, refusal);
              }
              return a.me();
            });
  }

  /** The MEs in memory on this node (for metrics and tests). */
  public LiveMes live() {
    return live;
  }

  /** Whether a failure of {@link #requireOperator} means "not an operator" rather than something else. */
  public static boolean isRefusal(Throwable failure, String refusalCode) {
    return ErrorCodes.fromThrowable(failure).code().equals(refusalCode);
  }

  /** Whether the caller operates at least one of these MEs (asked in parallel). */
  public CompletionStage<Boolean> operatesAny(Caller caller, Collection<String> meIds) {
    List<CompletableFuture<Boolean>> answers =
        meIds.stream()
            .map(
                id ->
                    read(id)
                        .thenApply(a -> a.me().isOperator(caller.subject()))
                        .exceptionally(failure -> false)
                        .toCompletableFuture())
            .toList();
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(done -> answers.stream().anyMatch(CompletableFuture::join));
  }

  /** Whether an ME exists; {@code me:not-found} otherwise. */
  public CompletionStage<State> requireExists(String meId) {
    return read(checkId(meId)).thenApply(Accepted::me);
  }

  /**
   * Delivery of a membership change from an EMC. Completes once the ME has
   * stored it (or already had it); an unknown ME completes too, with false.
   */
  public CompletionStage<Boolean> recordMembership(String meId, MeEntity.Membership membership) {
    return deliver(meId, replyTo -> new MeProtocol.RecordMembership(membership, replyTo));
  }

  /** Delivery of a ledger credit from an EMC, like a membership. */
  public CompletionStage<Boolean> recordCredit(String meId, MeEntity.Credit credit) {
    return deliver(meId, replyTo -> new MeProtocol.RecordCredit(credit, replyTo));
  }

  /** Delivery of a period's target result from an EMC, like a membership. */
  public CompletionStage<Boolean> recordTargetResult(String meId, MeEntity.TargetOutcome outcome) {
    return deliver(meId, replyTo -> new MeProtocol.RecordTargetResult(outcome, replyTo));
  }

  /** Delivery of a help step from an EMC (with its advance or repayment, if any), like a credit. */
  public CompletionStage<Boolean> recordHelp(String meId, MeEntity.HelpNote note) {
    return deliver(meId, replyTo -> new MeProtocol.RecordHelp(note, replyTo));
  }

  /** The ME as stored, for the books check and other internal readers (no permission check). */
  public CompletionStage<State> current(String meId) {
    return read(checkId(meId)).thenApply(Accepted::me);
  }

  private CompletionStage<Boolean> deliver(String meId, Function<ActorRef<Reply>, Command> command) {
    return ask(meId, command)
        .thenApply(a -> true)
        .exceptionally(
            failure -> {
              ApiException api = ErrorCodes.fromThrowable(failure);
              if (api.code().equals(MeCodes.NOT_FOUND)) {
                return false;
              }
              throw new java.util.concurrent.CompletionException(failure);
            });
  }

  /** The ME as stored: a read, sent again while the ME does not answer in time ({@link Asks#askAgain}). */
  private CompletionStage<Accepted> read(String meId) {
    return askAgain(meId, MeProtocol.GetMe::new);
  }

  /**
   * A command the ME takes twice as once, sent again while it does not answer in
   * time ({@link Asks#askAgain}): a read; a change of capabilities (a whole list,
   * the same list again stores nothing and is answered with the same version);
   * adding an operator (one already there stores nothing).
   */
  private CompletionStage<Accepted> askAgain(String meId, Function<ActorRef<Reply>, Command> command) {
    return ApiException.failOnRefusal(Asks.<Command, Reply>askAgain(entities.apply(meId), command, retry))
        .thenApply(reply -> (Accepted) reply);
  }

  /** A command that is sent once: its second copy would not be answered as the first. */
  private CompletionStage<Accepted> ask(String meId, Function<ActorRef<Reply>, Command> command) {
    return ApiException.failOnRefusal(Asks.<Command, Reply>ask(entities.apply(meId), command, askTimeout))
        .thenApply(reply -> (Accepted) reply);
  }

  // ---- mapping --------------------------------------------------------------------------------

  /** As its operators see it (they are the only ones who change it or watch it). */
  public static Me toProto(State s) {
    return toProto(s, true);
  }

  public static Me toProto(State s, boolean withBalances) {
    Me.Builder b =
        Me.newBuilder()
            .setMeId(s.meId())
            .addAllCapabilities(s.capabilities())
            .addAllOperators(s.operators())
            .setVersion(s.version())
            .setRating(s.rating())
            .setTargetsMet(s.targetsMet())
            .setTargetsMissed(s.targetsMissed());
    MeEntity.HelpRecord h = s.help();
    b.setHelp(
        io.rendan.protocol.api.v1.HelpRecord.newBuilder()
            .setPledgesGiven(h.pledgesGiven())
            .setDeliveredGiven(h.deliveredGiven())
            .setPledgesReceived(h.pledgesReceived())
            .setDeliveredReceived(h.deliveredReceived())
            .setCasesOpened(h.casesOpened())
            .setCasesRecovered(h.casesRecovered())
            .setCasesFailed(h.casesFailed())
            .setRecoveriesHelped(h.recoveriesHelped()));
    if (withBalances) {
      s.balances()
          .forEach(
              (currency, amount) ->
                  b.addBalances(io.rendan.protocol.api.v1.Balance.newBuilder().setCurrency(currency).setAmountMinor(amount)));
    }
    for (MeEntity.Membership m : s.activeMemberships()) {
      b.addMemberships(
          Membership.newBuilder()
              .setEmcId(m.emcId())
              .setEmcName(m.emcName())
              .setSide(io.rendan.vocabulary.Side.toProto(m.side()))
              .setRole(m.role())
              .setOwner(m.owner()));
    }
    if (s.isRegistered()) {
      b.setName(s.name())
          .setKind(s.kind() == MeEntity.Kind.INTERNAL ? Me.Kind.INTERNAL : Me.Kind.EXTERNAL_PARTNER)
          .setRegisteredAt(
              Timestamp.newBuilder()
                  .setSeconds(s.registeredAt().getEpochSecond())
                  .setNanos(s.registeredAt().getNano()));
    }
    return b.build();
  }

  static Push push(String event, State state, Clock clock) {
    java.time.Instant now = clock.instant();
    return Push.newBuilder()
        .setTopic(TOPIC_PREFIX + state.meId())
        .setSeq(state.version())
        .setAt(io.rendan.vocabulary.Timestamps.of(now))
        .setEvent(event)
        .setMe(toProto(state))
        .build();
  }

  // ---- validation -----------------------------------------------------------------------------

  public static String checkId(String meId) {
    return io.rendan.http.Ids.check("meId", meId);
  }

  private static String checkName(String name) {
    String trimmed = name.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_NAME || trimmed.chars().anyMatch(Character::isISOControl)) {
      throw invalid("name is required: 1 to " + MAX_NAME + " characters, no control characters");
    }
    return trimmed;
  }

  private static MeEntity.Kind kind(Me.Kind kind) {
    return switch (kind) {
      case INTERNAL -> MeEntity.Kind.INTERNAL;
      case EXTERNAL_PARTNER -> MeEntity.Kind.EXTERNAL_PARTNER;
      default -> throw invalid("kind is required: INTERNAL or EXTERNAL_PARTNER");
    };
  }

  private List<String> checkCapabilities(List<String> capabilities) {
    if (capabilities.size() > limits.maxCapabilities()) {
      throw invalid("at most " + limits.maxCapabilities() + " capabilities");
    }
    for (String c : capabilities) {
      if (!CAPABILITY.matcher(c).matches()) {
        throw invalid("capability '" + abbreviate(c) + "' must be 1 to 64 lower-case letters, digits or '-'");
      }
    }
    return capabilities;
  }

  private static String checkSubject(String subject) {
    if (subject.isBlank() || subject.length() > MAX_SUBJECT) {
      throw invalid("subject is required: 1 to " + MAX_SUBJECT + " characters");
    }
    return subject;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }
}
