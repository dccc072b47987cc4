package io.rendan;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.appliance.ApplianceApi;
import io.rendan.appliance.ApplianceConfig;
import io.rendan.appliance.ApplianceRoutes;
import io.rendan.appliance.TelemetryIngest;
import io.rendan.auth.Authenticator;
import io.rendan.auth.DevTokenRoutes;
import io.rendan.auth.Jwt;
import io.rendan.auth.JwksKeys;
import io.rendan.auth.SubjectLimits;
import io.rendan.bench.BenchRoutes;
import io.rendan.bench.NaivePeer;
import io.rendan.bidding.AwardDelivery;
import io.rendan.bidding.BiddingApi;
import io.rendan.bidding.BiddingRoutes;
import io.rendan.bidding.RoundDirectory;
import io.rendan.bidding.RoundEntity;
import io.rendan.bidding.RoundWaker;
import io.rendan.cluster.DatabaseSchema;
import io.rendan.cluster.SeedNodes;
import io.rendan.console.ConsoleRoutes;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcEntity;
import io.rendan.emc.EmcSettings;
import io.rendan.emc.EmcRoutes;
import io.rendan.emc.MembershipDelivery;
import io.rendan.http.HealthRoutes;
import io.rendan.http.Admission;
import io.rendan.http.ConnectionGate;
import io.rendan.http.HttpApi;
import io.rendan.http.HttpCodec;
import io.rendan.http.OpenApiRoutes;
import io.rendan.http.Readiness;
import io.rendan.http.RouteTable;
import io.rendan.ledger.LedgerApi;
import io.rendan.ledger.LedgerRoutes;
import io.rendan.me.MeApi;
import io.rendan.me.MeEntity;
import io.rendan.me.MeRoutes;
import io.rendan.metrics.MetricsRoutes;
import io.rendan.metrics.NodeMetrics;
import io.rendan.metrics.RouteMetrics;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.pubsub.LiveTopics;
import io.rendan.ws.WsMetrics;
import io.rendan.ws.WsRoutes;
import io.rendan.ws.WsSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Rendan node: actor system, cluster membership, journal schema, sharded
 * entities and the HTTP/WebSocket API. {@link Main} runs one; tests start and
 * stop them in-process.
 */
