package io.rendan.painpoint;

import com.google.protobuf.Timestamp;
import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcCodes;
import io.rendan.emc.EmcMembership;
import io.rendan.emc.EmcState;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.painpoint.PainPointProtocol.Accepted;
import io.rendan.painpoint.PainPointProtocol.Command;
import io.rendan.painpoint.PainPointProtocol.Rejected;
import io.rendan.painpoint.PainPointProtocol.Reply;
import io.rendan.protocol.api.v1.GetPainPointRequest;
import io.rendan.protocol.api.v1.ListPainPointsRequest;
import io.rendan.protocol.api.v1.ListPainPointsResponse;
import io.rendan.protocol.api.v1.PainPoint;
import io.rendan.protocol.api.v1.PostPainPointRequest;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.TriagePainPointRequest;
import io.rendan.protocol.api.v1.VotePainPointRequest;
import io.rendan.pubsub.LiveTopics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * What clients do with pain points, shared by HTTP and WebSocket. Anyone signed
 * in is an end user here: posts, votes and reads (the limits per period count per
 * subject). Triage is for operators of an EMC member on the experience side (the
 * owner too when it sits there): this class finds that out from the EMC and the
 * ME, and the board applies the rules.
 */
public final class PainPointApi {
  public static final String TOPIC_PREFIX = "painpoints/";
  private static final Pattern CATEGORY = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  static final int MAX_TEXT = 2_000;
  static final int MAX_REASON = 500;

  private final ClusterSharding sharding;
  private final io.rendan.bidding.BiddingApi biddingApi;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final PainPointBoard.Settings settings;
  private final Duration askTimeout;
  private final Clock clock;

  private PainPointApi(
      ClusterSharding sharding,
      MeApi meApi,
      EmcApi emcApi,
      io.rendan.bidding.BiddingApi biddingApi,
      PainPointBoard.Settings settings,
      Duration askTimeout,
      Clock clock) {
    this.sharding = sharding;
    this.biddingApi = biddingApi;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.settings = settings;
    this.askTimeout = askTimeout;
    this.clock = clock;
  }

  /** Starts the boards' shard region on this node. */
  public static PainPointApi start(
      ActorSystem<?> system,
      LiveTopics topics,
      MeApi meApi,
      EmcApi emcApi,
      io.rendan.bidding.BiddingApi biddingApi,
      PainPointBoard.Settings settings,
      Duration askTimeout,
      Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    PainPointBoard.ChangePublisher publisher = (event, board, id) -> topics.publish(push(event, board, id, clock));
    sharding.init(Entity.of(PainPointBoard.TYPE_KEY, ctx -> PainPointBoard.create(ctx.getEntityId(), settings, publisher, clock)));
    return new PainPointApi(sharding, meApi, emcApi, biddingApi, settings, askTimeout, clock);
  }

  public CompletionStage<PainPoint> post(Caller caller, PostPainPointRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String id = request.getPainPointId().isEmpty() ? UUID.randomUUID().toString() : checkId("painPointId", request.getPainPointId());
    String text = checkText("text", request.getText(), MAX_TEXT);
    String category = checkCategory(request.getCategory());
    String applianceId = request.getApplianceId().isEmpty() ? null : checkId("applianceId", request.getApplianceId());
    return liveEmc(emcId)
        .thenCompose(
            emc -> ask(emcId, replyTo -> new PainPointProtocol.PostPainPoint(id, text, category, applianceId, caller.subject(), false, replyTo)))
        .thenApply(a -> toProto(a.board().painPoints().get(a.painPointId()), caller.subject()));
  }

  public CompletionStage<PainPoint> vote(Caller caller, VotePainPointRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String id = checkId("painPointId", request.getPainPointId());
    return liveEmc(emcId)
        .thenCompose(emc -> ask(emcId, replyTo -> new PainPointProtocol.VotePainPoint(id, caller.subject(), replyTo)))
        .thenApply(a -> toProto(a.board().painPoints().get(a.painPointId()), caller.subject()));
  }

