package io.rendan.prospect;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.bidding.BiddingApi;
import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.GetProspectusRequest;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * <pre>
 * GET /v1/rounds/{roundId}/prospectus?askBps=   the call's prospectus (anyone signed in; the bids for the owner's operators)
 * </pre>
 */
public final class ProspectRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(Endpoint.get("/v1/rounds/{roundId}/prospectus", BEARER, "anyone signed in; bids beside it: operators of the round's owner, admins"));

  private final BiddingApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public ProspectRoutes(BiddingApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return path(
        PathMatchers.segment("rounds").slash(PathMatchers.segment()).slash("prospectus"),
        roundId ->
            get(
                () ->
                    auth.authenticated(
                        caller ->
                            parameterOptional(
                                "askBps",
                                askBps ->
                                    extractRequest(
                                        request ->
                                            completeWithFuture(
                                                codec.handle(
                                                    request,
                                                    () ->
                                                        api.prospectus(caller, request(roundId, askBps))
                                                            .thenApply(body -> codec.respond(request, StatusCodes.OK, body)))))))));
  }

  private static GetProspectusRequest request(String roundId, Optional<String> askBps) {
    GetProspectusRequest.Builder b = GetProspectusRequest.newBuilder().setRoundId(roundId);
    if (askBps.isPresent()) {
      try {
        b.setAskBps(Integer.parseInt(askBps.get()));
      } catch (NumberFormatException e) {
        throw new ApiException(ErrorCodes.REQUEST_INVALID, "askBps must be a whole number of basis points, 0 to 10000");
      }
    }
    return b.build();
  }
}
