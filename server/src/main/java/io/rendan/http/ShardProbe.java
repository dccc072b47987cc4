package io.rendan.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.event.Logging;
import org.apache.pekko.pattern.Patterns;

/**
 * Whether this node's shard regions can start their shards. A shard of a type
 * with remembered entities first reads them; if it cannot within
 * {@code pekko.cluster.sharding.waiting-for-state-timeout}, Pekko stops it and
 * its region starts it again after {@code shard-failure-backoff}, for ever,
 * while nothing else notices: the node answered {@code /health/ready} 200 with
 * no appliance able to start (issue 20, recovery run).
 *
 * <p>A region must also have found its coordinator once ({@link #registered}):
 * with none, it has no shard to fail, and nothing else showed that every
 * request for its entities would wait out the ask timeout.
 *
 * <p>Two signals, both from Pekko's public surface: the region's
 * {@link GetShardRegionState}, whose {@code failed} set names the shards that did
 * not answer in time (a shard still reading its remembered entities answers
 * nothing); and the error Pekko publishes on the event stream when a shard gives
 * up reading them. A shard seen giving up counts as failing until a later
 * {@code GetShardRegionState} finds it answering, so that the backoff between two
 * attempts, when the region has no such shard at all, is not taken for health.
 */
public final class ShardProbe implements Extension {
  /** The class Pekko's shards log from (internal to Pekko, so named rather than imported). */
  static final String SHARD_CLASS = "org.apache.pekko.cluster.sharding.Shard";
  static final String LOAD_FAILED = "Failed to load initial entity ids";

  private final ActorSystem<?> system;
  private final List<EntityTypeKey<?>> types = new CopyOnWriteArrayList<>();
  /** Shards seen failing to start, "{type}/{shardId}", not seen answering since: when last (nanoTime). */
  private final Map<String, Long> failing = new ConcurrentHashMap<>();
  /** Types whose region has been seen registered with its coordinator (see {@link #registered}). */
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  /**
   * How long a failure counts without another: two rounds of a shard's retry. A
   * shard that failed here and was then moved to another node never answers here
   * again; this is how long such a node still says it is not ready.
   */
  private final long failureCountsNanos;

  private ShardProbe(ActorSystem<?> system) {
    this.system = system;
    var config = system.settings().config();
    this.failureCountsNanos =
        2 * (config.getDuration("pekko.cluster.sharding.shard-failure-backoff").toNanos()
            + config.getDuration("pekko.cluster.sharding.waiting-for-state-timeout").toNanos());
    Behavior<Logging.Error> listener =
        Behaviors.receiveMessage(
            error -> {
              shardLogged(error);
              return Behaviors.same();
            });
    var ref = system.systemActorOf(listener, "rendan-shard-probe", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(Logging.Error.class, ref));
  }

  public static ShardProbe get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Checks the region of {@code type} on readiness (after {@code ClusterSharding.init}). */
  public void watch(EntityTypeKey<?> type) {
    if (types.stream().noneMatch(t -> t.name().equals(type.name()))) {
      types.add(type);
    }
  }

  /** A shard that gave up reading its remembered entities: its path ends in {@code /sharding/{type}/{shardId}}. */
  void shardLogged(Logging.Error error) {
    if (!SHARD_CLASS.equals(error.logClass().getName()) || !String.valueOf(error.message()).contains(LOAD_FAILED)) {
      return;
    }
    String source = error.logSource();
    int sharding = source.indexOf("/sharding/");
    if (sharding >= 0) {
      failing.put(source.substring(sharding + "/sharding/".length()), System.nanoTime());
    }
  }

  /** {@code shards:{type}} for each watched type whose region has a shard that cannot start or did not answer. */
  public CompletionStage<List<String>> failedChecks(Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    List<CompletableFuture<String>> checks = new ArrayList<>();
    for (EntityTypeKey<?> type : types) {
      CompletableFuture<Boolean> shards =
          AskPattern.<GetShardRegionState, ShardRegion.CurrentShardRegionState>ask(
                  sharding.shardState().narrow(), replyTo -> new GetShardRegionState(type, replyTo), timeout, system.scheduler())
              .thenApply(state -> healthy(type.name(), state))
              .exceptionally(failure -> false)
              .toCompletableFuture();
      checks.add(
          shards
              .thenCombine(registered(type.name(), timeout), (started, home) -> started && home ? null : "shards:" + type.name())
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
        .thenApply(done -> checks.stream().map(CompletableFuture::join).filter(c -> c != null).toList());
  }

  /**
   * Whether the region of {@code type} has found its shard coordinator: the coordinator
   * answers and lists this node's region. Until it does, the region cannot learn
   * where any shard lives nor have one allocated, and every request for an entity it
   * does not already run waits and fails with 503 (a coordinator that cannot start,
   * its remembered shards unreadable; a cluster that never forms): before, the node
   * said it was ready all the same, having no shard that could fail. Checked until
   * it holds once, then no more: afterwards the coordinator moving (its node leaving
   * or dying) leaves every region without one for a while, and failing readiness on
   * every node at once would take the whole cluster out of its load balancer for
   * what its failover handles.
   */
  private CompletableFuture<Boolean> registered(String type, Duration timeout) {
    if (registered.contains(type)) {
      return CompletableFuture.completedFuture(true);
    }
    Address self = Cluster.get(system).selfMember().address();
    ActorRef region;
    try {
      region = org.apache.pekko.cluster.sharding.ClusterSharding.get(Adapter.toClassic(system)).shardRegion(type);
    } catch (IllegalStateException notStarted) {
      return CompletableFuture.completedFuture(false);
    }
    return Patterns.ask(region, ShardRegion.getCurrentRegionsInstance(), timeout)
        .thenApply(
            answer -> {
              // a region with no coordinator answers itself, with no region at all
              boolean home = answer instanceof ShardRegion.CurrentRegions regions && regions.getRegions().contains(self);
              if (home) {
                registered.add(type);
              }
              return home;
            })
        .exceptionally(failure -> false)
        .toCompletableFuture();
  }

  private boolean healthy(String type, ShardRegion.CurrentShardRegionState state) {
    for (ShardRegion.ShardState answered : state.getShards()) {
      failing.remove(type + "/" + answered.shardId());
    }
    String prefix = type + "/";
    long now = System.nanoTime();
    failing.values().removeIf(at -> now - at > failureCountsNanos);
    return state.getFailed().isEmpty() && failing.keySet().stream().noneMatch(f -> f.startsWith(prefix));
  }

  private static final class Id extends ExtensionId<ShardProbe> {
    static final Id INSTANCE = new Id();

    @Override
    public ShardProbe createExtension(ActorSystem<?> system) {
      return new ShardProbe(system);
    }
  }
}
