package io.rendan.emc;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.AcceptTermsRequest;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.DissolveEmcRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.ProposeTermsRequest;
import io.rendan.protocol.api.v1.RemoveMemberRequest;
import io.rendan.protocol.api.v1.StartEmcRequest;
import io.rendan.protocol.api.v1.TransferOwnershipRequest;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/emcs/...}: the HTTP face of {@link EmcApi} and its {@link RevenueApi}.
 *
 * <pre>
 * POST   /v1/emcs                                              start (201, or 200 for a repeat)
 * GET    /v1/emcs/{emcId}                                      read
 * POST   /v1/emcs/{emcId}/invitations                          invite (owner; 201 with the invitation)
 * POST   /v1/emcs/{emcId}/invitations/{invitationId}/accept    accept (invited ME)
 * POST   /v1/emcs/{emcId}/invitations/{invitationId}/decline   decline (invited ME)
 * DELETE /v1/emcs/{emcId}/members/{meId}                       leave (member) or remove (owner; 202 when scheduled with notice)
 * DELETE /v1/emcs/{emcId}/members/{meId}/removal               cancel a scheduled removal (owner)
 * POST   /v1/emcs/{emcId}/members/{meId}/terms                 propose new terms (owner)
 * POST   /v1/emcs/{emcId}/members/{meId}/terms/accept          accept them (member)
 * POST   /v1/emcs/{emcId}/dissolve                             dissolve (owner)
 * POST   /v1/emcs/{emcId}/owner                                hand ownership to a member (owner)
 * POST   /v1/emcs/{emcId}/revenue                              record revenue, answers the split (owner)
 * POST   /v1/emcs/{emcId}/periods/{period}/reports             report a value for the period (member)
 * POST   /v1/emcs/{emcId}/periods/{period}/close               close the period, evaluate targets (owner)
 * (GET /v1/emcs/{emcId}/statement is in LedgerRoutes)
 * </pre>
 */
