package io.rendan.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The undeclared-route check on a table it is handed: a route that answers a
 * path its table does not declare is refused in tests, while the declared one
 * is served and a path no route takes stays a 404.
 */
@Tag("unit")
class RouteTableTest {
  private static ActorSystem<Void> system;
  private static ServerBinding binding;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void bind() throws Exception {
    // Pekko's reference settings only: a local actor system, no cluster port
    system = ActorSystem.create(Behaviors.empty(), "route-table-test", ConfigFactory.defaultReference());
    RouteTable table = new RouteTable(List.of(List.of(Endpoint.get("/v1/declared", Endpoint.Access.PUBLIC, "anyone"))));
    List<Route> routes =
        List.of(
            path(PathMatchers.segment("v1").slash("declared"), () -> get(() -> complete("declared"))),
            path(PathMatchers.segment("v1").slash("hidden"), () -> get(() -> complete("hidden"))));
    binding =
        Http.get(system)
            .newServerAt("127.0.0.1", 0)
            .bind(HttpApi.seal(routes, table, RouteTable.Undeclared.REFUSE))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static HttpResponse<String> fetch(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path);
    return client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDeclaredRouteIsServed() throws Exception {
    HttpResponse<String> response = fetch("/v1/declared");
    assertEquals(200, response.statusCode());
    assertEquals("declared", response.body());
  }

  @Test
  void aRouteTheTableDoesNotDeclareIsRefused() throws Exception {
    HttpResponse<String> response = fetch("/v1/hidden");
    assertEquals(500, response.statusCode());
    assertTrue(response.body().contains(ErrorCodes.SERVER_UNDECLARED_ROUTE), response.body());
  }

  @Test
  void aPathNoRouteTakesIsNotFound() throws Exception {
    HttpResponse<String> response = fetch("/v1/nowhere");
    assertEquals(404, response.statusCode());
    assertTrue(response.body().contains(ErrorCodes.ROUTE_NOT_FOUND), response.body());
  }

  @Test
  void aRouteDeclaredTwiceIsRefusedWhenTheTableIsBuilt() {
    Endpoint e = Endpoint.get("/v1/declared", Endpoint.Access.PUBLIC, "anyone");
    assertThrows(IllegalArgumentException.class, () -> new RouteTable(List.of(List.of(e), List.of(e))));
  }
}
