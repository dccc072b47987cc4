package io.rendan.painpoint;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.google.protobuf.Message;
import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.GetPainPointRequest;
import io.rendan.protocol.api.v1.ListPainPointsRequest;
import io.rendan.protocol.api.v1.PainPoint;
import io.rendan.protocol.api.v1.PostPainPointRequest;
import io.rendan.protocol.api.v1.TriagePainPointRequest;
import io.rendan.protocol.api.v1.VotePainPointRequest;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * <pre>
 * POST /v1/emcs/{emcId}/pain-points                            post one (anyone signed in)
 * GET  /v1/emcs/{emcId}/pain-points?status=                    the EMC's pain points (anyone signed in)
 * GET  /v1/emcs/{emcId}/pain-points/{painPointId}              one (anyone signed in)
 * POST /v1/emcs/{emcId}/pain-points/{painPointId}/votes        vote (anyone signed in, once)
 * POST /v1/emcs/{emcId}/pain-points/{painPointId}/triage       acknowledge, merge or decline (experience side)
 * POST /v1/emcs/{emcId}/pain-points/{painPointId}/call         turn it into a call for resources (owner)
 * </pre>
 */
public final class PainPointRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/emcs/{emcId}/pain-points", BEARER, "anyone signed in (an end user), within its posts per period"),
          Endpoint.get("/v1/emcs/{emcId}/pain-points", BEARER, "anyone signed in"),
          Endpoint.get("/v1/emcs/{emcId}/pain-points/{painPointId}", BEARER, "anyone signed in"),
          Endpoint.post("/v1/emcs/{emcId}/pain-points/{painPointId}/votes", BEARER, "anyone signed in, once per pain point, within its votes per period"),
          Endpoint.post(
              "/v1/emcs/{emcId}/pain-points/{painPointId}/triage", BEARER, "operators of an experience-side member of the EMC (meId)"),
          Endpoint.post("/v1/emcs/{emcId}/pain-points/{painPointId}/call", BEARER, "operators of the EMC's owner ME"));

  private final PainPointApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public PainPointRoutes(PainPointApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("emcs").slash(PathMatchers.segment()).slash("pain-points"),
        emcId ->
            auth.authenticated(
                caller ->
                    extractRequest(
                        request ->
                            concat(
                                pathEnd(() -> board(request, caller, emcId)),
                                pathPrefix(PathMatchers.segment(), id -> painPoint(request, caller, emcId, id))))));
  }

  private Route board(HttpRequest request, Caller caller, String emcId) {
    return concat(
        post(() -> answer(request, StatusCodes.CREATED, () -> postPainPoint(request, caller, emcId))),
        get(
            () ->
                parameterOptional(
                    "status", status -> answer(request, StatusCodes.OK, () -> api.list(caller, list(emcId, status.orElse("")))))));
  }

  private Route painPoint(HttpRequest request, Caller caller, String emcId, String id) {
    return concat(
        pathEnd(
            () ->
                get(
                    () ->
                        answer(
                            request,
                            StatusCodes.OK,
                            () -> api.get(caller, GetPainPointRequest.newBuilder().setEmcId(emcId).setPainPointId(id).build())))),
        path(
            "votes",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            StatusCodes.OK,
                            () ->
                                codec
                                    .readOptional(request, VotePainPointRequest.newBuilder())
                                    .thenCompose(
                                        b ->
                                            api.vote(
                                                caller,
                                                b.setEmcId(same(emcId, b.getEmcId())).setPainPointId(same(id, b.getPainPointId())).build()))))),
        path(
            "call",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            StatusCodes.CREATED,
                            () ->
                                codec
                                    .read(request, io.rendan.protocol.api.v1.OpenPainPointCallRequest.newBuilder())
                                    .thenCompose(
                                        b ->
                                            api.openCall(
                                                caller,
                                                b.setEmcId(same(emcId, b.getEmcId())).setPainPointId(same(id, b.getPainPointId())).build()))))),
        path(
            "triage",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            StatusCodes.OK,
                            () ->
                                codec
                                    .read(request, TriagePainPointRequest.newBuilder())
                                    .thenCompose(
                                        b ->
                                            api.triage(
                                                caller,
                                                b.setEmcId(same(emcId, b.getEmcId())).setPainPointId(same(id, b.getPainPointId())).build()))))));
  }

  private CompletionStage<PainPoint> postPainPoint(HttpRequest request, Caller caller, String emcId) {
    return codec
        .read(request, PostPainPointRequest.newBuilder())
        .thenCompose(b -> api.post(caller, b.setEmcId(same(emcId, b.getEmcId())).build()));
  }

  private static ListPainPointsRequest list(String emcId, String status) {
    ListPainPointsRequest.Builder b = ListPainPointsRequest.newBuilder().setEmcId(emcId);
    if (!status.isEmpty()) {
      try {
        b.setStatus(PainPoint.Status.valueOf(status));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ErrorCodes.REQUEST_INVALID, "status must be OPEN, ACKNOWLEDGED, MERGED, DECLINED, IN_CALL or RESOLVED");
      }
    }
    return b.build();
  }

  private static String same(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }

  private <T extends Message> Route answer(HttpRequest request, StatusCode status, Supplier<CompletionStage<T>> call) {
    return completeWithFuture(codec.handle(request, () -> call.get().thenApply(body -> codec.respond(request, status, body))));
  }
}
