package io.rendan.emc;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.AgreeToLeaveRequest;
import io.rendan.protocol.api.v1.AnswerPledgeRequest;
import io.rendan.protocol.api.v1.DeliverHelpRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.PledgeHelpRequest;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/emcs/{emcId}/help/...}: the HTTP face of {@link HelpApi}. Every
 * answer is the EMC, whose {@code helpCases} show the change.
 *
 * <pre>
 * POST /v1/emcs/{emcId}/help/{caseId}/pledges                       pledge help (a member; 201, or 200 for a repeat)
 * POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/accept     accept it (the helped member)
 * POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/decline    decline it (the helped member)
 * POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/deliver    mark it delivered (the helper)
 * POST /v1/emcs/{emcId}/help/{caseId}/leave                         agree to leave (the helped member)
 * </pre>
 */
public final class HelpRoutes {
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post("/v1/emcs/{emcId}/help/{caseId}/pledges", BEARER, "operators of the helping member named in the body"),
          Endpoint.post("/v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/accept", BEARER, "operators of the helped member"),
          Endpoint.post("/v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/decline", BEARER, "operators of the helped member"),
          Endpoint.post("/v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/deliver", BEARER, "operators of the helping member"),
          Endpoint.post("/v1/emcs/{emcId}/help/{caseId}/leave", BEARER, "operators of the helped member"));

  private final HelpApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public HelpRoutes(HelpApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("emcs").slash(PathMatchers.segment()).slash("help").slash(PathMatchers.segment()),
        (emcId, caseId) ->
            auth.authenticated(
                caller ->
                    extractRequest(
                        request ->
                            concat(
                                path("leave", () -> post(() -> leave(request, caller, emcId, caseId))),
                                pathPrefix(
                                    "pledges",
                                    () ->
                                        concat(
                                            pathEnd(() -> post(() -> pledge(request, caller, emcId, caseId))),
                                            pathPrefix(
                                                PathMatchers.segment(),
                                                pledgeId ->
                                                    concat(
                                                        path("accept", () -> post(() -> answer(request, caller, emcId, caseId, pledgeId, true))),
                                                        path("decline", () -> post(() -> answer(request, caller, emcId, caseId, pledgeId, false))),
                                                        path("deliver", () -> post(() -> deliver(request, caller, emcId, caseId, pledgeId)))))))))));
  }

  private Route pledge(HttpRequest request, Caller caller, String emcId, String caseId) {
    return completeWithFuture(
        codec.handle(
            request,
            () ->
                codec
                    .read(request, PledgeHelpRequest.newBuilder())
                    .thenCompose(
                        body -> {
                          PledgeHelpRequest r =
                              body.setEmcId(samePath(emcId, body.getEmcId())).setCaseId(samePath(caseId, body.getCaseId())).build();
                          return api.pledge(caller, r)
                              .thenApply(p -> codec.respond(request, p.created() ? StatusCodes.CREATED : StatusCodes.OK, p.emc()));
                        })));
  }

  private Route answer(HttpRequest request, Caller caller, String emcId, String caseId, String pledgeId, boolean accept) {
    return answerWith(
        request,
        () ->
            api.answer(
                caller,
                AnswerPledgeRequest.newBuilder().setEmcId(emcId).setCaseId(caseId).setPledgeId(pledgeId).setAccept(accept).build()));
  }

  private Route deliver(HttpRequest request, Caller caller, String emcId, String caseId, String pledgeId) {
    return answerWith(
        request, () -> api.deliver(caller, DeliverHelpRequest.newBuilder().setEmcId(emcId).setCaseId(caseId).setPledgeId(pledgeId).build()));
  }

  private Route leave(HttpRequest request, Caller caller, String emcId, String caseId) {
    return answerWith(request, () -> api.agreeToLeave(caller, AgreeToLeaveRequest.newBuilder().setEmcId(emcId).setCaseId(caseId).build()));
  }

  private Route answerWith(HttpRequest request, Supplier<CompletionStage<Emc>> call) {
    return completeWithFuture(codec.handle(request, () -> call.get().thenApply(emc -> codec.respond(request, StatusCodes.OK, emc))));
  }

  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }
}