public final class RendanNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RendanNode.class);
  /**
   * How long one start-up step (binding the HTTP port, starting management) may take. Generous:
   * a node restarted after a crash on a machine busy with its load is slow, not broken.
   */
  private static final Duration STARTUP_STEP_TIMEOUT = Duration.ofMinutes(2);

  /** The JDK's property for the common pool's parallelism. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  /**
   * Asks for a common pool of at least 4 threads unless the property is set: below 2 the
   * JDK runs each asynchronous CompletableFuture stage on a thread of its own, started
   * for it. Works only before the pool exists, i.e. first thing in {@code main}.
   */
  public static void ensureCommonPoolParallelism() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final Uri management;
  private final boolean devMode;
  private final MeApi meApi;

  private RendanNode(ActorSystem<Void> system, ServerBinding binding, Uri management, boolean devMode, MeApi meApi) {
    this.system = system;
    this.binding = binding;
    this.management = management;
    this.devMode = devMode;
    this.meApi = meApi;
  }

  /**
   * The node's configuration: {@code overrides} (for tests), then application.conf
   * with its environment overrides, then the persistence file for the chosen
   * database, then Pekko's reference settings. The seed node list, which an
   * environment variable can only give as one string, becomes Pekko's list here.
   */
  public static Config loadConfig(Config overrides) {
    Config application = overrides.withFallback(ConfigFactory.parseResources("application.conf"));
    List<String> seeds = SeedNodes.parse(ConfigFactory.load(application).getString("rendan.cluster.seed-nodes"));
    if (!seeds.isEmpty()) {
      application = ConfigFactory.parseMap(Map.of("pekko.cluster.seed-nodes", seeds)).withFallback(application);
    }
    Config resolved = ConfigFactory.load(application);
    boolean postgres = !resolved.getString("rendan.db.url").isBlank();
    // H2 refuses relative paths that do not start with "./": hand it an absolute one
    String dataDir = Path.of(resolved.getString("rendan.data-dir")).toAbsolutePath().normalize().toString();
    Config persistence = ConfigFactory.parseResources(postgres ? "persistence-postgres.conf" : "persistence-h2.conf");
    Config projection =
        ConfigFactory.parseString(
            "pekko.projection.jdbc.dialect = " + (postgres ? "postgres-dialect" : "h2-dialect") + "\n"
                + "pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = "
                + resolved.getInt("rendan.projection.pool-size"));
    return ConfigFactory.load(
        ConfigFactory.parseMap(java.util.Map.of("rendan.data-dir", dataDir))
            .withFallback(application)
            .withFallback(persistence)
            .withFallback(projection));
  }

  public static boolean usesPostgres(Config config) {
    return !config.getString("rendan.db.url").isBlank();
  }

  /** Starts a node and returns once it serves HTTP. */
  public static RendanNode start(Config config) throws Exception {
    long started = System.nanoTime();
    boolean postgres = usesPostgres(config);
    boolean devMode = devMode(config, postgres);
    checkDatabaseTimeouts(config);
    if (!postgres) {
      Files.createDirectories(Path.of(config.getString("rendan.data-dir")));
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SeedNodes.SYSTEM_NAME, config);
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
      log.warn(
          "the common ForkJoinPool has a parallelism of {}: every asynchronous future stage starts a thread of its own;"
              + " start the JVM with -D{}=4",
          java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(),
          COMMON_POOL_PARALLELISM);
    }
    try {
      Cluster cluster = Cluster.get(system);
      List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
      if (seeds.isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      } else {
        log.info("node {} joining the cluster through seed nodes {}", cluster.selfMember().address(), seeds);
      }
      org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system))
          .registerOnMemberUp(
              () ->
                  log.info(
                      "node {} is Up in the cluster, {} ms after start",
                      cluster.selfMember().address(),
                      TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
      ProjectionJdbc projectionJdbc = ProjectionJdbc.start(system, config);
      system.getWhenTerminated().thenRun(projectionJdbc::close);
      DatabaseSchema.migrate(
          system,
          postgres,
          Duration.ofSeconds(60),
          List.of(() -> projectionJdbc.createOffsetTables(system)));

      NodeMetrics metrics = new NodeMetrics(system, config.getDuration("rendan.metrics.entity-count-timeout"));
      system.getWhenTerminated().thenRun(metrics::close);
      io.rendan.projection.ProjectionHealth.get(system).bindTo(metrics.registry());

      BusinessClock clock =
          new BusinessClock(
              Clock.systemUTC(),
              Instant.parse(config.getString("rendan.clock.origin")),
              config.getDouble("rendan.clock.speed"));
      if (clock.speed() != 1.0) {
        log.warn("Business clock runs {} times real time from {}: now {}", clock.speed(), config.getString("rendan.clock.origin"), clock.instant());
      }
      Duration askTimeout = config.getDuration("rendan.ask-timeout");
      LiveTopics topics = new LiveTopics(system);
      MeApi meApi =
          MeApi.start(
              system,
              topics,
              new MeEntity.Settings(
                  config.getInt("rendan.me.snapshot-every"),
                  config.getDuration("rendan.me.backoff-min"),
                  config.getDuration("rendan.me.backoff-max"),
                  config.getInt("rendan.me.tag-slices")),
              new MeApi.Limits(config.getInt("rendan.me.max-capabilities")),
              askTimeout,
              clock);
      metrics.entityType(MeEntity.TYPE_KEY);


      EmcEntity.init(system, EmcSettings.from(config), EmcApi.publisher(topics, clock), clock);
      EmcApi emcApi = EmcApi.start(system, meApi, EmcApi.Limits.from(config), askTimeout, clock);
      MembershipDelivery.start(system, projectionJdbc, meApi, config.getInt("rendan.emc.tag-slices"));
      io.rendan.charter.CharterApi charterApi =
          io.rendan.charter.CharterApi.start(
              system,
              emcApi,
              meApi,
              new io.rendan.charter.CharterEntity.Settings(
                  config.getDuration("rendan.emc.backoff-min"), config.getDuration("rendan.emc.backoff-max")),
              askTimeout,
              clock);
      // appliances (issue 6)
      ApplianceConfig applianceConfig = ApplianceConfig.from(config);
      io.rendan.appliance.ApplianceDirectory applianceDirectory =
          io.rendan.appliance.ApplianceDirectory.start(system, projectionJdbc, config.getInt("rendan.appliance.tag-slices"));
      ApplianceApi applianceApi =
          ApplianceApi.start(system, topics, meApi, emcApi, applianceDirectory, applianceConfig, askTimeout, clock);
      io.rendan.appliance.MeteringDelivery.start(
          system, projectionJdbc, applianceApi, emcApi, config.getInt("rendan.appliance.tag-slices"));
      LedgerApi ledgerApi =
          LedgerApi.start(
              system,
              projectionJdbc,
              meApi,
              emcApi,
              config.getInt("rendan.me.tag-slices"),
              config.getInt("rendan.emc.tag-slices"),
              config.getInt("rendan.ledger.max-listed"));

      Config bidding = config.getConfig("rendan.bidding");
      RoundDirectory directory =
          RoundDirectory.start(
              system,
              projectionJdbc,
              bidding.getInt("tag-slices"),
              new RoundDirectory.Grouping(
                  bidding.getInt("directory.group-envelopes"), bidding.getDuration("directory.group-within")));
      BiddingApi biddingApi =
          BiddingApi.start(
              system,
              topics,
              meApi,
              emcApi,
              directory,
              new RoundEntity.Settings(
                  bidding.getInt("snapshot-every"),
                  bidding.getDuration("backoff-min"),
                  bidding.getDuration("backoff-max"),
                  bidding.getInt("tag-slices"),
                  bidding.getDuration("soft-close-window"),
                  bidding.getDuration("soft-close-extension"),
                  bidding.getInt("max-bids-per-round"),
                  bidding.getInt("max-queued"),
                  bidding.getInt("max-batch"),
                  bidding.getDuration("idle-passivation"),
                  bidding.getDuration("write-linger")),
              new BiddingApi.Limits(
                  bidding.getDuration("min-closes-in"), bidding.getDuration("max-closes-in"), bidding.getInt("max-listed")),
              askTimeout,
              clock);
      AwardDelivery.start(system, projectionJdbc, biddingApi, emcApi, bidding.getInt("tag-slices"));
      RoundWaker.start(system, directory, biddingApi, bidding.getDuration("wake-interval"), bidding.getInt("max-woken"));
      Config painpoint = config.getConfig("rendan.painpoint");
      io.rendan.painpoint.PainPointApi painPointApi =
          io.rendan.painpoint.PainPointApi.start(
              system,
              topics,
              meApi,
              emcApi,
              biddingApi,
              new io.rendan.painpoint.PainPointBoard.Settings(
                  painpoint.getInt("posts-per-period"),
                  painpoint.getInt("votes-per-period"),
                  painpoint.getInt("max-pain-points"),
                  painpoint.getInt("max-voters"),
                  painpoint.getInt("snapshot-every"),
                  painpoint.getDuration("backoff-min"),
                  painpoint.getDuration("backoff-max")),
              askTimeout,
              clock);
      io.rendan.painpoint.PainPointResolution.start(system, projectionJdbc, painPointApi, config.getInt("rendan.emc.tag-slices"));
      io.rendan.prospect.ProspectApi.start(
          system, projectionJdbc, biddingApi, config.getInt("rendan.emc.tag-slices"), config.getInt("rendan.prospect.max-bids"));

      HttpCodec codec =
          new HttpCodec(
              Materializer.matFromSystem(system),
              config.getBytes("rendan.http.max-body-bytes"),
              config.getDuration("rendan.http.read-timeout"));
      Jwt jwt = jwt(config, devMode);
      system.getWhenTerminated().thenRun(jwt::close);
      Authenticator auth =
          new Authenticator(
              jwt, codec, config.getStringList("rendan.ws.allowed-origins"), new SubjectLimits(subjectLimits(config)));
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
      v1.add(new LedgerRoutes(ledgerApi, codec, auth).route());
      v1.add(new MeRoutes(meApi, codec, auth).route());
      v1.add(new BiddingRoutes(biddingApi, codec, auth).route());
      v1.add(new EmcRoutes(emcApi, codec, auth).route());
      v1.add(new io.rendan.emc.HelpRoutes(emcApi.help(), codec, auth).route());
      v1.add(new io.rendan.charter.CharterRoutes(charterApi, codec, auth).route());
      v1.add(new io.rendan.prospect.ProspectRoutes(biddingApi, codec, auth).route());
      v1.add(new io.rendan.painpoint.PainPointRoutes(painPointApi, codec, auth).route());
      TelemetryIngest ingest = new TelemetryIngest(system, applianceApi, codec, applianceConfig);
      v1.add(new ApplianceRoutes(applianceApi, ingest, codec, auth).route());
      if (config.getBoolean("rendan.bench.enabled")) {
        log.warn("bench routes on (rendan.bench.enabled): /v1/admin/naive-rounds and /v1/admin/sink are served to admins");
        v1.add(new BenchRoutes(NaivePeer.start(system, clock, askTimeout), ingest, codec, auth).route());
      }
      v1.add(
          new WsRoutes(
                  system, auth, meApi, emcApi, biddingApi, applianceApi, painPointApi, topics, wsSettings, new WsMetrics(metrics.registry()))
              .route());
      if (devMode) {
        v1.add(pathPrefix("dev", () -> new DevTokenRoutes(jwt, codec, config.getDuration("rendan.auth.dev-token-ttl")).route()));
      }
      routes.add(pathPrefix("v1", () -> concat(v1.get(0), v1.subList(1, v1.size()).toArray(Route[]::new))));
      routes.add(new ConsoleRoutes(devMode).route());

      RouteMetrics routeMetrics = new RouteMetrics(metrics.registry(), config.getInt("rendan.metrics.max-routes"));
      Route api =
          routeMetrics.around(
              () ->
                  admission.around(
                      () -> HttpApi.seal(routes, RouteTable.Undeclared.parse(config.getString("rendan.http.undeclared-routes")))));
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
      Uri management = startManagement(system);

      java.net.InetSocketAddress bound = binding.localAddress();
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
          cluster.selfMember().address(),
          bound.getHostString(),
          bound.getPort(),
          bound.getAddress().isLoopbackAddress()
              ? "this machine only"
              : bound.getAddress().isAnyLocalAddress() ? "every interface" : "this interface",
          devMode ? "on" : "off",
          devMode ? "open to anyone who reaches the port" : "absent",
          management,
          postgres ? "PostgreSQL" : "H2 at " + Path.of(config.getString("rendan.data-dir")).toAbsolutePath().normalize(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return new RendanNode(system, binding, management, devMode, meApi);
    } catch (Exception | Error e) {
      // Say what failed before anything else can go wrong: a slow termination must not
      // hide the cause behind its own timeout.
      log.error("the node failed to start, stopping it: {}", e.toString(), e);
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception stopping) {
        e.addSuppressed(stopping);
      }
      throw e;
    }
  }

  /**
   * A journal write that waits for a pooled connection must give up before the
   * circuit breaker times the call out: otherwise a saturated pool opens the
   * breaker and the node refuses every entity for its reset-timeout.
   */
  private static void checkDatabaseTimeouts(Config config) {
    Duration connection = config.getDuration("rendan.db.connection-timeout");
    Duration call = config.getDuration("rendan.db.call-timeout");
    if (connection.compareTo(call) >= 0) {
      throw new IllegalArgumentException(
          "RENDAN_DB_CONNECTION_TIMEOUT ("
              + connection
              + ") must be shorter than RENDAN_DB_CALL_TIMEOUT ("
              + call
              + ")");
    }
  }

  /**
   * Pekko Management on its own port: health checks and the read-only cluster
   * routes. Stopped last, so that /ready says 503 while the node shuts down.
   */
  private static Uri startManagement(ActorSystem<?> system) throws Exception {
    PekkoManagement management = PekkoManagement.get(Adapter.toClassic(system));
    Uri uri = management.start().toCompletableFuture().get(STARTUP_STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "stop-pekko-management",
            () -> management.stop());
    return uri;
  }

  private static boolean devMode(Config config, boolean postgres) {
    String setting = config.getString("rendan.dev-mode").trim().toLowerCase();
    return switch (setting) {
      case "auto" -> !postgres;
      case "true", "on", "yes" -> true;
      case "false", "off", "no" -> false;
      default -> throw new IllegalArgumentException("rendan.dev-mode must be auto, true or false, not " + setting);
    };
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

  /**
   * Bearer token verification as rendan.auth configures it. Tokens expire in
   * real time, whatever pace the business clock keeps. A JWKS is fetched once in
   * the background at start, so that its first token does not wait and the log
   * says early whether the identity provider can be reached.
   */
  private static Jwt jwt(Config config, boolean devMode) throws IOException {
    Config auth = config.getConfig("rendan.auth");
    PublicKey rsaKey = rsaPublicKey(config);
    JwksKeys.Settings jwks = jwksSettings(auth.getConfig("jwks"));
    Jwt jwt =
        Jwt.builder(Clock.systemUTC())
            .hs256(secret(config, devMode, rsaKey != null || jwks != null))
            .rs256(rsaKey)
            .jwks(jwks)
            .issuer(auth.getString("issuer"))
            .audience(auth.getString("audience"))
            .leeway(auth.getDuration("leeway"))
            .verifiedCache(auth.getInt("verified-cache.entries"), auth.getDuration("verified-cache.ttl"))
            .build();
    log.info(
        "bearer tokens: {} ({}{}), issuer {}, audience {}",
        jwt.algorithms().stream().map(Object::toString).sorted().toList(),
        rsaKey == null ? "" : "RS256 PEM key, ",
        jwks == null ? "no JWKS" : "JWKS " + jwks.url(),
        auth.getString("issuer").isBlank() ? "not checked" : auth.getString("issuer").trim(),
        auth.getString("audience").isBlank() ? "not checked" : auth.getString("audience").trim());
    jwt.jwks()
        .ifPresent(
            keys -> {
              Thread first =
                  new Thread(
                      () -> {
                        try {
                          log.info("JWKS {} holds the keys {}", keys.url(), keys.keyIds());
                        } catch (Exception e) {
                          log.warn("the JWKS {} cannot be fetched yet: {}", keys.url(), e.toString());
                        }
                      },
                      "rendan-jwks-first-fetch");
              first.setDaemon(true);
              first.start();
            });
    return jwt;
  }

  private static JwksKeys.Settings jwksSettings(Config jwks) {
    String url = jwks.getString("url").trim();
    if (url.isEmpty()) {
      return null;
    }
    try {
      return new JwksKeys.Settings(
          java.net.URI.create(url).toURL(),
          jwks.getDuration("cache-ttl"),
          jwks.getDuration("min-refetch-interval"),
          jwks.getDuration("fetch-timeout"),
          jwks.getDuration("keep-on-outage"),
          Math.toIntExact(jwks.getBytes("max-bytes")));
    } catch (java.net.MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("RENDAN_JWT_JWKS_URL: " + e.getMessage(), e);
    }
  }

  /**
   * The configured HS256 secret; in dev mode without one, a random secret kept in
   * the data directory so that tokens survive a restart.
   */
  private static byte[] secret(Config config, boolean devMode, boolean providerConfigured) throws IOException {
    String configured = config.getString("rendan.auth.hs256-secret");
    if (!configured.isEmpty()) {
      return configured.getBytes(StandardCharsets.UTF_8);
    }
    if (!devMode) {
      if (providerConfigured) {
        return null; // the identity provider's tokens only
      }
      throw new IllegalStateException(
          "outside dev mode a key for bearer tokens is required: RENDAN_JWT_SECRET (HS256) and/or "
              + "RENDAN_JWT_JWKS_URL (RS256, ES256) or RENDAN_JWT_PUBLIC_KEY or RENDAN_JWT_PUBLIC_KEY_FILE (RS256)");
    }
    Path file = Path.of(config.getString("rendan.data-dir"), "dev-jwt-secret");
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Files.createDirectories(file.getParent());
      Files.writeString(file, Base64.getEncoder().encodeToString(random));
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the file stays with default permissions
      }
    }
    return Base64.getDecoder().decode(Files.readString(file).trim());
  }

  private static SubjectLimits.Settings subjectLimits(Config config) {
    Config limits = config.getConfig("rendan.limits");
    return new SubjectLimits.Settings(
        limits.getDouble("requests-per-second"),
        limits.getInt("request-burst"),
        limits.getInt("ws-connections-per-subject"),
        limits.getInt("max-subjects"));
  }

  /** The identity provider's RS256 public key (PEM), inline or from a file; null when neither is set. */
  private static PublicKey rsaPublicKey(Config config) throws IOException {
    String pem = config.getString("rendan.auth.rs256-public-key");
    String file = config.getString("rendan.auth.rs256-public-key-file");
    if (pem.isBlank() && !file.isBlank()) {
      pem = Files.readString(Path.of(file));
    }
    return pem.isBlank() ? null : Jwt.rsaPublicKey(pem);
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** The address the API listens on. */
  public java.net.InetSocketAddress httpAddress() {
    return binding.localAddress();
  }

  /**
   * Pekko HTTP's graceful termination of the API binding, as coordinated shutdown
   * runs it: unbinds, answers requests in flight, closes idle connections. Tests
   * call it alone to see that the binding keeps it (issue 16, defect 2).
   */
  public java.util.concurrent.CompletionStage<?> terminateHttp(Duration hardDeadline) {
    return binding.terminate(hardDeadline);
  }

  public int managementPort() {
    return management.port();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** The node's MEs (tests look at what it holds in memory). */
  public MeApi meApi() {
    return meApi;
  }

  public boolean devMode() {
    return devMode;
  }

  /** Coordinated shutdown: unbind, hand over, close the database; waits for the end. */
  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
