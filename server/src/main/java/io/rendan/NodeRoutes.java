package io.rendan;

import io.rendan.vocabulary.BusinessClock;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.typesafe.config.Config;
import io.rendan.appliance.ApplianceApi;
import io.rendan.appliance.ApplianceConfig;
import io.rendan.appliance.ApplianceRoutes;
import io.rendan.appliance.TelemetryIngest;
import io.rendan.auth.Authenticator;
import io.rendan.auth.DevTokenRoutes;
import io.rendan.auth.Jwt;
import io.rendan.auth.SubjectLimits;
import io.rendan.bench.BenchRoutes;
import io.rendan.bench.NaivePeer;
import io.rendan.bidding.BiddingApi;
import io.rendan.bidding.BiddingRoutes;
import io.rendan.charter.CharterApi;
import io.rendan.charter.CharterRoutes;
import io.rendan.console.ConsoleRoutes;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcRoutes;
import io.rendan.emc.HelpRoutes;
import io.rendan.http.Admission;
import io.rendan.http.HealthRoutes;
import io.rendan.http.HttpApi;
import io.rendan.http.HttpCodec;
import io.rendan.http.OpenApiRoutes;
import io.rendan.http.Readiness;
import io.rendan.http.RouteTable;
import io.rendan.ledger.LedgerApi;
import io.rendan.ledger.LedgerRoutes;
import io.rendan.me.MeApi;
import io.rendan.me.MeRoutes;
import io.rendan.metrics.MetricsRoutes;
import io.rendan.metrics.NodeMetrics;
import io.rendan.metrics.RouteMetrics;
import io.rendan.painpoint.PainPointApi;
import io.rendan.painpoint.PainPointRoutes;
import io.rendan.prospect.ProspectRoutes;
import io.rendan.pubsub.LiveTopics;
import io.rendan.ws.WsMetrics;
import io.rendan.ws.WsRoutes;
import io.rendan.ws.WsSession;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP API, assembled where the node is wired: the table of every
 * declared route ({@link #TABLE}, from each routes class's {@code ENDPOINTS})
 * and the routes themselves around the started APIs. Routes depend on their
 * APIs, http/ serves them all, and only this class knows every routes class.
 */
public final class NodeRoutes {
  private static final Logger log = LoggerFactory.getLogger(NodeRoutes.class);

  /**
   * The whole API: every route a node may serve. A new routes class adds its
   * table here. The dev-token and bench routes are in it although a node serves
   * them only when dev mode or {@code rendan.bench.enabled} is on. The
   * undeclared-route check, docs/SECURITY.md (SecurityDocTest), the
   * authorization matrix and openapi.json (OpenApiTest) work from it.
   */
  public static final RouteTable TABLE =
      new RouteTable(
          List.of(
              HealthRoutes.ENDPOINTS,
              OpenApiRoutes.ENDPOINTS,
              MetricsRoutes.ENDPOINTS,
              DevTokenRoutes.ENDPOINTS,
              MeRoutes.ENDPOINTS,
              LedgerRoutes.ENDPOINTS,
              EmcRoutes.ENDPOINTS,
              HelpRoutes.ENDPOINTS,
              CharterRoutes.ENDPOINTS,
              BiddingRoutes.ENDPOINTS,
              ProspectRoutes.ENDPOINTS,
              PainPointRoutes.ENDPOINTS,
              ApplianceRoutes.ENDPOINTS,
              BenchRoutes.ENDPOINTS,
              WsRoutes.ENDPOINTS,
              ConsoleRoutes.ENDPOINTS));

  /** The started APIs the routes serve. */
  record Apis(
      MeApi me,
      EmcApi emc,
      CharterApi charter,
      BiddingApi bidding,
      PainPointApi painPoints,
      ApplianceApi appliances,
      ApplianceConfig applianceConfig,
      LedgerApi ledger,
      LiveTopics topics) {}

  private NodeRoutes() {}

  /**
   * Every route of the node, outermost first: route metrics, admission control
   * of writes, then the sealed table (one error shape, the undeclared-route
   * check).
   */
  static Route build(
      ActorSystem<Void> system,
      Config config,
      boolean devMode,
      NodeMetrics metrics,
      BusinessClock clock,
      Duration askTimeout,
      Apis apis)
      throws IOException {
    HttpCodec codec =
        new HttpCodec(
            Materializer.matFromSystem(system),
            config.getBytes("rendan.http.max-body-bytes"),
            config.getDuration("rendan.http.read-timeout"));
    Jwt jwt = NodeAuth.jwt(config, devMode);
    system.getWhenTerminated().thenRun(jwt::close);
    Authenticator auth =
        new Authenticator(
            jwt, codec, config.getStringList("rendan.ws.allowed-origins"), new SubjectLimits(NodeAuth.subjectLimits(config)));
    // one admission control for HTTP writes and WebSocket requests
    Admission admission = new Admission(config.getInt("rendan.admission.max-in-flight"));
    WsSession.Settings wsSettings =
        new WsSession.Settings(
            admission,
            config.getInt("rendan.ws.out-buffer"),
            config.getInt("rendan.ws.max-in-flight"),
            config.getInt("rendan.ws.max-subscriptions"),
            (int) (long) config.getBytes("rendan.ws.max-message-bytes"));

    Readiness readiness = new Readiness(system, config.getDuration("rendan.health.journal-timeout"));
    List<Route> routes = new ArrayList<>();
    routes.add(new HealthRoutes(codec, readiness).route());
    routes.add(new MetricsRoutes(metrics).route());
    List<Route> v1 = new ArrayList<>();
    v1.add(new OpenApiRoutes().route());
    v1.add(new LedgerRoutes(apis.ledger(), codec, auth).route());
    v1.add(new MeRoutes(apis.me(), codec, auth).route());
    v1.add(new BiddingRoutes(apis.bidding(), codec, auth).route());
    v1.add(new EmcRoutes(apis.emc(), codec, auth).route());
    v1.add(new HelpRoutes(apis.emc().help(), codec, auth).route());
    v1.add(new CharterRoutes(apis.charter(), codec, auth).route());
    v1.add(new ProspectRoutes(apis.bidding(), codec, auth).route());
    v1.add(new PainPointRoutes(apis.painPoints(), codec, auth).route());
    TelemetryIngest ingest = new TelemetryIngest(system, apis.appliances(), codec, apis.applianceConfig());
    v1.add(new ApplianceRoutes(apis.appliances(), ingest, codec, auth).route());
    if (config.getBoolean("rendan.bench.enabled")) {
      log.warn("bench routes on (rendan.bench.enabled): /v1/admin/naive-rounds and /v1/admin/sink are served to admins");
      v1.add(new BenchRoutes(NaivePeer.start(system, clock, askTimeout), ingest, codec, auth).route());
    }
    v1.add(
        new WsRoutes(
                system,
                auth,
                apis.me(),
                apis.emc(),
                apis.bidding(),
                apis.appliances(),
                apis.painPoints(),
                apis.charter(),
                apis.topics(),
                wsSettings,
                new WsMetrics(metrics.registry()))
            .route());
    if (devMode) {
      Route devTokens = new DevTokenRoutes(jwt, codec, config.getDuration("rendan.auth.dev-token-ttl")).route();
      v1.add(pathPrefix("dev", () -> devTokens));
    }
    Route allOfV1 = concat(v1.get(0), v1.subList(1, v1.size()).toArray(Route[]::new));
    routes.add(pathPrefix("v1", () -> allOfV1));
    routes.add(new ConsoleRoutes(devMode).route());

    RouteMetrics routeMetrics = new RouteMetrics(metrics.registry(), config.getInt("rendan.metrics.max-routes"));
    RouteTable.Undeclared undeclared = RouteTable.Undeclared.parse(config.getString("rendan.http.undeclared-routes"));
    // Sealed once: a directive's inner route is a supplier called per request,
    // and sealing builds the exception and rejection handlers.
    Route sealed = HttpApi.seal(routes, TABLE, undeclared);
    return routeMetrics.around(() -> admission.around(() -> sealed));
  }
}
