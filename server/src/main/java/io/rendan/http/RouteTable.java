package io.rendan.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.apache.pekko.http.javadsl.server.Directives.*;

/**
 * Declared routes, as the routes classes declare them ({@code ENDPOINTS}); the
 * node's whole table is assembled where the node is wired
 * ({@code io.rendan.NodeRoutes.TABLE}), so this class imports no routes class.
 * {@link HttpApi} checks each answered request against it: a request that a route served
 * although no declared template covers it is an undeclared route, logged once
 * per path, or (tests: {@code rendan.http.undeclared-routes = refuse}) answered
 * 500 {@code server:undeclared-route}, so that a new route that is not in a
 * table fails the first test that calls it. The authorization matrix test and
 * docs/SECURITY.md work from the same table.
 */
public final class RouteTable {
  private static final Logger log = LoggerFactory.getLogger(RouteTable.class);

  /** What to do with a request that an undeclared route served. */
  public enum Undeclared {
    LOG,
    REFUSE;

    public static Undeclared parse(String value) {
      return switch (value.trim().toLowerCase()) {
        case "log" -> LOG;
        case "refuse" -> REFUSE;
        default -> throw new IllegalArgumentException("rendan.http.undeclared-routes must be log or refuse, not " + value);
      };
    }
  }

  private final List<Endpoint> endpoints;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  public RouteTable(List<List<Endpoint>> parts) {
    List<Endpoint> all = new ArrayList<>();
    parts.forEach(all::addAll);
    for (int i = 0; i < all.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (all.get(i).method().equals(all.get(j).method()) && all.get(i).template().equals(all.get(j).template())) {
          throw new IllegalArgumentException("declared twice: " + all.get(i));
        }
      }
    }
    this.endpoints = List.copyOf(all);
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  public Optional<Endpoint> match(String method, String path) {
    return endpoints.stream().filter(e -> e.matches(method, path)).findFirst();
  }

  /**
   * Around the sealed route table. A request no template covers was served by a
   * route unless it was refused before any route took it: 404 and 405 (no such
   * route or method) and 401 (the routes authenticate before they look at the
   * rest of the path).
   */
  Route check(Undeclared mode, Route inner) {
    return extractRequest(
        request ->
            mapResponse(
                response -> {
                  int status = response.status().intValue();
                  if (status == 401 || status == 404 || status == 405) {
                    return response;
                  }
                  String method = request.method().value();
                  String path = request.getUri().path();
                  if (match(method, path).isPresent()) {
                    return response;
                  }
                  if (reported.size() < 1000 && reported.add(method + " " + path)) {
                    log.error("{} {} was served by a route that is in no route table (answered {})", method, path, status);
                  }
                  if (mode == Undeclared.REFUSE) {
                    return HttpApi.errorResponse(500, ErrorCodes.SERVER_UNDECLARED_ROUTE, method + " " + path + " is served but not declared in a route table");
                  }
                  return response;
                },
                () -> inner));
  }
}