  public CompletionStage<PainPoint> triage(Caller caller, TriagePainPointRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String id = checkId("painPointId", request.getPainPointId());
    String meId = checkId("meId", request.getMeId());
    PainPointProtocol.Action action =
        switch (request.getAction()) {
          case ACKNOWLEDGE -> PainPointProtocol.Action.ACKNOWLEDGE;
          case MERGE -> PainPointProtocol.Action.MERGE;
          case DECLINE -> PainPointProtocol.Action.DECLINE;
          default -> throw invalid("action is required: ACKNOWLEDGE, MERGE or DECLINE");
        };
    String into = action == PainPointProtocol.Action.MERGE ? checkId("into", request.getInto()) : null;
    String reason = action == PainPointProtocol.Action.DECLINE ? checkText("reason", request.getReason(), MAX_REASON) : null;
    return liveEmc(emcId)
        .thenCompose(
            emc -> {
              EmcMembership.Member member = emc.members().get(meId);
              if (member == null || member.side() != io.rendan.vocabulary.Side.EXPERIENCE) {
                throw new ApiException(
                    PainPointCodes.NOT_EXPERIENCE_SIDE, meId + " is not a member of " + emcId + " on the experience side");
              }
              return meApi.requireOperator(caller, meId);
            })
        .thenCompose(me -> ask(emcId, replyTo -> new PainPointProtocol.TriagePainPoint(id, action, meId, into, reason, replyTo)))
        .thenApply(a -> toProto(a.board().painPoints().get(a.painPointId()), caller.subject()));
  }

  /**
   * The owner turns a pain point into a call for resources: the round is posted
   * first (as any call, by the operators of the EMC's owner), under an id derived
   * from the EMC and the pain point so that a retry finds the same round; then the
   * board records it, and the pain point is {@code IN_CALL}, naming the round as the
   * round's call names the pain point.
   */
  public CompletionStage<PainPoint> openCall(Caller caller, io.rendan.protocol.api.v1.OpenPainPointCallRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String id = checkId("painPointId", request.getPainPointId());
    String roundId = roundIdFor(emcId, id);
    io.rendan.protocol.api.v1.PostCallRequest.Builder post =
        io.rendan.protocol.api.v1.PostCallRequest.newBuilder().setEmcId(emcId).setRoundId(roundId).setCall(request.getCall());
    if (request.hasClosesAt()) {
      post.setClosesAt(request.getClosesAt());
    }
    post.setClosesInSeconds(request.getClosesInSeconds());
    return board(emcId)
        .thenCompose(
            board -> {
              PainPointState.PainPoint p = board.painPoints().get(id);
              if (p == null) {
                throw new ApiException(PainPointCodes.NOT_FOUND, "no pain point " + id);
              }
              boolean open = p.status() == PainPointState.Status.OPEN || p.status() == PainPointState.Status.ACKNOWLEDGED;
              if (!open && !roundId.equals(p.roundId())) {
                throw new ApiException(PainPointCodes.CLOSED, "pain point " + id + " is " + p.status());
              }
              return biddingApi.postCallFor(caller, post.build(), id);
            })
        .thenCompose(round -> ask(emcId, replyTo -> new PainPointProtocol.OpenCall(id, roundId, replyTo)))
        .thenApply(a -> toProto(a.board().painPoints().get(a.painPointId()), caller.subject()));
  }

