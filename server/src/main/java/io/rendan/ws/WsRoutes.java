package io.rendan.ws;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.auth.Authenticator;
import io.rendan.me.MeApi;
import io.rendan.pubsub.LiveTopics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/ws}: authenticated at the handshake, then one {@link WsSession}. */
public final class WsRoutes {
  private final ActorSystem<?> system;
  private final Authenticator auth;
  private final MeApi meApi;
  private final LiveTopics topics;
  private final WsSession.Settings settings;
  private final WsMetrics metrics;

  public WsRoutes(
      ActorSystem<?> system,
      Authenticator auth,
      MeApi meApi,
      LiveTopics topics,
      WsSession.Settings settings,
      WsMetrics metrics) {
    this.system = system;
    this.auth = auth;
    this.meApi = meApi;
    this.topics = topics;
    this.settings = settings;
    this.metrics = metrics;
  }

  public Route route() {
    return path(
        "ws",
        () ->
            get(
                () ->
                    auth.authenticated(
                        caller -> handleWebSocketMessages(WsSession.flow(system, meApi, topics, settings, metrics, caller)))));
  }
}
