package io.rendan;

import com.typesafe.config.Config;
import io.rendan.http.ConnectionGate;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binding the node's API and its management port, and saying where it serves. */
final class NodeHttp {
  private static final Logger log = LoggerFactory.getLogger(NodeHttp.class);
  /**
   * How long one start-up step (binding the HTTP port, starting management) may take. Generous:
   * a node restarted after a crash on a machine busy with its load is slow, not broken.
   */
  private static final Duration STARTUP_STEP_TIMEOUT = Duration.ofMinutes(2);

  private NodeHttp() {}

  /** Binds the API on rendan.http.host and rendan.http.port; unbound gracefully by coordinated shutdown. */
  static ServerBinding bind(ActorSystem<Void> system, Config config, boolean devMode, Route api) throws Exception {
    // The gate is part of the handler flow Pekko HTTP materializes per connection, so the
    // binding is Pekko's own and keeps its graceful termination.
    ConnectionGate gate =
        new ConnectionGate(
            new ConnectionGate.Settings(
                config.getInt("rendan.http.max-connections-per-address"),
                config.getDuration("rendan.http.first-request-timeout")));
    ServerBinding binding =
        Http.get(system)
            .newServerAt(httpHost(config, devMode), config.getInt("rendan.http.port"))
            .bindFlow(gate.around(api.flow(system)))
            .toCompletableFuture()
            .get(STARTUP_STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
    return binding;
  }

  /**
   * Pekko Management on its own port: health checks and the read-only cluster
   * routes. Stopped last, so that /ready says 503 while the node shuts down.
   */
  static Uri startManagement(ActorSystem<?> system) throws Exception {
    PekkoManagement management = PekkoManagement.get(Adapter.toClassic(system));
    Uri uri = management.start().toCompletableFuture().get(STARTUP_STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "stop-pekko-management",
            () -> management.stop());
    return uri;
  }

  /**
   * rendan.http.host, or by default 127.0.0.1 in dev mode (anyone who reaches a
   * dev-mode node can mint an admin token) and every interface otherwise.
   */
  static String httpHost(Config config, boolean devMode) {
    String host = config.getString("rendan.http.host").trim();
    if (!host.isEmpty()) {
      return host;
    }
    return devMode ? "127.0.0.1" : "0.0.0.0";
  }

  /** The log lines of a node that serves: where, in which mode, on which database, after how long. */
  static void logServing(
      Object self, InetSocketAddress bound, Uri management, Config config, boolean devMode, boolean postgres, long startedNanos) {
    if (devMode) {
      log.warn("**************************************************************************");
      log.warn("* DEV MODE: POST /v1/dev/tokens issues a token for anyone. Never use it  *");
      log.warn("* in production: set RENDAN_DEV_MODE=false and RENDAN_JWT_SECRET.        *");
      log.warn("**************************************************************************");
      if (!bound.getAddress().isLoopbackAddress()) {
        log.warn(
            "DEV MODE on {}: anyone who reaches this address can mint an admin token (RENDAN_HTTP_HOST)",
            bound.getHostString());
      }
    }
    log.info(
        "Rendan node {} serving http://{}:{} ({}; dev mode {}: POST /v1/dev/tokens {}) (management {}) on {} in {} ms",
        self,
        bound.getHostString(),
        bound.getPort(),
        bound.getAddress().isLoopbackAddress()
            ? "this machine only"
            : bound.getAddress().isAnyLocalAddress() ? "every interface" : "this interface",
        devMode ? "on" : "off",
        devMode ? "open to anyone who reaches the port" : "absent",
        management,
        postgres ? "PostgreSQL" : "H2 at " + Path.of(config.getString("rendan.data-dir")).toAbsolutePath().normalize(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
  }
}