  /** The round of the call that answers a pain point: "pp-" and a name-based UUID of EMC and pain point. */
  static String roundIdFor(String emcId, String painPointId) {
    return "pp-" + UUID.nameUUIDFromBytes(("painpoint/" + emcId + "/" + painPointId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** For the fault delivery: a report of a fault, counted by {@link FaultRule}. */
  CompletionStage<Reply> reportFault(String emcId, Function<ActorRef<Reply>, Command> report) {
    return Asks.<Command, Reply>ask(sharding.entityRefFor(PainPointBoard.TYPE_KEY, emcId), report, askTimeout);
  }

  /** For the resolution delivery: the member awarded {@code roundId} joined. */
  CompletionStage<Accepted> resolve(String emcId, String roundId, String meId) {
    return ask(emcId, replyTo -> new PainPointProtocol.ResolveByRound(roundId, meId, replyTo));
  }

  public CompletionStage<PainPoint> get(Caller caller, GetPainPointRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String id = checkId("painPointId", request.getPainPointId());
    return board(emcId)
        .thenApply(
            board -> {
              PainPointState.PainPoint p = board.painPoints().get(id);
              if (p == null) {
                throw new ApiException(PainPointCodes.NOT_FOUND, "no pain point " + id);
              }
              return toProto(p, caller.subject());
            });
  }

  /** Every pain point of the EMC (at most {@code max-pain-points}), most votes first, then the oldest. */
  public CompletionStage<ListPainPointsResponse> list(Caller caller, ListPainPointsRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    PainPointState.Status status =
        switch (request.getStatus()) {
          case STATUS_UNSPECIFIED -> null;
          case UNRECOGNIZED -> throw invalid("unknown status");
          default -> PainPointState.Status.valueOf(request.getStatus().name());
        };
    return board(emcId)
        .thenApply(
            board -> {
              String period = YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)).toString();
              PainPointState.Quota quota = board.quota(caller.subject(), period);
              ListPainPointsResponse.Builder b =
                  ListPainPointsResponse.newBuilder()
                      .setPeriod(period)
                      .setVersion(board.version())
                      .setPostsLeft(Math.max(0, settings.postsPerPeriod() - quota.posts()))
                      .setVotesLeft(Math.max(0, settings.votesPerPeriod() - quota.votes()));
              board.painPoints().values().stream()
                  .filter(p -> status == null || p.status() == status)
                  .sorted(
                      Comparator.comparingInt((PainPointState.PainPoint p) -> -p.voters().size())
                          .thenComparingLong(PainPointState.PainPoint::order))
                  .forEach(p -> b.addPainPoints(toProto(p, caller.subject())));
              return b.build();
            });
  }

  /** Anyone signed in may watch {@code painpoints/{emcId}} of an EMC that exists; answers the board's version. */
  public CompletionStage<Long> authorizeWatch(Caller caller, String emcId) {
    return board(checkId("emcId", emcId)).thenApply(PainPointState::version);
  }

  private CompletionStage<PainPointState> board(String emcId) {
    return emcApi.current(emcId).thenCompose(emc -> ask(emcId, PainPointProtocol.GetBoard::new)).thenApply(Accepted::board);
  }

  private CompletionStage<EmcState> liveEmc(String emcId) {
    return emcApi
        .current(emcId)
        .thenApply(
            emc -> {
              if (emc.isDissolved()) {
                throw new ApiException(EmcCodes.DISSOLVED, "the EMC is dissolved");
              }
              return emc;
            });
  }

  private CompletionStage<Accepted> ask(String emcId, Function<ActorRef<Reply>, Command> command) {
    return ApiException.failOnRefusal(
            Asks.<Command, Reply>ask(sharding.entityRefFor(PainPointBoard.TYPE_KEY, emcId), command, askTimeout))
        .thenApply(reply -> (Accepted) reply);
  }

  // ---- mapping --------------------------------------------------------------------------------

  static PainPoint toProto(PainPointState.PainPoint p, String subject) {
    PainPoint.Builder b =
        PainPoint.newBuilder()
            .setPainPointId(p.painPointId())
            .setText(p.text())
            .setCategory(p.category())
            .setApplianceId(nullToEmpty(p.applianceId()))
            .setPostedBy(p.postedBy())
            .setBySystem(p.bySystem())
            .setStatus(PainPoint.Status.valueOf(p.status().name()))
            .setVotes(p.voters().size())
            .setMergedInto(nullToEmpty(p.mergedInto()))
            .setReason(nullToEmpty(p.reason()))
            .setTriagedByMeId(nullToEmpty(p.triagedByMeId()))
            .setRoundId(nullToEmpty(p.roundId()))
            .setResolvedByMeId(nullToEmpty(p.resolvedByMeId()))
            .setPostedAt(ts(p.postedAt()))
            .setUpdatedAt(ts(p.updatedAt()))
            .addAllMergedFrom(p.mergedFrom())
            .setVoted(subject != null && p.voters().contains(subject));
    if (p.fault() != null) {
      b.setFaultCode(p.fault().code()).setFaultReports(p.fault().reports());
    }
    return b.build();
  }

  /** What subscribers of {@code painpoints/{emcId}} get: the pain point that changed, never who voted. */
  static Push push(String event, PainPointState board, String painPointId, Clock clock) {
    PainPoint point = toProto(board.painPoints().get(painPointId), null).toBuilder().setEmcId(board.emcId()).build();
    return Push.newBuilder()
        .setTopic(TOPIC_PREFIX + board.emcId())
        .setSeq(board.version())
        .setAt(ts(clock.instant()))
        .setEvent(event)
        .setPainPoint(point)
        .build();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  // ---- validation -----------------------------------------------------------------------------

  static String checkId(String field, String id) {
    return io.rendan.http.Ids.check(field, id);
  }

  private static String checkCategory(String category) {
    if (!CATEGORY.matcher(category).matches()) {
      throw invalid("category is required: 1 to 64 lower-case letters, digits or '-'");
    }
    return category;
  }

  private static String checkText(String field, String text, int max) {
    String trimmed = text.strip();
    if (trimmed.isEmpty() || trimmed.length() > max || trimmed.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
      throw invalid(field + " is required: 1 to " + max + " characters, no control characters but line breaks");
    }
    return trimmed;
  }

  private static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }
}
