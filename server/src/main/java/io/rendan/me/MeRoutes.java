package io.rendan.me;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.AddOperatorRequest;
import io.rendan.protocol.api.v1.ChangeCapabilitiesRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.RemoveOperatorRequest;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/mes/...}: the HTTP face of {@link MeApi}.
 *
 * <pre>
 * POST   /v1/mes                              register (201, or 200 for a repeat)
 * GET    /v1/mes/{meId}                       read
 * PUT    /v1/mes/{meId}/capabilities          replace the capabilities
 * POST   /v1/mes/{meId}/operators             add an operator
 * DELETE /v1/mes/{meId}/operators/{subject}   remove an operator
 * </pre>
 */
public final class MeRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/mes", BEARER, "anyone signed in; the caller becomes the ME's operator"),
          Endpoint.get("/v1/mes/{meId}", BEARER, "anyone signed in; the balance only for its operators and admins"),
          Endpoint.put("/v1/mes/{meId}/capabilities", BEARER, "its operators"),
          Endpoint.post("/v1/mes/{meId}/operators", BEARER, "its operators"),
          Endpoint.delete("/v1/mes/{meId}/operators/{subject}", BEARER, "its operators"));

  private final MeApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public MeRoutes(MeApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix(
        "mes",
        () ->
            auth.authenticated(
                caller ->
                    extractRequest(
                        request ->
                            concat(
                                pathEnd(() -> post(() -> register(request, caller))),
                                pathPrefix(PathMatchers.segment(), meId -> meRoutes(request, caller, meId))))));
  }

  private Route meRoutes(HttpRequest request, Caller caller, String meId) {
    return concat(
        pathEnd(() -> get(() -> answer(request, () -> api.get(caller, meId)))),
        path("capabilities", () -> put(() -> changeCapabilities(request, caller, meId))),
        pathPrefix(
            "operators",
            () ->
                concat(
                    pathEnd(() -> post(() -> addOperator(request, caller, meId))),
                    path(
                        PathMatchers.segment(),
                        subject -> delete(() -> removeOperator(request, caller, meId, subject))))));
  }

  private Route register(HttpRequest request, Caller caller) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, RegisterMeRequest.newBuilder())
                    .thenCompose(body -> api.register(caller, body.build()))
                    .thenApply(
                        r ->
                            codec
                                .respond(request, r.created() ? StatusCodes.CREATED : StatusCodes.OK, r.me())
                                .addHeader(Location.create("/v1/mes/" + r.me().getMeId())))));
  }

  private Route changeCapabilities(HttpRequest request, Caller caller, String meId) {
    return answer(
        request,
        () ->
            codec
                .read(request, ChangeCapabilitiesRequest.newBuilder())
                .thenCompose(
                    body -> api.changeCapabilities(caller, body.setMeId(samePath(meId, body.getMeId())).build())));
  }

  private Route addOperator(HttpRequest request, Caller caller, String meId) {
    return answer(
        request,
        () ->
            codec
                .read(request, AddOperatorRequest.newBuilder())
                .thenCompose(body -> api.addOperator(caller, body.setMeId(samePath(meId, body.getMeId())).build())));
  }

  private Route removeOperator(HttpRequest request, Caller caller, String meId, String subject) {
    RemoveOperatorRequest body = RemoveOperatorRequest.newBuilder().setMeId(meId).setSubject(subject).build();
    return answer(request, () -> api.removeOperator(caller, body));
  }

  private Route answer(HttpRequest request, Supplier<CompletionStage<Me>> call) {
    CompletionStage<HttpResponse> response =
        codec.handle(request, () -> call.get().thenApply(me -> codec.respond(request, StatusCodes.OK, me)));
    return completeWithFuture(response);
  }

  /** A body may repeat the path's id, but must not name another one. */
  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "meId in the body differs from the path");
    }
    return pathId;
  }
}
