package io.rendan.bidding;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.google.protobuf.Message;
import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.AwardBidRequest;
import io.rendan.protocol.api.v1.CancelRoundRequest;
import io.rendan.protocol.api.v1.GetRoundRequest;
import io.rendan.protocol.api.v1.ListRoundsRequest;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.WithdrawBidRequest;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP face of {@link BiddingApi}.
 *
 * <pre>
 * POST   /v1/emcs/{emcId}/calls                 post a call; opens its round (owner; 201)
 * GET    /v1/rounds?status=&capability=&limit=&after=   the directory
 * GET    /v1/rounds/{roundId}[?asMe={meId}]     the round as the caller may see it
 * POST   /v1/rounds/{roundId}/bids              bid (an operator of meId)
 * DELETE /v1/rounds/{roundId}/bids/{bidId}      withdraw (the bidder)
 * POST   /v1/rounds/{roundId}/award             award a bid (owner)
 * POST   /v1/rounds/{roundId}/cancel            cancel the round (owner)
 * </pre>
 */
public final class BiddingRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/emcs/{emcId}/calls", BEARER, "operators of the EMC's owner ME"),
          Endpoint.get("/v1/rounds", BEARER, "anyone signed in; never bids"),
          Endpoint.get(
              "/v1/rounds/{roundId}",
              BEARER,
              "anyone signed in sees the round without bids; a bidder's operators its own bids (asMe); the owner's operators all"),
          Endpoint.post("/v1/rounds/{roundId}/bids", BEARER, "operators of the bidding ME (meId); for an EMC bidding as one unit (bidderKind emc), of that EMC's owner ME"),
          Endpoint.delete("/v1/rounds/{roundId}/bids/{bidId}", BEARER, "operators of the bidder (for an EMC's bid: of its owner ME)"),
          Endpoint.post("/v1/rounds/{roundId}/award", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/rounds/{roundId}/cancel", BEARER, "operators of the owner ME"));

  private final BiddingApi api;
  private final HttpCodec codec;
  private final Authenticator auth;
  public BiddingRoutes(BiddingApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        pathPrefix(
            "emcs",
            () ->
                path(
                    PathMatchers.segment().slash("calls"),
                    emcId ->
                        post(
                            () ->
                                auth.authenticated(
                                    caller -> extractRequest(request -> postCall(request, caller, emcId)))))),
        pathPrefix(
            "rounds",
            () ->
                auth.authenticated(
                    caller ->
                        extractRequest(
                            request ->
                                concat(
                                    pathEnd(() -> get(() -> list(request, caller))),
                                    pathPrefix(PathMatchers.segment(), roundId -> roundRoutes(request, caller, roundId)))))));
  }

  private Route roundRoutes(HttpRequest request, Caller caller, String roundId) {
    return concat(
        pathEnd(
            () ->
                get(
                    () ->
                        parameterOptional(
                            "asMe",
                            asMe ->
                                answer(
                                    request,
                                    StatusCodes.OK,
                                    () ->
                                        api.get(
                                            caller,
                                            GetRoundRequest.newBuilder().setRoundId(roundId).setAsMe(asMe.orElse("")).build()))))),
        pathPrefix(
            "bids",
            () ->
                concat(
                    pathEnd(() -> post(() -> placeBid(request, caller, roundId))),
                    path(
                        PathMatchers.segment(),
                        bidId ->
                            delete(
                                () ->
                                    answer(
                                        request,
                                        StatusCodes.OK,
                                        () ->
                                            api.withdrawBid(
                                                caller,
                                                WithdrawBidRequest.newBuilder().setRoundId(roundId).setBidId(bidId).build())))))),
        path(
            "award",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            StatusCodes.OK,
                            () ->
                                codec
                                    .read(request, AwardBidRequest.newBuilder())
                                    .thenCompose(
                                        b -> api.awardBid(caller, b.setRoundId(samePath(roundId, b.getRoundId())).build()))))),
        path(
            "cancel",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            StatusCodes.OK,
                            () ->
                                codec
                                    .readOptional(request, CancelRoundRequest.newBuilder())
                                    .thenCompose(
                                        b -> api.cancel(caller, b.setRoundId(samePath(roundId, b.getRoundId())).build()))))));
  }

  private Route postCall(HttpRequest request, Caller caller, String emcId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, PostCallRequest.newBuilder())
                    .thenCompose(b -> api.postCall(caller, b.setEmcId(samePath(emcId, b.getEmcId())).build()))
                    .thenApply(
                        round ->
                            codec
                                .respond(request, StatusCodes.CREATED, round)
                                .addHeader(Location.create("/v1/rounds/" + round.getRoundId())))));
  }

  private Route placeBid(HttpRequest request, Caller caller, String roundId) {
    return answer(
        request,
        StatusCodes.OK,
        () ->
            codec
                .read(request, PlaceBidRequest.newBuilder())
                .thenCompose(b -> api.placeBid(caller, b.setRoundId(samePath(roundId, b.getRoundId())).build())));
  }

  private Route list(HttpRequest request, Caller caller) {
    return parameterMap(
        params ->
            answer(
                request,
                StatusCodes.OK,
                () ->
                    api.list(
                        caller,
                        listRequest(
                            Optional.ofNullable(params.get("status")),
                            Optional.ofNullable(params.get("capability")),
                            Optional.ofNullable(params.get("emcId")),
                            Optional.ofNullable(params.get("limit")),
                            Optional.ofNullable(params.get("after"))))));
  }

  private static ListRoundsRequest listRequest(
      Optional<String> status,
      Optional<String> capability,
      Optional<String> emcId,
      Optional<String> limit,
      Optional<String> after) {
    ListRoundsRequest.Builder b = ListRoundsRequest.newBuilder();
    try {
      status.ifPresent(s -> b.setStatus(Round.Status.valueOf(s)));
      limit.ifPresent(l -> b.setLimit(Integer.parseInt(l)));
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "status must be a round status and limit a number");
    }
    capability.ifPresent(b::setCapability);
    emcId.ifPresent(b::setEmcId);
    after.ifPresent(b::setAfter);
    return b.build();
  }

  private <T extends Message> Route answer(HttpRequest request, StatusCode status, Supplier<CompletionStage<T>> call) {
    return completeWithFuture(
        codec.handle(request, () -> call.get().thenApply(body -> codec.respond(request, status, body))));
  }

  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }
}
