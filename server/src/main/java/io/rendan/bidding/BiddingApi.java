package io.rendan.bidding;

import io.rendan.auth.Caller;
import io.rendan.bidding.RoundProtocol.Accepted;
import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundProtocol.BidAccepted;
import io.rendan.bidding.RoundProtocol.Command;
import io.rendan.bidding.RoundProtocol.Rejected;
import io.rendan.bidding.RoundProtocol.Reply;
import io.rendan.cluster.Asks;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcChecks;
import io.rendan.emc.EmcMembership;
import io.rendan.emc.EmcViews;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.me.MeEntity;
import io.rendan.protocol.api.v1.AwardBidRequest;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.CancelRoundRequest;
import io.rendan.protocol.api.v1.GetRoundRequest;
import io.rendan.protocol.api.v1.ListRoundsRequest;
import io.rendan.protocol.api.v1.ListRoundsResponse;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Terms;
import io.rendan.protocol.api.v1.WithdrawBidRequest;
import io.rendan.pubsub.LiveTopics;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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
 * What clients can do with calls, rounds and bids, shared by HTTP and WebSocket.
 * It finds out which ME the caller acts for (the EMC's owner, the bidder) and
 * what the round needs to know of a bidder; the round decides the rest.
 */
public final class BiddingApi {
  public static final String TOPIC_PREFIX = "round/";
  private static final Pattern CAPABILITY = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  private static final int MAX_TEXT = 2_000;
  private static final int MAX_ROLE = 64;

  /** Limits of requests, from {@code rendan.bidding}. */
  public record Limits(Duration minClosesIn, Duration maxClosesIn, int maxListed) {}

  private final ClusterSharding sharding;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final RoundDirectory directory;
  private final Duration askTimeout;
  private final Asks.Retry retry;
  private final Limits limits;
  private final Clock clock;
  private final RoundPostings postings = new RoundPostings(this::state);
  private final SelfAwardCheck selfAward;

  private BiddingApi(
      ClusterSharding sharding,
      MeApi meApi,
      EmcApi emcApi,
      RoundDirectory directory,
      Duration askTimeout,
      Asks.Retry retry,
      Limits limits,
      Clock clock) {
    this.sharding = sharding;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.selfAward = new SelfAwardCheck(emcApi, postings);
    this.directory = directory;
    this.askTimeout = askTimeout;
    this.retry = retry;
    this.limits = limits;
    this.clock = clock;
  }

  /** Starts the round shard region on this node, its changes published on {@code round/{roundId}}. */
  public static BiddingApi start(
      ActorSystem<?> system,
      LiveTopics topics,
      MeApi meApi,
      EmcApi emcApi,
      RoundDirectory directory,
      BiddingSettings settings,
      Duration askTimeout,
      Clock clock) {
    RoundEntity.init(system, settings.round(), (event, state) -> topics.publish(RoundMapping.push(event, state, clock)), clock);
    return new BiddingApi(
        ClusterSharding.get(system), meApi, emcApi, directory, askTimeout, Asks.Retry.from(system.settings().config()), settings.limits(), clock);
  }

  public CompletionStage<Round> postCall(Caller caller, PostCallRequest request) {
    if (!request.getCall().getPainPointId().isEmpty()) {
      throw invalid("call.painPointId is set by the server: open a call from a pain point with POST /v1/emcs/{emcId}/pain-points/{painPointId}/call");
    }
    return postCall(caller, request, null);
  }

  /** A call that answers a pain point of the EMC (io.rendan.painpoint), which it names. */
  public CompletionStage<Round> postCallFor(Caller caller, PostCallRequest request, String painPointId) {
    return postCall(caller, request.toBuilder().setCall(request.getCall().toBuilder().clearPainPointId()).build(), checkId("painPointId", painPointId));
  }

  private CompletionStage<Round> postCall(Caller caller, PostCallRequest request, String painPointId) {
    String emcId = checkId("emcId", request.getEmcId());
    String roundId = request.getRoundId().isEmpty() ? UUID.randomUUID().toString() : checkId("roundId", request.getRoundId());
    RoundEntity.Call call = painPointId == null ? call(request.getCall()) : call(request.getCall()).withPainPoint(painPointId);
    Instant closesAt = closesAt(request);
    return emcApi
        .charter()
        .helpFirst(emcId)
        .thenCombine(emcApi.current(emcId), (helpFirst, emc) -> java.util.Map.entry(emc, helpFirst))
        .thenCompose(
            found -> {
              io.rendan.emc.EmcState emc = found.getKey();
              if (emc.isDissolved()) {
                throw new ApiException(io.rendan.emc.EmcCodes.DISSOLVED, "the EMC is dissolved");
              }
              if (call.replacesMeId() != null) {
                // checked again when the award's invitation is issued and accepted: the EMC decides
                emc.seatNotReplaceable(call.replacesMeId(), found.getValue())
                    .ifPresent(
                        refused -> {
                          throw new ApiException(refused.code(), refused.message());
                        });
              }
              return meApi
                  .requireOperator(caller, emc.ownerMeId(), BiddingCodes.NOT_OWNER, "only operators of the EMC's owner post calls")
                  .thenCompose(
                      owner ->
                          // one ask: a second copy is answered as a repeat (created false: 200, not 201)
                          ask(
                              roundId,
                              replyTo -> new RoundProtocol.PostCall(emcId, emc.ownerMeId(), call, closesAt, emc.ownerMeId(), replyTo)));
            })
        .thenApply(reply -> RoundMapping.toProto(((Accepted) reply).round(), bid -> true));
  }

  /**
   * What other packages add to a round's view: the prospectus (io.rendan.prospect).
   * Installed once at start; until then a view is the round alone.
   */
  public interface RoundViews {
    /** The view with what it adds; {@code owner}: the caller operates the round's owner. */
    CompletionStage<Round> extend(Round view, boolean owner);

    CompletionStage<io.rendan.protocol.api.v1.Prospectus> prospectus(
        Caller caller, io.rendan.protocol.api.v1.GetProspectusRequest request);
  }

  private volatile RoundViews views;

  public void extendViews(RoundViews views) {
    this.views = views;
  }

  /** The prospectus of a round (GET /v1/rounds/{roundId}/prospectus, getProspectus). */
  public CompletionStage<io.rendan.protocol.api.v1.Prospectus> prospectus(
      Caller caller, io.rendan.protocol.api.v1.GetProspectusRequest request) {
    RoundViews installed = views;
    if (installed == null) {
      throw new ApiException(ErrorCodes.SERVER_UNAVAILABLE, "prospectuses are not served yet");
    }
    return installed.prospectus(caller, request);
  }

  /** A round as one caller may see it, and whether that caller operates its owner. */
  public record View(Round round, boolean owner) {}

  /** The round as the caller may see it, with what {@link RoundViews} adds. */
  public CompletionStage<Round> get(Caller caller, GetRoundRequest request) {
    return view(caller, request)
        .thenCompose(
            v -> {
              RoundViews installed = views;
              return installed == null ? CompletableFuture.completedFuture(v.round()) : installed.extend(v.round(), v.owner());
            });
  }

  /** The round as the caller may see it: every bid for the owner's operators, its own for a bidder. */
  public CompletionStage<View> view(Caller caller, GetRoundRequest request) {
    String roundId = checkId("roundId", request.getRoundId());
    String asMe = request.getAsMe().isEmpty() ? null : checkId("asMe", request.getAsMe());
    return state(roundId)
        .thenCompose(
            round ->
                meApi
                    .requireOperator(caller, round.ownerMeId())
                    .thenApply(owner -> new View(RoundMapping.toProto(round, bid -> true), true))
                    .exceptionallyCompose(
                        notOwner -> {
                          if (!MeApi.isRefusal(notOwner, ErrorCodes.AUTH_FORBIDDEN)) {
                            return CompletableFuture.failedFuture(notOwner);
                          }
                          if (asMe == null) {
                            return CompletableFuture.completedFuture(new View(RoundMapping.publicView(round), false));
                          }
                          Bid unitBid = round.bids().values().stream().filter(b -> b.emcBidder() && b.meId().equals(asMe)).findFirst().orElse(null);
                          return (unitBid == null
                                  ? meApi.requireOperator(caller, asMe).thenApply(me -> asMe)
                                  : requireBidderOperator(caller, unitBid, ErrorCodes.AUTH_FORBIDDEN, "you do not act for EMC " + asMe))
                              .thenApply(me -> new View(RoundMapping.toProto(round, RoundMapping.visibleTo(round, asMe)), false));
                        }));
  }

  /** {@link #view} for its owner's operators; for anyone else only what the round was posted with ({@link RoundPostings#view}). */
  public CompletionStage<View> postedView(Caller caller, String roundId) {
    GetRoundRequest whole = GetRoundRequest.newBuilder().setRoundId(checkId("roundId", roundId)).build();
    return postings.view(caller, roundId, meApi, () -> view(caller, whole));
  }

  public CompletionStage<ListRoundsResponse> list(Caller caller, ListRoundsRequest request) {
    RoundEntity.Status status =
        switch (request.getStatus()) {
          case STATUS_UNSPECIFIED, OPEN -> RoundEntity.Status.OPEN;
          case CLOSED -> RoundEntity.Status.CLOSED;
          case AWARDED -> RoundEntity.Status.AWARDED;
          case UNSUCCESSFUL -> RoundEntity.Status.UNSUCCESSFUL;
          case CANCELLED -> RoundEntity.Status.CANCELLED;
          default -> throw invalid("status must be OPEN, CLOSED, AWARDED, UNSUCCESSFUL or CANCELLED");
        };
    String capability = request.getCapability().isEmpty() ? null : checkCapability(request.getCapability());
    String emcId = request.getEmcId().isEmpty() ? null : checkId("emcId", request.getEmcId());
    if (request.getLimit() < 0 || request.getLimit() > limits.maxListed()) {
      throw invalid("limit must be between 1 and " + limits.maxListed());
    }
    int limit = request.getLimit() == 0 ? limits.maxListed() : request.getLimit();
    RoundDirectory.Page after = request.getAfter().isEmpty() ? null : RoundDirectory.Page.parse(request.getAfter());
    return directory.list(status, capability, emcId, limit, after);
  }

  public CompletionStage<Round> placeBid(Caller caller, PlaceBidRequest request) {
    String roundId = checkId("roundId", request.getRoundId());
    String bidId = checkId("bidId", request.getBidId());
    String meId = checkId("meId", request.getMeId());
    int ask = request.getAskShareBps();
    if (ask < 0 || ask > EmcMembership.MAX_BPS) {
      throw invalid("askShareBps must be between 0 and " + EmcMembership.MAX_BPS);
    }
    String plan = checkText("plan", request.getPlan(), true);
    if (emcBidder(request.getBidderKind())) {
      return placeUnitBid(caller, roundId, bidId, meId, ask, plan);
    }
    return meApi
        .requireOperator(caller, meId)
        .thenCompose(me -> selfAwardChecked(roundId, meId).thenApply(checked -> me))
        .thenCompose(
            me -> {
              RoundEntity.Bidder bidder =
                  new RoundEntity.Bidder(
                      meId,
                      me.capabilities(),
                      me.rating(),
                      me.activeMemberships().stream().map(MeEntity.Membership::emcId).toList());
              return askAgain(roundId, replyTo -> new RoundProtocol.PlaceBid(bidId, bidder, ask, plan, replyTo));
            })
        .thenApply(
            reply -> {
              BidAccepted accepted = (BidAccepted) reply;
              return RoundMapping.summaryProto(accepted.round()).addBids(RoundMapping.toProto(accepted.bid())).build();
            });
  }

  /**
   * An EMC bidding as one unit (bidderKind "emc"): its owner's operators place
   * the bid, the round sees one bidder (the EMC, with its members' capabilities
   * and its unit rating, {@link io.rendan.emc.EmcUnit#rating}), and the charter's
   * self-award check looks at the EMC's owner.
   */
  private CompletionStage<Round> placeUnitBid(Caller caller, String roundId, String bidId, String emcId, int ask, String plan) {
    return state(roundId)
        .thenCompose(
            round -> {
              if (round.isPosted() && round.call().replacesMeId() != null) {
                throw invalid("an EMC bids for a seat of its own, not in a replacement round");
              }
              return emcApi.asUnit().bidder(caller, emcId, round.emcId());
            })
        .thenCompose(unit -> selfAwardChecked(roundId, unit.ownerMeId()).thenApply(checked -> unit))
        .thenCompose(
            unit -> {
              RoundEntity.Bidder bidder =
                  new RoundEntity.Bidder(
                      emcId, unit.capabilities(), unit.rating(), unit.memberOf(), true);
              return askAgain(roundId, replyTo -> new RoundProtocol.PlaceBid(bidId, bidder, ask, plan, replyTo));
            })
        .thenApply(
            reply -> {
              BidAccepted accepted = (BidAccepted) reply;
              return RoundMapping.summaryProto(accepted.round()).addBids(RoundMapping.toProto(accepted.bid())).build();
            });
  }

  private static boolean emcBidder(String kind) {
    return switch (kind) {
      case "", "me" -> false;
      case EmcViews.EMC_KIND -> true;
      default -> throw invalid("bidderKind must be \"me\" or \"emc\"");
    };
  }

  /**
   * Who acts for a bid: its ME's operators, or for an EMC's bid its owner's.
   * Answers the ME that acts ({@code auth:forbidden} or {@code refusalCode} otherwise).
   */
  private CompletionStage<String> requireBidderOperator(Caller caller, Bid bid, String refusalCode, String refusal) {
    if (!bid.emcBidder()) {
      return meApi.requireOperator(caller, bid.meId(), refusalCode, refusal).thenApply(me -> bid.meId());
    }
    return emcApi.asUnit()
        .requireOwnerOperator(caller, bid.meId())
        .exceptionally(
            failure -> {
              if (MeApi.isRefusal(failure, ErrorCodes.AUTH_FORBIDDEN)) {
                throw new ApiException(refusalCode, refusal);
              }
              throw failure instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(failure);
            });
  }

  private CompletionStage<Void> selfAwardChecked(String roundId, String meId) {
    return selfAward.checked(roundId, meId);
  }

  public CompletionStage<Round> withdrawBid(Caller caller, WithdrawBidRequest request) {
    String roundId = checkId("roundId", request.getRoundId());
    String bidId = checkId("bidId", request.getBidId());
    return state(roundId)
        .thenCompose(
            round -> {
              Bid bid = round.bids().get(bidId);
              if (bid == null) {
                throw new ApiException(BiddingCodes.BID_NOT_FOUND, "no bid " + bidId);
              }
              return requireBidderOperator(caller, bid, BiddingCodes.NOT_BIDDER, "only operators of the bidder withdraw a bid")
                  .thenCompose(me -> askAgain(roundId, replyTo -> new RoundProtocol.WithdrawBid(bidId, bid.meId(), replyTo)))
                  .thenApply(reply -> RoundMapping.toProto(((Accepted) reply).round(), RoundMapping.visibleTo(round, bid.meId())));
            });
  }

  public CompletionStage<Round> awardBid(Caller caller, AwardBidRequest request) {
    String roundId = checkId("roundId", request.getRoundId());
    String bidId = checkId("bidId", request.getBidId());
    return state(roundId)
        .thenCompose(
            round -> {
              RoundEntity.Bid bid = round.bids().get(bidId);
              return bid == null || round.emcId() == null
                  ? CompletableFuture.completedFuture(null)
                  : meApi
                      .requireOperator(caller, round.ownerMeId(), BiddingCodes.NOT_OWNER, "only operators of the EMC's owner may do this")
                      .thenCompose(owner -> bid.emcBidder() ? emcApi.asUnit().ownerOf(bid.meId()) : CompletableFuture.completedFuture(bid.meId()))
                      .thenCompose(bidderMe -> emcApi.charter().checkAward(round.emcId(), round.ownerMeId(), bidderMe));
            })
        .thenCompose(checked -> asOwner(caller, roundId, owner -> replyTo -> new RoundProtocol.AwardBid(bidId, owner, replyTo)));
  }

  public CompletionStage<Round> cancel(Caller caller, CancelRoundRequest request) {
    String roundId = checkId("roundId", request.getRoundId());
    return asOwner(caller, roundId, owner -> replyTo -> new RoundProtocol.CancelRound(owner, replyTo));
  }

  /** Anyone signed in may watch a round: its pushes never carry bids. Answers the version. */
  public CompletionStage<Long> authorizeWatch(Caller caller, String roundId) {
    return askAgain(checkId("roundId", roundId), RoundProtocol.GetSummary::new)
        .thenApply(reply -> ((RoundProtocol.Summarized) reply).round().version());
  }

  /** The round as stored (for the award delivery). */
  public CompletionStage<RoundState> state(String roundId) {
    return askAgain(roundId, RoundProtocol.GetRound::new).thenApply(reply -> ((Accepted) reply).round());
  }

  /** Brings a round into memory, so that its deadline timer runs (after a restart). */
  public void wake(String roundId) {
    sharding.entityRefFor(RoundEntity.TYPE_KEY, roundId).tell(RoundProtocol.Wake.INSTANCE);
  }

  private CompletionStage<Round> asOwner(
      Caller caller, String roundId, Function<String, Function<ActorRef<Reply>, Command>> command) {
    return state(roundId)
        .thenCompose(
            round ->
                meApi
                    .requireOperator(caller, round.ownerMeId(), BiddingCodes.NOT_OWNER, "only operators of the EMC's owner may do this")
                    .thenCompose(owner -> askAgain(roundId, command.apply(round.ownerMeId()))))
        .thenApply(reply -> RoundMapping.toProto(((Accepted) reply).round(), bid -> true));
  }

  /**
   * A post of a call: sent once. Its second copy is answered with the round as a
   * repeat ({@code created} false: 200 where the first got 201), so a post that
   * is not answered in time is {@code 503 server:unavailable}, and sent again by
   * the client it is answered with the round.
   */
  private CompletionStage<Reply> ask(String roundId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(RoundEntity.TYPE_KEY, roundId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>ask(ref, command, askTimeout));
  }

  /**
   * A command of a round that is safe to send twice, sent again while the round
   * does not answer in time ({@link Asks#askAgain}): a read; a bid, by its bidId
   * (the same bid again is answered with the bid as stored); a withdrawal, an
   * award of the same bid, a cancellation (each answered with the round once
   * done).
   */
  private CompletionStage<Reply> askAgain(String roundId, Function<ActorRef<Reply>, Command> command) {
    EntityRef<Command> ref = sharding.entityRefFor(RoundEntity.TYPE_KEY, roundId);
    return ApiException.failOnRefusal(Asks.<Command, Reply>askAgain(ref, command, retry));
  }

  // ---- validation -----------------------------------------------------------------------------

  private RoundEntity.Call call(Call call) {
    String capability = checkCapability(call.getCapability());
    Side side =
        switch (call.getSide()) {
          case EXPERIENCE -> Side.EXPERIENCE;
          case SOLUTION -> Side.SOLUTION;
          default -> throw invalid("call.side is required: EXPERIENCE or SOLUTION");
        };
    String role = call.getRole().strip();
    if (role.isEmpty() || role.length() > MAX_ROLE || role.chars().anyMatch(Character::isISOControl)) {
      throw invalid("call.role is required: 1 to " + MAX_ROLE + " characters");
    }
    String description = checkText("call.description", call.getDescription(), true);
    if (call.getMaxShareBps() < 1 || call.getMaxShareBps() > EmcMembership.MAX_BPS) {
      throw invalid("call.maxShareBps must be between 1 and " + EmcMembership.MAX_BPS);
    }
    RoundEntity.Mode mode =
        switch (call.getMode()) {
          case SEALED -> RoundEntity.Mode.SEALED;
          case OPEN -> RoundEntity.Mode.OPEN;
          default -> throw invalid("call.mode is required: SEALED or OPEN");
        };
    if (call.getMinStepBps() < 0 || call.getMinStepBps() > call.getMaxShareBps()) {
      throw invalid("call.minStepBps must be between 0 and maxShareBps");
    }
    if (mode == RoundEntity.Mode.OPEN && call.getMinStepBps() < 1) {
      throw invalid("an OPEN round needs call.minStepBps of at least 1");
    }
    if (call.getMinRating() < 0 || call.getMinRating() > 1_000) {
      throw invalid("call.minRating must be between 0 and 1000");
    }
    // the winner's contract: the target and missed-period limit of the call, the share of the bid
    EmcMembership.Terms terms =
        io.rendan.emc.EmcChecks.checkTerms(
            Terms.newBuilder()
                .setShareBps(0)
                .setTarget(call.hasTarget() ? call.getTarget() : Target.getDefaultInstance())
                .setMissedPeriodLimit(call.getMissedPeriodLimit())
                .build(),
            "call");
    return new RoundEntity.Call(
        capability,
        side,
        role,
        description,
        call.getMaxShareBps(),
        mode,
        call.getMinStepBps(),
        call.getMinRating(),
        call.getAutoAward(),
        terms.target(),
        terms.missedPeriodLimit(),
        call.getReplacesMeId().isEmpty() ? null : checkId("call.replacesMeId", call.getReplacesMeId()));
  }

  private Instant closesAt(PostCallRequest request) {
    Instant now = clock.instant();
    Instant closesAt;
    if (request.hasClosesAt() == (request.getClosesInSeconds() != 0)) {
      throw invalid("give exactly one of closesAt and closesInSeconds");
    }
    if (request.hasClosesAt()) {
      closesAt = Instant.ofEpochSecond(request.getClosesAt().getSeconds(), request.getClosesAt().getNanos());
    } else {
      if (request.getClosesInSeconds() < 0) {
        throw invalid("closesInSeconds must be positive");
      }
      closesAt = now.plusSeconds(request.getClosesInSeconds());
    }
    if (closesAt.isBefore(now.plus(limits.minClosesIn())) || closesAt.isAfter(now.plus(limits.maxClosesIn()))) {
      throw invalid(
          "the round must close between " + limits.minClosesIn().toSeconds() + " s and "
              + limits.maxClosesIn().toDays() + " days from now (server time " + now + ")");
    }
    return closesAt;
  }

  static String checkId(String field, String id) {
    return io.rendan.http.Ids.check(field, id);
  }

  private static String checkCapability(String capability) {
    if (!CAPABILITY.matcher(capability).matches()) {
      throw invalid("capability must be 1 to 64 lower-case letters, digits or '-'");
    }
    return capability;
  }

  private static String checkText(String field, String text, boolean mayBeEmpty) {
    String trimmed = text.strip();
    if ((!mayBeEmpty && trimmed.isEmpty()) || trimmed.length() > MAX_TEXT) {
      throw invalid(field + " must be at most " + MAX_TEXT + " characters");
    }
    return trimmed;
  }

  private static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }
}
