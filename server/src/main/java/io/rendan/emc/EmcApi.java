package io.rendan.emc;

import static io.rendan.emc.EmcViews.toProto;
import static io.rendan.emc.EmcViews.push;
import static io.rendan.emc.EmcChecks.checkId;
import static io.rendan.emc.EmcChecks.checkText;
import static io.rendan.emc.EmcChecks.checkRole;
import static io.rendan.emc.EmcChecks.side;
import static io.rendan.emc.EmcChecks.terms;
import static io.rendan.emc.EmcChecks.checkCurrency;
import static io.rendan.emc.EmcChecks.invalid;

import com.typesafe.config.Config;
import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.Command;
import io.rendan.emc.EmcProtocol.Rejected;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.AcceptTermsRequest;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.DissolveEmcRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.ProposeTermsRequest;
import io.rendan.protocol.api.v1.RemoveMemberRequest;
import io.rendan.protocol.api.v1.StartEmcRequest;
import io.rendan.protocol.api.v1.TransferOwnershipRequest;
import io.rendan.pubsub.LiveTopics;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * What clients can do with EMCs, shared by the HTTP routes and the WebSocket
 * session. It establishes which ME the caller acts for (an operator of the
 * owner, of the invited ME, of the member) and leaves to the entity what that ME
 * may do.
 */
public final class EmcApi {
  public static final String TOPIC_PREFIX = "emc/";

  /**
   * Request limits, from {@code rendan.emc}; {@code maxBalance} from
   * {@code rendan.ledger.max-balance}: how far revenue may take a party's balance.
   *
   * @param emcMembers whether an EMC may be invited to a seat of another, or bid
   *     in its rounds as one unit ({@code rendan.emc.emc-members}, on by default;
   *     see API.md)
   */
  public record Limits(Duration defaultInvitationTtl, Duration maxInvitationTtl, long maxBalance, boolean emcMembers) {
    public Limits(Duration defaultInvitationTtl, Duration maxInvitationTtl) {
      this(defaultInvitationTtl, maxInvitationTtl, DEFAULT_MAX_BALANCE, false);
    }

    public static Limits from(Config config) {
      return new Limits(
          config.getDuration("rendan.emc.invitation-ttl"),
          config.getDuration("rendan.emc.max-invitation-ttl"),
          config.getLong("rendan.ledger.max-balance"),
          config.getBoolean("rendan.emc.emc-members"));
    }
  }

  /**
   * 2^62 minor units: half of what a balance can hold, the other half being room
   * for credits still on their way to the MEs when the check reads their balances
   * (5 000 revenues of the largest amount).
   */
  public static final long DEFAULT_MAX_BALANCE = 1L << 62;

  public record Started(Emc emc, boolean created) {}

  private volatile CharterGate charter = CharterGate.NONE;

  /** Puts the commands the charter governs under it (set once at start). */
  public void governedBy(CharterGate charter) {
    this.charter = charter;
  }

  public CharterGate charter() {
    return charter;
  }

  private final ClusterSharding sharding;
  private final MeApi meApi;
  private final Duration askTimeout;
  private final Asks.Retry retry;
  private final Limits limits;
  private final EmcAccess access;
  private final RevenueApi revenue;
  private final Clock clock;

  private EmcApi(
      ClusterSharding sharding, MeApi meApi, Duration askTimeout, Asks.Retry retry, Limits limits, Clock clock, NestingGate gate) {
    this.sharding = sharding;
    this.meApi = meApi;
    this.askTimeout = askTimeout;
    this.retry = retry;
    this.limits = limits;
    this.access = new EmcAccess(this, meApi);
    this.revenue = new RevenueApi(this, meApi);
    this.clock = clock;
    this.unit = new EmcUnit(this, meApi, access, limits.emcMembers(), gate);
  }

  private final EmcUnit unit;

  /** An EMC taking part as one unit in another: bids, its rating, the seat it holds (EmcUnit). */
  public EmcUnit asUnit() {
    return unit;
  }

  Limits limits() {
    return limits;
  }

  /** The API over the EMC shard region, which {@link EmcEntity#init} starts. */
  public static EmcApi start(ActorSystem<?> system, MeApi meApi, Limits limits, Duration askTimeout, Clock clock) {
    return new EmcApi(
        ClusterSharding.get(system),
        meApi,
        askTimeout,
        Asks.Retry.from(system.settings().config()),
        limits,
        clock,
        NestingGate.start(system, askTimeout));
  }

