package io.rendan.bench;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.appliance.ApplianceApi;
import io.rendan.appliance.ApplianceProtocol.Recorded;
import io.rendan.appliance.TelemetryIngest;
import io.rendan.auth.Authenticator;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The benchmark's yardsticks, served under {@code /v1/admin/} only when
 * {@code rendan.bench.enabled} ({@code RENDAN_BENCH_ROUTES}) is on, as the load
 * harness sets it; a production node has neither route. Admins only.
 *
 * <pre>
 * POST   /v1/admin/naive-rounds/{roundId}/bids    the naive peer: one stored event per bid (NaivePeer)
 * POST   /v1/admin/sink/{streamId}/telemetry      the telemetry sink: a device stream stored nowhere
 * </pre>
 */
public final class BenchRoutes {
  /** The route table of this class: see {@link Endpoint}. Served only when the bench routes are on. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.post(
              "/v1/admin/naive-rounds/{roundId}/bids",
              ADMIN,
              "admins: the benchmark's naive peer, one stored event per bid (NaivePeer)"),
          Endpoint.post(
              "/v1/admin/sink/{streamId}/telemetry",
              ADMIN,
              "admins: the benchmark's telemetry sink, read and acked like a device stream, stored nowhere"));

  private final NaivePeer naive;
  private final TelemetryIngest ingest;
  private final HttpCodec codec;
  private final Authenticator auth;

  public BenchRoutes(NaivePeer naive, TelemetryIngest ingest, HttpCodec codec, Authenticator auth) {
    this.naive = naive;
    this.ingest = ingest;
    this.codec = codec;
    this.auth = auth;
  }

  /** The routes under {@code /v1}. */
  public Route route() {
    return concat(
        path(
            PathMatchers.segment("admin").slash("naive-rounds").slash(PathMatchers.segment()).slash("bids"),
            roundId -> post(() -> auth.authenticated(caller -> extractRequest(request -> naiveBid(request, caller, roundId))))),
        path(
            PathMatchers.segment("admin").slash("sink").slash(PathMatchers.segment()).slash("telemetry"),
            streamId -> post(() -> auth.authenticated(caller -> extractRequest(request -> sink(request, caller, streamId))))));
  }

  /** The naive peer's bid (benchmark yardstick, admins only): stored as one event, answered 200 with no body. */
  private Route naiveBid(HttpRequest request, Caller caller, String roundId) {
    return completeWithFuture(
        codec.handle(
            request,
            () -> {
              if (!caller.isAdmin()) {
                throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "the naive peer is for admins (the benchmark) only");
              }
              return codec
                  .read(request, PlaceBidRequest.newBuilder())
                  .thenCompose(
                      b -> {
                        if (b.getBidId().isEmpty() || b.getMeId().isEmpty() || b.getAskShareBps() < 1 || b.getAskShareBps() > 10_000) {
                          throw new ApiException(ErrorCodes.REQUEST_INVALID, "bidId and meId are required, askShareBps 1 to 10000");
                        }
                        return naive.placeBid(samePath(roundId, b.getRoundId()), b.getBidId(), b.getMeId(), b.getAskShareBps(), b.getPlan());
                      })
                  .thenApply(stored -> HttpResponse.create().withStatus(StatusCodes.OK));
            }));
  }

  /**
   * The telemetry sink (admins only): a stream read, framed, rate-limited, parsed and
   * checked exactly as a device's, each batch acked at once and stored nowhere, with no
   * appliance behind it. What the node carries through it is the ceiling of the ingest
   * path without storage, measured beside the real one (docs/BENCHMARKS.md,
   * {@code telemetry-sink}).
   */
  private Route sink(HttpRequest request, Caller caller, String streamId) {
    return completeWithFuture(
        codec.handle(
            request,
            () -> {
              if (!caller.isAdmin()) {
                throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "the telemetry sink is for admins (the benchmark) only");
              }
              ApplianceApi.checkId("streamId", streamId);
              return CompletableFuture.completedFuture(
                  ingest.openStream(
                      "sink:" + streamId,
                      request,
                      readings ->
                          CompletableFuture.completedFuture(
                              new Recorded(readings.get(readings.size() - 1).seq(), readings.size(), 0, List.of()))));
            }));
  }

  private static String samePath(String pathId, String bodyId) {
    if (!bodyId.isEmpty() && !bodyId.equals(pathId)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "an id in the body differs from the path");
    }
    return pathId;
  }
}
