package io.rendan;

import io.rendan.vocabulary.BusinessClock;
import com.typesafe.config.Config;
import io.rendan.appliance.ApplianceApi;
import io.rendan.appliance.ApplianceConfig;
import io.rendan.bidding.AwardDelivery;
import io.rendan.bidding.BiddingApi;
import io.rendan.bidding.BiddingSettings;
import io.rendan.bidding.RoundDirectory;
import io.rendan.bidding.RoundWaker;
import io.rendan.cluster.DatabaseSchema;
import io.rendan.cluster.LoneNodeShutdown;
import io.rendan.cluster.SeedNodes;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcEntity;
import io.rendan.emc.EmcSettings;
import io.rendan.emc.MembershipDelivery;
import io.rendan.ledger.LedgerApi;
import io.rendan.me.MeApi;
import io.rendan.me.MeEntity;
import io.rendan.metrics.NodeMetrics;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.pubsub.LiveTopics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Rendan node: actor system, cluster membership, journal schema, sharded
 * entities and the HTTP/WebSocket API. {@link Main} runs one; tests start and
 * stop them in-process. The wiring is here; its parts are beside it:
 * {@link NodeConfig} (loading and checking the configuration), {@link NodeCodes}
 * (every package's error codes), {@link NodeRoutes} (the route table and the
 * routes), {@link NodeAuth} (bearer tokens), {@link NodeHttp} (binding, management).
 */
public final class RendanNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RendanNode.class);

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
   * database, then Pekko's reference settings (see {@link NodeConfig#loadConfig}).
   */
  public static Config loadConfig(Config overrides) {
    return NodeConfig.loadConfig(overrides);
  }

  public static boolean usesPostgres(Config config) {
    return NodeConfig.usesPostgres(config);
  }

  static String httpHost(Config config, boolean devMode) {
    return NodeHttp.httpHost(config, devMode);
  }

  /** Starts a node and returns once it serves HTTP. */
  /**
   * A sharded entity type whose region this node runs: counted in
   * {@code rendan_sharding_entities} and checked by readiness (its shards can start).
   */
  private static void shardedType(ActorSystem<?> system, NodeMetrics metrics, EntityTypeKey<?> type) {
    metrics.entityType(type);
    io.rendan.http.ShardProbe.get(system).watch(type);
  }

  public static RendanNode start(Config config) throws Exception {
    long started = System.nanoTime();
    boolean postgres = usesPostgres(config);
    boolean devMode = NodeConfig.devMode(config, postgres);
    NodeConfig.checkDatabaseTimeouts(config);
    if (!postgres) {
      Files.createDirectories(Path.of(config.getString("rendan.data-dir")));
    }
    NodeCodes.register();
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
      // alone in its cluster at shutdown, the node stops its shards without a hand-off
      LoneNodeShutdown.register(system);
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
              MeEntity.Settings.from(config),
              new MeApi.Limits(config.getInt("rendan.me.max-capabilities")),
              askTimeout,
              clock);
      shardedType(system, metrics, MeEntity.TYPE_KEY);


      EmcEntity.init(system, EmcSettings.from(config), EmcApi.publisher(topics, clock), clock);
      EmcApi emcApi = EmcApi.start(system, meApi, EmcApi.Limits.from(config), askTimeout, clock);
      shardedType(system, metrics, io.rendan.emc.NestingGate.TYPE_KEY);
      MembershipDelivery.start(system, projectionJdbc, meApi, config.getInt("rendan.emc.tag-slices"));
      io.rendan.emc.RemovalWaker.start(
          system,
          projectionJdbc,
          config.getInt("rendan.emc.tag-slices"),
          clock,
          config.getDuration("rendan.emc.removal-wake-interval"),
          config.getInt("rendan.emc.max-removals-woken"));
      io.rendan.emc.RevenuePassOn.start(
          system, projectionJdbc, emcApi, config.getInt("rendan.emc.tag-slices"), config.getDuration("rendan.emc.pass-on-retry-interval"));
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
          io.rendan.appliance.ApplianceDirectory.start(system, projectionJdbc, applianceConfig.entity().tagSlices());
      ApplianceApi applianceApi =
          ApplianceApi.start(system, topics, meApi, emcApi, applianceDirectory, applianceConfig, askTimeout, clock);
      shardedType(system, metrics, io.rendan.appliance.ApplianceEntity.TYPE_KEY);
      shardedType(system, metrics, EmcEntity.TYPE_KEY);
      io.rendan.appliance.MeteringDelivery.start(
          system, projectionJdbc, applianceApi, emcApi, applianceConfig.entity().tagSlices());
      LedgerApi ledgerApi =
          LedgerApi.start(
              system,
              projectionJdbc,
              meApi,
              emcApi,
              config.getInt("rendan.me.tag-slices"),
              config.getInt("rendan.emc.tag-slices"),
              config.getInt("rendan.ledger.max-listed"));

      BiddingSettings bidding = BiddingSettings.from(config);
      RoundDirectory directory = RoundDirectory.start(system, projectionJdbc, bidding.tagSlices(), bidding.directory());
      BiddingApi biddingApi = BiddingApi.start(system, topics, meApi, emcApi, directory, bidding, askTimeout, clock);
      shardedType(system, metrics, io.rendan.bidding.RoundEntity.TYPE_KEY);
      AwardDelivery.start(system, projectionJdbc, biddingApi, emcApi, bidding.tagSlices());
      RoundWaker.start(system, directory, biddingApi, bidding.wakeInterval(), bidding.maxWoken());
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
      io.rendan.painpoint.FaultPainPoints.start(
          system, projectionJdbc, applianceApi, painPointApi, io.rendan.painpoint.FaultRule.from(config), applianceConfig.entity().tagSlices());
      io.rendan.prospect.ProspectApi.start(
          system,
          projectionJdbc,
          biddingApi,
          config.getInt("rendan.emc.tag-slices"),
          config.getInt("rendan.me.tag-slices"),
          config.getInt("rendan.prospect.max-bids"));
      Route api =
          NodeRoutes.build(
              system,
              config,
              devMode,
              metrics,
              clock,
              askTimeout,
              new NodeRoutes.Apis(
                  meApi, emcApi, charterApi, biddingApi, painPointApi, applianceApi, applianceConfig, ledgerApi, topics));
      ServerBinding binding = NodeHttp.bind(system, config, devMode, api);
      Uri management = NodeHttp.startManagement(system);
      NodeHttp.logServing(cluster.selfMember().address(), binding.localAddress(), management, config, devMode, postgres, started);
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