package io.rendan.http;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.protocol.api.v1.Health;

import java.util.List;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /health/alive}: the process answers. {@code /health/ready}: the node
 * should get traffic (see {@link Readiness}); 503 with the failed checks if not.
 */
public final class HealthRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.get("/health/alive", PUBLIC, "anyone (load balancers)"),
          Endpoint.get("/health/ready", PUBLIC, "anyone (load balancers)"));

  private final HttpCodec codec;
  private final Readiness readiness;

  public HealthRoutes(HttpCodec codec, Readiness readiness) {
    this.codec = codec;
    this.readiness = readiness;
  }

  public Route route() {
    return pathPrefix(
        "health",
        () ->
            extractRequest(
                request ->
                    concat(
                        path(
                            "alive",
                            () -> get(() -> complete(codec.respond(request, StatusCodes.OK, status("alive", List.of()))))),
                        path(
                            "ready",
                            () ->
                                get(
                                    () ->
                                        completeWithFuture(
                                            readiness
                                                .failedChecks()
                                                .thenApply(
                                                    failed ->
                                                        codec.respond(
                                                            request,
                                                            failed.isEmpty()
                                                                ? StatusCodes.OK
                                                                : StatusCodes.SERVICE_UNAVAILABLE,
                                                            status(failed.isEmpty() ? "ready" : "not-ready", failed)))))))));
  }

  private static Health status(String status, List<String> failed) {
    return Health.newBuilder().setStatus(status).addAllChecksFailed(failed).build();
  }
}
