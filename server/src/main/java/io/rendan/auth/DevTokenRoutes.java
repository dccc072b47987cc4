package io.rendan.auth;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.IssueDevTokenRequest;
import io.rendan.protocol.api.v1.IssueDevTokenResponse;
import java.time.Duration;
import java.util.regex.Pattern;
import java.util.List;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /v1/dev/tokens}: dev mode only (the route does not exist
 * otherwise). Issues a token for any subject and roles, so that a local user can
 * try the API with curl.
 */
public final class DevTokenRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(Endpoint.post("/v1/dev/tokens", PUBLIC, "anyone, in dev mode only (the route does not exist otherwise)"));

  private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
  private static final Pattern ROLE = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private final Jwt jwt;
  private final HttpCodec codec;
  private final Duration defaultTtl;

  public DevTokenRoutes(Jwt jwt, HttpCodec codec, Duration defaultTtl) {
    this.jwt = jwt;
    this.codec = codec;
    this.defaultTtl = defaultTtl;
  }

  public Route route() {
    return path(
        "tokens",
        () ->
            post(
                () ->
                    extractRequest(
                        request ->
                            completeWithFuture(
                                codec.handle(
                                    request,
                                    () ->
                                        codec
                                            .read(request, IssueDevTokenRequest.newBuilder())
                                            .thenApply(
                                                b ->
                                                    codec.respond(
                                                        request, StatusCodes.OK, issue(b.build()))))))));
  }

  private IssueDevTokenResponse issue(IssueDevTokenRequest request) {
    if (!SUBJECT.matcher(request.getSubject()).matches()) {
      throw new ApiException(
          ErrorCodes.REQUEST_INVALID, "subject is required: 1 to 128 letters, digits, '.', '_', '@' or '-'");
    }
    for (String role : request.getRolesList()) {
      if (!ROLE.matcher(role).matches()) {
        throw new ApiException(ErrorCodes.REQUEST_INVALID, "roles are lower-case words");
      }
    }
    if (request.getTtlSeconds() < 0 || request.getTtlSeconds() > Duration.ofDays(30).toSeconds()) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "ttlSeconds must be between 0 and 30 days");
    }
    Duration ttl = request.getTtlSeconds() == 0 ? defaultTtl : Duration.ofSeconds(request.getTtlSeconds());
    return IssueDevTokenResponse.newBuilder()
        .setToken(jwt.issue(request.getSubject(), request.getRolesList(), ttl))
        .build();
  }
}
