package io.rendan.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A directive around the route table that counts requests and times them by
 * route, method and status ({@code rendan_http_requests_seconds}). The time is
 * until the response starts; a streamed body or a WebSocket is not included.
 *
 * <p>The route label is the path with its ids replaced by {@code {id}}, so that
 * it does not grow with the data: under {@code /v1} the API alternates
 * collection names and ids ({@code /v1/emcs/{id}/invitations/{id}/accept}), so
 * every second segment after the collection is an id. Only {@code maxRoutes}
 * distinct labels are kept; paths beyond that (scanners, typos) count as
 * {@code other}.
 */
public final class RouteMetrics {
  static final String OTHER = "other";
  /** Bucket bounds around the latency targets in docs/BENCHMARKS.md (p99 of 50 and 100 ms, 500 ms for acks). */
  private static final Duration[] BUCKETS = {
    Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
    Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)
  };
  /** Namespaces under /v1 whose segments are names, not ids. */
  private static final Set<String> WITHOUT_IDS = Set.of("dev");

  private final MeterRegistry registry;
  private final int maxRoutes;
  private final Set<String> routes = ConcurrentHashMap.newKeySet();

  public RouteMetrics(MeterRegistry registry, int maxRoutes) {
    this.registry = registry;
    this.maxRoutes = maxRoutes;
  }

  public Route around(Supplier<Route> inner) {
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          String route = label(request.getUri().path());
          String method = request.method().value();
          return mapResponse(
              response -> {
                Timer.builder("rendan.http.requests")
                    .description("HTTP requests by route template, method and status; time to the response")
                    .tags("route", route, "method", method, "status", Integer.toString(response.status().intValue()))
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                return response;
              },
              inner);
        });
  }

  private String label(String path) {
    String template = template(path);
    if (routes.contains(template)) {
      return template;
    }
    if (routes.size() >= maxRoutes) {
      return OTHER;
    }
    routes.add(template);
    return template;
  }

  static String template(String path) {
    String[] segments = path.split("/", -1);
    StringBuilder sb = new StringBuilder();
    // segments[0] is the empty string before the leading slash.
    boolean api = segments.length > 1 && segments[1].equals("v1");
    boolean ids = api && segments.length > 2 && !WITHOUT_IDS.contains(segments[2]);
    for (int i = 1; i < segments.length; i++) {
      if (segments[i].isEmpty() && i == segments.length - 1) {
        break;
      }
      sb.append('/');
      // /v1/{collection}/{id}/{collection}/{id}/{action}: ids sit at 3, 5, ...
      sb.append(ids && i >= 3 && i % 2 == 1 ? "{id}" : segments[i]);
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }
}