  /** Where the entities' changes go: changes on {@code emc/{emcId}}; those a member must learn at once (its removal with notice) on {@code me/{meId}} too. */
  public static EmcEntity.ChangePublisher publisher(LiveTopics topics, Clock clock) {
    return new EmcEntity.ChangePublisher() {
      @Override
      public void published(String event, EmcState state) {
        topics.publish(push(event, state, clock));
      }

      @Override
      public void toMember(String meId, String event, EmcState state) {
        topics.publish(EmcViews.memberPush(meId, event, state, clock));
      }
    };
  }

  public CompletionStage<Started> start(Caller caller, StartEmcRequest request) {
    String emcId = request.getEmcId().isEmpty() ? UUID.randomUUID().toString() : checkId("emcId", request.getEmcId());
    String name = checkText("name", request.getName());
    String userGroup = checkText("userGroup", request.getUserGroup());
    String ownerMeId = checkId("ownerMeId", request.getOwnerMeId());
    Side side = side("ownerSide", request.getOwnerSide());
    String currency = request.getCurrency().isEmpty() ? null : checkCurrency(request.getCurrency());
    return meApi
        .requireOperator(caller, ownerMeId)
        .thenCompose(
            owner ->
                // one ask: a second copy is answered as a repeat (created false: 200, not 201)
                ask(emcId, replyTo -> new EmcProtocol.StartEmc(name, userGroup, ownerMeId, side, caller.subject(), currency, replyTo)))
        .thenApply(a -> new Started(toProto(a.emc(), clock.instant()), a.created()));
  }

  public CompletionStage<Emc> get(Caller caller, String emcId) {
    return access.visible(caller, emcId).thenApply(s -> toProto(s, clock.instant()));
  }

  /** The EMC's current version, if the caller may watch {@code emc/{emcId}}. */
  public CompletionStage<Long> authorizeWatch(Caller caller, String emcId) {
    return access.visible(caller, emcId).thenApply(EmcState::version);
  }

  public CompletionStage<Invitation> invite(Caller caller, InviteMemberRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String invitationId =
        request.getInvitationId().isEmpty() ? UUID.randomUUID().toString() : checkId("invitationId", request.getInvitationId());
    String meId = checkId("meId", request.getMeId());
    Side side = side("side", request.getSide());
    String role = checkRole(request.getRole());
    EmcMembership.Terms terms = terms(request.getTerms());
    Duration validFor = ttl(request.getExpiresInSeconds());
    String replaces = request.getReplacesMeId().isEmpty() ? null : checkId("replacesMeId", request.getReplacesMeId());
    boolean emcMember = EmcAccess.memberKind(request.getMemberKind());
    if (emcMember && !limits.emcMembers()) {
      throw invalid(
          "EMCs as members are not enabled on this node (rendan.emc.emc-members)");
    }
    if (emcMember && replaces != null) {
      throw invalid("an EMC is invited to a seat of its own, not as a replacement (replacesMeId)");
    }
    CompletionStage<?> exists = emcMember ? access.requireStartedEmc(meId) : meApi.requireExists(meId);
    return exists
        .thenCompose(invited -> charter.helpFirst(emcId))
        .thenCompose(
            helpFirst ->
                access.asOwner(
                    caller,
                    emcId,
                    state -> charter.checkTerms(state, meId, terms),
                    owner ->
                        replyTo ->
                            new EmcProtocol.InviteMember(
                                invitationId, meId, side, role, terms, validFor, owner, replaces, emcMember, helpFirst, replyTo),
                    this::askAgain))
        .thenApply(a -> toProto(a.emc().invitations().get(invitationId), clock.instant()));
  }

  /** For an EMC invited as a member, only once its seat is found to make no cycle. */
  public CompletionStage<Emc> acceptInvitation(Caller caller, AnswerInvitationRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    return charter
        .helpFirst(emcId)
        .thenCombine(charter.versions(emcId), (helpFirst, versions) -> java.util.Map.entry(helpFirst, versions))
        .thenCompose(
            inForce ->
                access.asInvitee(
                    caller,
                    request,
                    true,
                    (invitationId, me) -> replyTo -> new EmcProtocol.AcceptInvitation(invitationId, me, inForce.getKey(), inForce.getValue(), replyTo)));
  }

