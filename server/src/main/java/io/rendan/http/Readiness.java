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
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Whether this node should be sent traffic: it is an Up member of the cluster,
 * it is not shutting down, and the journal database answers a query (a
 * primary-key read of a probe id, cheap however large the journal is), and no
 * projection instance of this node is stuck on an event it cannot apply
 * ({@link ProjectionHealth}). Served
 * as {@code /health/ready} on the API port and {@code /ready} on the management
 * port.
 */
public final class Readiness {
  private static final String PROBE_ID = "rendan-health-probe";

  private final ActorSystem<?> system;
  private final JdbcReadJournal journal;
  private final Duration journalTimeout;

  public Readiness(ActorSystem<?> system, Duration journalTimeout) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
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
    return journal
        .currentEventsByPersistenceId(PROBE_ID, 0, 1)
        .runWith(Sink.ignore(), system)
        .toCompletableFuture()
        .orTimeout(journalTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (done, failure) -> {
              if (failure != null) {
                failed.add("journal");
              }
              return failed;
            });
  }
}
