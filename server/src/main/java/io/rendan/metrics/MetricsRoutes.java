package io.rendan.metrics;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.http.Endpoint;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /metrics}: the node's metrics in the Prometheus text format, for a
 * scraper on the API port, unauthenticated like the health routes.
 */
public final class MetricsRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(Endpoint.get("/metrics", PUBLIC, "anyone (a Prometheus scraper); counts only, no ids or payloads"));

  private static final ContentType TEXT_FORMAT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final NodeMetrics metrics;

  public MetricsRoutes(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  public Route route() {
    return path(
        "metrics",
        () ->
            get(
                () ->
                    completeWithFuture(
                        metrics
                            .scrape()
                            .thenApply(
                                text ->
                                    HttpResponse.create()
                                        .withEntity(HttpEntities.create((ContentType.NonBinary) TEXT_FORMAT, text))))));
  }
}
