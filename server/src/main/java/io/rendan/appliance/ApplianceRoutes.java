package io.rendan.appliance;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.google.protobuf.Message;
import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.BookReservationRequest;
import io.rendan.protocol.api.v1.CancelReservationRequest;
import io.rendan.protocol.api.v1.ListAppliancesRequest;
import io.rendan.protocol.api.v1.ProvisionApplianceRequest;
import io.rendan.protocol.api.v1.RotateDeviceSecretRequest;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP face of {@link ApplianceApi} and {@link TelemetryIngest}.
 *
 * <pre>
 * POST   /v1/emcs/{emcId}/appliances                              provision (owner's operator; 201 with the secret)
 * GET    /v1/emcs/{emcId}/appliances?limit=&amp;after=              the EMC's appliances (whoever may read the EMC)
 * GET    /v1/appliances/{applianceId}                             read
 * POST   /v1/appliances/{applianceId}/secret                      rotate the device secret (owner's operator)
 * POST   /v1/appliances/{applianceId}/telemetry                   the device's stream (Authorization: Device &lt;secret&gt;)
 * POST   /v1/appliances/{applianceId}/reservations                book (any user; 201)
 * DELETE /v1/appliances/{applianceId}/reservations/{reservationId} cancel (its user, or the owner's operator)
 * </pre>
 */
public final class ApplianceRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/emcs/{emcId}/appliances", BEARER, "operators of the EMC's owner ME"),
          Endpoint.get("/v1/emcs/{emcId}/appliances", BEARER, "whoever may read the EMC: its members' operators, admins"),
          Endpoint.get("/v1/appliances/{applianceId}", BEARER, "operators of the EMC's MEs, admins"),
          Endpoint.post("/v1/appliances/{applianceId}/secret", BEARER, "operators of the EMC's owner ME"),
          Endpoint.post("/v1/appliances/{applianceId}/telemetry", DEVICE, "the appliance itself, with its current device secret"),
          Endpoint.post("/v1/appliances/{applianceId}/reservations", BEARER, "anyone signed in, as the user of the booking"),
          Endpoint.delete(
              "/v1/appliances/{applianceId}/reservations/{reservationId}",
              BEARER,
              "the user who booked, operators of the EMC's owner ME"));

  private final ApplianceApi api;
  private final TelemetryIngest ingest;
  private final HttpCodec codec;
  private final Authenticator auth;

  public ApplianceRoutes(ApplianceApi api, TelemetryIngest ingest, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.ingest = ingest;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        pathPrefix(
            "emcs",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    emcId ->
                        path(
                            "appliances",
                            () ->
                                auth.authenticated(
                                    caller ->
                                        extractRequest(
                                            request ->
                                                concat(
                                                    post(() -> provision(request, caller, emcId)),
                                                    get(() -> list(request, caller, emcId)))))))),
        pathPrefix(
            "appliances",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    applianceId ->
                        concat(
                            // the device's own route: its secret, not a bearer token
                            path(
                                "telemetry",
                                () ->
                                    post(
                                        () ->
                                            extractRequest(
                                                request ->
                                                    optionalHeaderValueByName(
                                                        "Authorization",
                                                        header -> completeWithFuture(ingest.open(applianceId, header, request)))))),
                            auth.authenticated(caller -> extractRequest(request -> applianceRoutes(request, caller, applianceId)))))));
  }

  private Route applianceRoutes(HttpRequest request, Caller caller, String applianceId) {
    return concat(
        pathEnd(() -> get(() -> answer(request, () -> api.get(caller, applianceId)))),
        path(
            "secret",
            () ->
                post(
                    () ->
                        answer(
                            request,
                            // a refused body (400, 413, 415) rotates nothing
                            () ->
                                codec
                                    .readOptional(request, RotateDeviceSecretRequest.newBuilder())
                                    .thenCompose(
                                        b ->
                                            api.rotateSecret(
                                                caller, b.setApplianceId(samePath(applianceId, b.getApplianceId())).build()))))),
        pathPrefix(
            "reservations",
            () ->
                concat(
                    pathEnd(() -> post(() -> book(request, caller, applianceId))),
                    path(
                        PathMatchers.segment(),
                        reservationId ->
                            delete(
                                () ->
                                    answer(
                                        request,
                                        () ->
                                            api.cancel(
                                                caller,
                                                CancelReservationRequest.newBuilder()
                                                    .setApplianceId(applianceId)
                                                    .setReservationId(reservationId)
                                                    .build())))))));
  }

  private Route provision(HttpRequest request, Caller caller, String emcId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, ProvisionApplianceRequest.newBuilder())
                    .thenCompose(body -> api.provision(caller, body.setEmcId(samePath(emcId, body.getEmcId())).build()))
                    .thenApply(
                        p ->
                            p.created()
                                ? codec
                                    .respond(request, StatusCodes.CREATED, p.answer())
                                    .addHeader(Location.create("/v1/appliances/" + p.answer().getAppliance().getApplianceId()))
                                : codec.respond(request, StatusCodes.OK, p.answer()))));
  }

  private Route list(HttpRequest request, Caller caller, String emcId) {
    return parameterOptional(
        "limit",
        limit ->
            parameterOptional(
                "after",
                after ->
                    answer(
                        request,
                        () ->
                            api.list(
                                caller,
                                ListAppliancesRequest.newBuilder()
                                    .setEmcId(emcId)
                                    .setLimit(limit(limit.orElse("")))
                                    .setAfter(after.orElse(""))
                                    .build()))));
  }

  private static int limit(String value) {
    if (value.isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "limit must be a number");
    }
  }

  private Route book(HttpRequest request, Caller caller, String applianceId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, BookReservationRequest.newBuilder())
                    .thenCompose(body -> api.book(caller, body.setApplianceId(samePath(applianceId, body.getApplianceId())).build()))
                    .thenApply(b -> codec.respond(request, b.created() ? StatusCodes.CREATED : StatusCodes.OK, b.reservation()))));
  }

  private Route answer(HttpRequest request, Supplier<CompletionStage<? extends Message>> call) {
    return completeWithFuture(
        codec.handle(request, () -> call.get().thenApply(body -> codec.respond(request, StatusCodes.OK, body))));
  }

  /** A body may repeat an id of the path, but must not name another one. */
  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }
}