  public CompletionStage<Emc> declineInvitation(Caller caller, AnswerInvitationRequest request) {
    return access.asInvitee(caller, request, false, (invitationId, me) -> replyTo -> new EmcProtocol.DeclineInvitation(invitationId, me, replyTo));
  }

  /** The member's operators make it leave; the owner's operators remove it (with notice when the charter asks). */
  public CompletionStage<Emc> removeMember(Caller caller, RemoveMemberRequest request) {
    return removeOrSchedule(caller, request).thenApply(Removal::emc);
  }

  /** What a removal did: {@code scheduled} when the charter's notice runs first. */
  public record Removal(Emc emc, boolean scheduled) {}

  public CompletionStage<Removal> removeOrSchedule(Caller caller, RemoveMemberRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String meId = checkId("meId", request.getMeId());
    return current(emcId)
        .thenCompose(
            state -> {
              if (!state.members().containsKey(meId)) {
                throw new ApiException(EmcCodes.MEMBER_NOT_FOUND, meId + " is not a member");
              }
              // the member itself (for a seat held by an EMC, its owner's operators), else the owner
              return unit.requireMemberOperator(caller, state, meId)
                  .thenApply(me -> meId)
                  .exceptionallyCompose(
                      failure ->
                          MeApi.isRefusal(failure, ErrorCodes.AUTH_FORBIDDEN)
                              ? meApi
                                  .requireOperator(caller, state.ownerMeId(), EmcCodes.NOT_OWNER, "only the member or the EMC's owner may do this")
                                  .thenApply(me -> state.ownerMeId())
                              : CompletableFuture.failedFuture(failure));
            })
        .thenCompose(
            acting ->
                current(emcId)
                    .thenCompose(state -> charter.removalNotice(state, meId, !acting.equals(meId)))
                    .thenCompose(
                        notice ->
                            notice.isEmpty()
                                ? ask(emcId, replyTo -> new EmcProtocol.RemoveMember(meId, acting, replyTo)).thenApply(a -> new Removal(view(a), false))
                                : ask(
                                        emcId,
                                        replyTo ->
                                            new RemovalNotice.ScheduleRemoval(
                                                meId, notice.get().notice(), notice.get().charterVersion(), notice.get().emcCharterVersion(), acting, replyTo))
                                    .thenApply(a -> new Removal(view(a), true))));
  }

  /** The owner withdraws a removal with notice before it takes effect. */
  public CompletionStage<Emc> cancelRemoval(Caller caller, String emcId, String meId) {
    String id = checkId("emcId", emcId);
    String member = checkId("meId", meId);
    return access.asOwner(caller, id, owner -> replyTo -> new RemovalNotice.CancelRemoval(member, owner, replyTo)).thenApply(this::view);
  }

  public CompletionStage<Emc> proposeTerms(Caller caller, ProposeTermsRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String meId = checkId("meId", request.getMeId());
    EmcMembership.Terms terms = terms(request.getTerms());
    return access.asOwner(caller, emcId, state -> charter.checkTerms(state, meId, terms), owner -> replyTo -> new EmcProtocol.ProposeTerms(meId, terms, owner, replyTo))
        .thenApply(this::view);
  }

  public CompletionStage<Emc> acceptTerms(Caller caller, AcceptTermsRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String meId = checkId("meId", request.getMeId());
    return current(emcId)
        .thenCompose(state -> unit.requireMemberOperator(caller, state, meId))
        .thenCompose(me -> charter.versions(emcId))
        .thenCompose(versions -> ask(emcId, replyTo -> new EmcProtocol.AcceptTerms(meId, meId, versions, replyTo)))
        .thenApply(this::view);
  }

  public CompletionStage<Emc> dissolve(Caller caller, DissolveEmcRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    return access
        .asOwner(caller, emcId, state -> CompletableFuture.completedFuture(null), owner -> replyTo -> new EmcProtocol.DissolveEmc(owner, replyTo), this::askAgain)
        .thenApply(this::view);
  }

  public CompletionStage<Emc> transferOwnership(Caller caller, TransferOwnershipRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String meId = checkId("meId", request.getMeId());
    return access.asOwner(caller, emcId, owner -> replyTo -> new EmcProtocol.TransferOwnership(meId, owner, replyTo))
        .thenApply(this::view);
  }