public final class EmcRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/emcs", BEARER, "operators of the owner ME named in the body"),
          Endpoint.get(
              "/v1/emcs/{emcId}",
              BEARER,
              "operators of its MEs (owner, members, invited) and of the owners of EMCs holding or invited to a seat, admins"),
          Endpoint.post("/v1/emcs/{emcId}/invitations", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/invitations/{invitationId}/accept", BEARER, "operators of the invited ME (for an invited EMC: of its owner ME)"),
          Endpoint.post("/v1/emcs/{emcId}/invitations/{invitationId}/decline", BEARER, "operators of the invited ME (for an invited EMC: of its owner ME)"),
          Endpoint.delete("/v1/emcs/{emcId}/members/{meId}", BEARER, "operators of that member (leave; for a seat held by an EMC: of its owner ME) or of the owner (remove)"),
          Endpoint.delete("/v1/emcs/{emcId}/members/{meId}/removal", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/members/{meId}/terms", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/members/{meId}/terms/accept", BEARER, "operators of that member (for a seat held by an EMC: of its owner ME)"),
          Endpoint.post("/v1/emcs/{emcId}/dissolve", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/owner", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/revenue", BEARER, "operators of the owner ME"),
          Endpoint.post("/v1/emcs/{emcId}/periods/{period}/reports", BEARER, "operators of that member (for a seat held by an EMC: of its owner ME)"),
          Endpoint.post("/v1/emcs/{emcId}/periods/{period}/close", BEARER, "operators of the owner ME"));

  private final EmcApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public EmcRoutes(EmcApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix(
        "emcs",
        () ->
            auth.authenticated(
                caller ->
                    extractRequest(
                        request ->
                            concat(
                                pathEnd(() -> post(() -> start(request, caller))),
                                pathPrefix(PathMatchers.segment(), emcId -> emcRoutes(request, caller, emcId))))));
  }

  private Route emcRoutes(HttpRequest request, Caller caller, String emcId) {
    return concat(
        pathEnd(() -> get(() -> answer(request, () -> api.get(caller, emcId)))),
        pathPrefix(
            "invitations",
            () ->
                concat(
                    pathEnd(() -> post(() -> invite(request, caller, emcId))),
                    pathPrefix(
                        PathMatchers.segment(),
                        invitationId -> {
                          AnswerInvitationRequest answer =
                              AnswerInvitationRequest.newBuilder().setEmcId(emcId).setInvitationId(invitationId).build();
                          return concat(
                              path("accept", () -> post(() -> answer(request, () -> api.acceptInvitation(caller, answer)))),
                              path("decline", () -> post(() -> answer(request, () -> api.declineInvitation(caller, answer)))));
                        }))),
        pathPrefix(
            "members",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    meId ->
                        concat(
                            pathEnd(() -> delete(() -> removeMember(request, caller, emcId, meId))),
                            path("removal", () -> delete(() -> answer(request, () -> api.cancelRemoval(caller, emcId, meId)))),
                            pathPrefix(
                                "terms",
                                () ->
                                    concat(
                                        pathEnd(() -> post(() -> proposeTerms(request, caller, emcId, meId))),
                                        path(
                                            "accept",
                                            () ->
                                                post(
                                                    () ->
                                                        answer(
                                                            request,
                                                            () ->
                                                                api.acceptTerms(
                                                                    caller,
                                                                    AcceptTermsRequest.newBuilder()
                                                                        .setEmcId(emcId)
                                                                        .setMeId(meId)
                                                                        .build()))))))))),
        path(
            "dissolve",
            () ->
                post(
                    () ->
                        answer(
                            request, () -> api.dissolve(caller, DissolveEmcRequest.newBuilder().setEmcId(emcId).build())))),
        path("owner", () -> post(() -> transferOwnership(request, caller, emcId))),
        path("revenue", () -> post(() -> recordRevenue(request, caller, emcId))),
        pathPrefix(
            "periods",
            () ->
                pathPrefix(
                    PathMatchers.segment(),
                    period ->
                        concat(
                            path(
                                "close",
                                () ->
                                    post(
                                        () ->
                                            answer(
                                                request,
                                                () ->
                                                    api.revenue().closePeriod(
                                                        caller,
                                                        io.rendan.protocol.api.v1.ClosePeriodRequest.newBuilder()
                                                            .setEmcId(emcId)
                                                            .setPeriod(period)
                                                            .build())))),
                            path("reports", () -> post(() -> reportPeriodValue(request, caller, emcId, period)))))));
  }

  private Route recordRevenue(HttpRequest request, Caller caller, String emcId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, io.rendan.protocol.api.v1.RecordRevenueRequest.newBuilder())
                    .thenCompose(body -> api.revenue().recordRevenue(caller, body.setEmcId(samePath(emcId, body.getEmcId())).build()))
                    .thenApply(revenue -> codec.respond(request, StatusCodes.OK, revenue))));
  }

  private Route reportPeriodValue(HttpRequest request, Caller caller, String emcId, String period) {
    return answer(
        request,
        () ->
            codec
                .read(request, io.rendan.protocol.api.v1.ReportPeriodValueRequest.newBuilder())
                .thenCompose(
                    body ->
                        api.revenue().reportPeriodValue(
                            caller,
                            body.setEmcId(samePath(emcId, body.getEmcId())).setPeriod(samePath(period, body.getPeriod())).build())));
  }

  private Route start(HttpRequest request, Caller caller) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, StartEmcRequest.newBuilder())
                    .thenCompose(body -> api.start(caller, body.build()))
                    .thenApply(
                        r ->
                            codec
                                .respond(request, r.created() ? StatusCodes.CREATED : StatusCodes.OK, r.emc())
                                .addHeader(Location.create("/v1/emcs/" + r.emc().getEmcId())))));
  }

  private Route invite(HttpRequest request, Caller caller, String emcId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, InviteMemberRequest.newBuilder())
                    .thenCompose(body -> api.invite(caller, body.setEmcId(samePath(emcId, body.getEmcId())).build()))
                    .thenApply(invitation -> codec.respond(request, StatusCodes.CREATED, invitation))));
  }

  private Route proposeTerms(HttpRequest request, Caller caller, String emcId, String meId) {
    return answer(
        request,
        () ->
            codec
                .read(request, ProposeTermsRequest.newBuilder())
                .thenCompose(
                    body ->
                        api.proposeTerms(
                            caller, body.setEmcId(samePath(emcId, body.getEmcId())).setMeId(samePath(meId, body.getMeId())).build())));
  }

  private Route transferOwnership(HttpRequest request, Caller caller, String emcId) {
    return answer(
        request,
        () ->
            codec
                .read(request, TransferOwnershipRequest.newBuilder())
                .thenCompose(body -> api.transferOwnership(caller, body.setEmcId(samePath(emcId, body.getEmcId())).build())));
  }

  /** 200 when the member is gone, 202 when the charter's notice runs first (the EMC shows the scheduled removal). */
  private Route removeMember(HttpRequest request, Caller caller, String emcId, String meId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                api.removeOrSchedule(caller, RemoveMemberRequest.newBuilder().setEmcId(emcId).setMeId(meId).build())
                    .thenApply(r -> codec.respond(request, r.scheduled() ? StatusCodes.ACCEPTED : StatusCodes.OK, r.emc()))));
  }

  private Route answer(HttpRequest request, Supplier<CompletionStage<Emc>> call) {
    return completeWithFuture(
        codec.handle(request, () -> call.get().thenApply(emc -> codec.respond(request, StatusCodes.OK, emc))));
  }

  /** A body may repeat an id of the path, but must not name another one. */
  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }
}
