package io.rendan.charter;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.AdoptEmcCharterRequest;
import io.rendan.protocol.api.v1.SetCharterRequest;
import java.util.List;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The charter over HTTP.
 *
 * <pre>
 * GET /v1/charter                 the organisation's charter in force (anyone signed in)
 * PUT /v1/charter                 a new version (admins)
 * GET /v1/emcs/{emcId}/charter    what the EMC adopted and what is in force there (who may see the EMC)
 * PUT /v1/emcs/{emcId}/charter    adopt stricter values (the owner)
 * </pre>
 */
public final class CharterRoutes {
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.get("/v1/charter", BEARER, "anyone signed in"),
          Endpoint.put("/v1/charter", ADMIN, "admins"),
          Endpoint.get("/v1/emcs/{emcId}/charter", BEARER, "operators of its MEs (owner, members, invited), admins"),
          Endpoint.put("/v1/emcs/{emcId}/charter", BEARER, "operators of the owner ME"));

  private final CharterApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public CharterRoutes(CharterApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        path(
            "charter",
            () ->
                auth.authenticated(
                    caller ->
                        extractRequest(
                            request ->
                                concat(
                                    get(() -> completeWithFuture(codec.handle(request, () -> api.get().thenApply(c -> codec.respond(request, StatusCodes.OK, c))))),
                                    put(
                                        () ->
                                            completeWithFuture(
                                                codec.handle(
                                                    request,
                                                    () ->
                                                        codec
                                                            .read(request, SetCharterRequest.newBuilder())
                                                            .thenCompose(body -> api.set(caller, body.build()))
                                                            .thenApply(c -> codec.respond(request, StatusCodes.OK, c))))))))),
        path(
            PathMatchers.segment("emcs").slash(PathMatchers.segment()).slash("charter"),
            emcId ->
                auth.authenticated(
                    caller ->
                        extractRequest(
                            request ->
                                concat(
                                    get(
                                        () ->
                                            completeWithFuture(
                                                codec.handle(request, () -> api.emcCharter(caller, emcId).thenApply(c -> codec.respond(request, StatusCodes.OK, c))))),
                                    put(
                                        () ->
                                            completeWithFuture(
                                                codec.handle(
                                                    request,
                                                    () ->
                                                        codec
                                                            .read(request, AdoptEmcCharterRequest.newBuilder())
                                                            .thenCompose(
                                                                body -> {
                                                                  if (!body.getEmcId().isEmpty() && !body.getEmcId().equals(emcId)) {
                                                                    throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
                                                                  }
                                                                  return api.adopt(caller, body.setEmcId(emcId).build());
                                                                })
                                                            .thenApply(c -> codec.respond(request, StatusCodes.OK, c))))))))));
  }
}