  /**
   * An award of a replacement round becomes an invitation that takes over the
   * at-risk member's seat when accepted. Like {@link #inviteFromAward}.
   */
  public CompletionStage<String> inviteReplacementFromAward(
      String emcId,
      String invitationId,
      String ownerMeId,
      String meId,
      Side side,
      String role,
      EmcMembership.Terms terms,
      String replacesMeId) {
    return refusalCode(
        charter
            .helpFirst(emcId)
            .thenCompose(
                helpFirst ->
                    ask(
                        emcId,
                        replyTo ->
                            new EmcProtocol.InviteMember(
                                invitationId, meId, side, role, terms, limits.defaultInvitationTtl(), ownerMeId, replacesMeId, false, helpFirst, replyTo))));
  }

  /**
   * The EMC as stored, for other aggregates' APIs (no permission check: they make
   * their own). A read: sent again while the EMC does not answer in time ({@link Asks#askAgain}).
   */
  public CompletionStage<EmcState> current(String emcId) {
    EntityRef<Command> ref = sharding.entityRefFor(EmcEntity.TYPE_KEY, checkId("emcId", emcId));
    return ApiException.failOnRefusal(Asks.<Command, Reply>askAgain(ref, EmcProtocol.GetEmc::new, retry))
        .thenApply(reply -> ((Accepted) reply).emc());
  }

  /**
   * An award of a bidding round becomes an invitation, issued as the owner that
   * awarded it, under an id derived from the round: delivered again, it is the
   * same invitation. Completes with the EMC's refusal code, or null when issued.
   */
  public CompletionStage<String> inviteFromAward(
      String emcId, String invitationId, String ownerMeId, String meId, Side side, String role, EmcMembership.Terms terms) {
    return refusalCode(
        ask(
            emcId,
            replyTo ->
                new EmcProtocol.InviteMember(invitationId, meId, side, role, terms, limits.defaultInvitationTtl(), ownerMeId, replyTo)));
  }

  /** Help before replacement: pledges, their answers and deliveries (HelpApi). */
  public HelpApi help() {
    return new HelpApi(this, meApi);
  }

  /** The books: revenue, periods and their targets (RevenueApi). */
  public RevenueApi revenue() {
    return revenue;
  }

  /**
   * For a delivery that retries what failed: completes with the EMC's refusal
   * code (a business refusal, the same on every try), or null when the ask was
   * accepted; fails on a server error (5xx), so that it is tried again.
   */
  static CompletionStage<String> refusalCode(CompletionStage<Accepted> ask) {
    return ask.handle(
        (accepted, failure) -> {
          if (failure == null) {
            return null;
          }
          ApiException api = ErrorCodes.fromThrowable(failure);
          if (api.status() >= 500) {
            throw new CompletionException(failure); // try again
          }
          return api.code();
        });
  }

  EmcAccess access() {
    return access;
  }

  Clock clock() {
    return clock;
  }

  /**
   * A command sent once: its second copy would not be answered as the first (a
   * member removed, terms accepted, ownership passed, a period closed: a second
   * copy is refused; a start: answered as a repeat, 200 rather than 201). Unanswered in time it is {@code 503 server:unavailable}; a
   * client that sends it again and is refused with the code that says it is done
   * ({@code emc:member.not-found}, {@code emc:terms.none-proposed}, {@code emc:not-owner},
   * {@code emc:period.closed}) knows the first one was stored.
   */
  CompletionStage<Accepted> ask(String emcId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(EmcEntity.TYPE_KEY, emcId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>ask(ref, command, askTimeout)).thenApply(reply -> (Accepted) reply);
  }

  /**
   * A command the EMC takes twice as once, sent again while it does not answer in
   * time ({@link Asks#askAgain}): an invitation (by its id, with the same terms), an answer to an
   * invitation (accepted or declined again is answered as the first), dissolving
   * (a dissolved EMC answers), revenue (by its id, with the same content).
   */
  CompletionStage<Accepted> askAgain(String emcId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(EmcEntity.TYPE_KEY, emcId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>askAgain(ref, command, retry)).thenApply(reply -> (Accepted) reply);
  }

  Emc view(Accepted accepted) {
    return toProto(accepted.emc(), clock.instant());
  }

  private Duration ttl(long seconds) {
    if (seconds < 0 || seconds > limits.maxInvitationTtl().toSeconds()) {
      throw invalid("expiresInSeconds must be between 1 and " + limits.maxInvitationTtl().toSeconds() + " (0: default)");
    }
    return seconds == 0 ? limits.defaultInvitationTtl() : Duration.ofSeconds(seconds);
  }

}
