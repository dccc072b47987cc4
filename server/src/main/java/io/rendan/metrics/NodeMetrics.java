package io.rendan.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The metrics of one node, in a Micrometer registry of its own (so that nodes
 * started in one JVM by tests do not share meters), exposed in the Prometheus
 * text format by {@link MetricsRoutes}: HTTP requests by route
 * ({@link RouteMetrics}), WebSocket connections and dropped frames (registered
 * by the WebSocket layer), live entities by type, cluster members by status,
 * and the JVM basics.
 */
public final class NodeMetrics implements AutoCloseable {
  /** Every status a member can have, with the label it is shown under. */
  private static final Map<MemberStatus, String> STATUSES =
      Map.of(
          MemberStatus.joining(), "joining",
          MemberStatus.weaklyUp(), "weakly-up",
          MemberStatus.up(), "up",
          MemberStatus.leaving(), "leaving",
          MemberStatus.exiting(), "exiting",
          MemberStatus.down(), "down",
          MemberStatus.removed(), "removed",
          MemberStatus.shuttingDown(), "preparing-for-shutdown",
          MemberStatus.shutDown(), "ready-for-shutdown");

  private final ActorSystem<?> system;
  private final Duration entityCountTimeout;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Map<EntityTypeKey<?>, AtomicLong> liveEntities = new ConcurrentHashMap<>();

  public NodeMetrics(ActorSystem<?> system, Duration entityCountTimeout) {
    this.system = system;
    this.entityCountTimeout = entityCountTimeout;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    Cluster cluster = Cluster.get(system);
    STATUSES.forEach(
        (status, label) ->
            Gauge.builder("rendan.cluster.members", cluster, c -> count(c, status))
                .description("Members of the cluster by status, as this node sees them")
                .tag("status", label)
                .register(registry));
    Gauge.builder("rendan.cluster.members.unreachable", cluster, c -> c.state().getUnreachable().size())
        .description("Members this node's failure detector considers unreachable")
        .register(registry);
  }

  private static double count(Cluster cluster, MemberStatus status) {
    int n = 0;
    for (Member m : cluster.state().getMembers()) {
      if (m.status().equals(status)) {
        n++;
      }
    }
    return n;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Shows how many entities of this type live on this node. */
  public void entityType(EntityTypeKey<?> type) {
    AtomicLong count = new AtomicLong();
    liveEntities.put(type, count);
    Gauge.builder("rendan.sharding.entities", count, AtomicLong::get)
        .description("Entities running on this node, by type")
        .tag("type", type.name())
        .register(registry);
  }

  /**
   * The registry in the Prometheus text format, after asking the shard regions
   * how many entities they run (a gauge cannot wait for an actor, so the counts
   * are refreshed per scrape; a region that does not answer in time keeps its
   * previous count).
   */
  public CompletionStage<String> scrape() {
    List<CompletableFuture<Void>> refreshes = new ArrayList<>();
    ClusterSharding sharding = ClusterSharding.get(system);
    liveEntities.forEach(
        (type, count) ->
            refreshes.add(
                AskPattern.<GetShardRegionState, ShardRegion.CurrentShardRegionState>ask(
                        sharding.shardState().narrow(),
                        replyTo -> new GetShardRegionState(type, replyTo),
                        entityCountTimeout,
                        system.scheduler())
                    .thenAccept(state -> count.set(state.getShards().stream().mapToLong(s -> s.getEntityIds().size()).sum()))
                    .toCompletableFuture()
                    .exceptionally(failure -> null)));
    return CompletableFuture.allOf(refreshes.toArray(CompletableFuture[]::new)).thenApply(done -> registry.scrape());
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
