package io.rendan.ws;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.appliance.ApplianceApi;
import io.rendan.auth.Authenticator;
import io.rendan.emc.EmcApi;
import io.rendan.me.MeApi;
import io.rendan.pubsub.LiveTopics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/ws}: authenticated at the handshake, then one {@link WsSession}. */
public final class WsRoutes {
  private final ActorSystem<?> system;
  private final Authenticator auth;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final ApplianceApi applianceApi;
  private final LiveTopics topics;
  private final WsSession.Settings settings;

  public WsRoutes(
      ActorSystem<?> system,
      Authenticator auth,
      MeApi meApi,
      EmcApi emcApi,
      ApplianceApi applianceApi,
      LiveTopics topics,
      WsSession.Settings settings) {
    this.system = system;
    this.auth = auth;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.applianceApi = applianceApi;
    this.topics = topics;
    this.settings = settings;
  }

  public Route route() {
    return path(
        "ws",
        () ->
            get(
                () ->
                    auth.authenticated(
                        caller -> handleWebSocketMessages(WsSession.flow(system, meApi, emcApi, applianceApi, topics, settings, caller)))));
  }
}
