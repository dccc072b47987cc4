package io.rendan.cluster;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node that stops while it is the only member of its cluster has no one to
 * hand its shards to, so its regions skip the hand-off.
 *
 * <p>A region's graceful shutdown ends only once it holds no shard and no message
 * buffered for one. On a node alone, a message that reaches a region while its
 * shards hand off (the keep-alive of a sharded daemon process, every 10 s; a
 * projection's delivery to an entity) waits for a shard home that the
 * coordinator cannot give, there being no other region: the region asked for it
 * every 2 s ("Requested shard homes") until the shutdown phase's 30 s were up,
 * and every single-node test node took that long to stop.
 *
 * <p>Just before the regions shut down (phase {@code before-cluster-shutdown}:
 * the node serves no request any more), a node with no other member up marks the
 * cluster as preparing for a full shutdown (Pekko's
 * {@code prepareForFullClusterShutdown}): every region of it then stops its
 * shards at once instead of handing them over. The task waits until this node
 * sees its own new status, so that the regions, which learn it from the same
 * publication, have it in their mailboxes before the phase that shuts them down.
 * A node with another member up hands over as before.
 */
public final class LoneNodeShutdown {
  private static final Logger log = LoggerFactory.getLogger(LoneNodeShutdown.class);
  /** Members whose regions can host the shards of a stopping node. */
  private static final Set<MemberStatus> HOSTING = Set.of(MemberStatus.up(), MemberStatus.weaklyUp());

  private static final Duration SEEN_WITHIN = Duration.ofSeconds(3);
  private static final Duration POLL = Duration.ofMillis(10);

  private LoneNodeShutdown() {}

  /** Adds the task to {@code system}'s coordinated shutdown. */
  public static void register(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeClusterShutdown(),
            "rendan-lone-node-skips-hand-off",
            () -> {
              if (!alone(cluster)) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              log.info("this node is the only member up: its shard regions stop without handing their shards over");
              cluster.prepareForFullClusterShutdown();
              return seen(cluster, System.nanoTime() + SEEN_WITHIN.toNanos());
            });
  }

  /** No member but this one is up (a member that is leaving or down takes no shards). */
  static boolean alone(Cluster cluster) {
    for (Member member : cluster.state().getMembers()) {
      if (!member.uniqueAddress().equals(cluster.selfUniqueAddress()) && HOSTING.contains(member.status())) {
        return false;
      }
    }
    return cluster.selfMember().status() == MemberStatus.up();
  }

  /** Completes once this node sees itself preparing for shutdown, or at {@code giveUpAt}. */
  private static CompletionStage<Done> seen(Cluster cluster, long giveUpAt) {
    MemberStatus status = cluster.selfMember().status();
    // Pekko's Java names of PreparingForShutdown and ReadyForShutdown
    if (status == MemberStatus.shuttingDown() || status == MemberStatus.shutDown()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    if (System.nanoTime() - giveUpAt > 0) {
      log.warn("the cluster's preparation for shutdown was not seen within {}: the regions hand over as usual", SEEN_WITHIN);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return CompletableFuture.supplyAsync(
            () -> null, CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS))
        .thenCompose(ignored -> seen(cluster, giveUpAt));
  }
}
