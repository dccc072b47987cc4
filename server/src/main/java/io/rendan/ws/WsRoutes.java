package io.rendan.ws;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.appliance.ApplianceApi;
import io.rendan.auth.Authenticator;
import io.rendan.bidding.BiddingApi;
import io.rendan.emc.EmcApi;
import io.rendan.me.MeApi;
import io.rendan.pubsub.LiveTopics;
import io.rendan.http.ConnectionDrain;
import io.rendan.http.Endpoint;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/ws}: authenticated at the handshake, then one {@link WsSession}. */
public final class WsRoutes {
  /** The route table of this class (the operations on the socket: {@code ClientFrame}): see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.get(
              "/v1/ws", BEARER, "anyone signed in; every request on it is checked like its HTTP route, every subscription like a read"));

  private final ActorSystem<?> system;
  private final Authenticator auth;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final BiddingApi biddingApi;
  private final ApplianceApi applianceApi;
  private final io.rendan.painpoint.PainPointApi painPointApi;
  private final io.rendan.charter.CharterApi charterApi;
  private final LiveTopics topics;
  private final WsSession.Settings settings;
  private final WsMetrics metrics;
  private final ConnectionDrain drain;

  public WsRoutes(
      ActorSystem<?> system,
      Authenticator auth,
      MeApi meApi,
      EmcApi emcApi,
      BiddingApi biddingApi,
      ApplianceApi applianceApi,
      io.rendan.painpoint.PainPointApi painPointApi,
      io.rendan.charter.CharterApi charterApi,
      LiveTopics topics,
      WsSession.Settings settings,
      WsMetrics metrics) {
    this.system = system;
    this.auth = auth;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.biddingApi = biddingApi;
    this.applianceApi = applianceApi;
    this.painPointApi = painPointApi;
    this.charterApi = charterApi;
    this.topics = topics;
    this.settings = settings;
    this.metrics = metrics;
    this.drain = ConnectionDrain.get(system);
  }

  public Route route() {
    return path(
        "ws",
        () ->
            get(
                () ->
                    auth.webSocket(
                        // on SIGTERM, or when its token expires, the session stops reading, answers what it read, and closes (1000)
                        caller ->
                            drain.around(
                                connection ->
                                    WsSession.flow(
                                        system, meApi, emcApi, biddingApi, applianceApi, painPointApi, charterApi, topics, settings, metrics, caller, connection)),
                        settings.maxMessageBytes())));
  }
}
