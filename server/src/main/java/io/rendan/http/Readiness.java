package io.rendan.http;

import io.rendan.projection.ProjectionHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Whether this node should be sent traffic: it is an Up member of the cluster,
 * it is not shutting down, the journal takes writes (a probe id with no events
 * recovers through the journal plugin and its circuit breaker, as writes go: see
 * {@link JournalProbe}; cheap however large the journal is), and no
 * projection instance of this node is stuck on an event it cannot apply
 * ({@link ProjectionHealth}), and every shard region of this node can start its
 * shards ({@link ShardProbe}: {@code shards:<type>}). Served
 * as {@code /health/ready} on the API port and {@code /ready} on the management
 * port.
 */
public final class Readiness {

  private final ActorSystem<?> system;
  private final Duration journalTimeout;

  public Readiness(ActorSystem<?> system, Duration journalTimeout) {
    this.system = system;
    this.journalTimeout = journalTimeout;
  }

  /** The names of the checks that failed; empty when ready. */
  public CompletionStage<List<String>> failedChecks() {
    List<String> failed = new ArrayList<>();
    // Leaving early lets load balancers stop sending before the shards hand over.
    if (CoordinatedShutdown.get(system).getShutdownReason().isPresent()) {
      failed.add("shutdown");
      return CompletableFuture.completedFuture(failed);
    }
    if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      failed.add("cluster");
    }
    for (ProjectionHealth.Stuck stuck : ProjectionHealth.get(system).stuck()) {
      failed.add("projection:" + stuck.instance());
    }
    // a region answers once its shards have, or after shard-region-query-timeout
    Duration regionTimeout =
        system.settings().config().getDuration("pekko.cluster.sharding.shard-region-query-timeout").plus(Duration.ofSeconds(1));
    CompletableFuture<List<String>> shards = ShardProbe.get(system).failedChecks(regionTimeout).toCompletableFuture();
    // through the journal plugin's circuit breaker, as writes go: a database that answers
    // again is not enough while the breaker still refuses every write
    return JournalProbe.run(system)
        .toCompletableFuture()
        .orTimeout(journalTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (done, failure) -> {
              if (failure != null) {
                failed.add("journal");
              }
              return failed;
            })
        .thenCombine(
            shards,
            (journal, regions) -> {
              failed.addAll(regions);
              return failed;
            });
  }
}
