package io.rendan.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.protocol.api.v1.Health;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * {@code /health/alive}: the process answers. {@code /health/ready}: this node is
 * an Up member of the cluster and the journal database answers a query (a
 * primary-key read of a probe id, cheap however large the journal is).
 */
public final class HealthRoutes {
  private static final String PROBE_ID = "rendan-health-probe";

  private final ActorSystem<?> system;
  private final HttpCodec codec;
  private final JdbcReadJournal journal;
  private final Duration journalTimeout;

  public HealthRoutes(ActorSystem<?> system, HttpCodec codec, Duration journalTimeout) {
    this.system = system;
    this.codec = codec;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.journalTimeout = journalTimeout;
  }

  public Route route() {
    return pathPrefix(
        "health",
        () ->
            extractRequest(
                request ->
                    concat(
                        path(
                            "alive",
                            () -> get(() -> complete(codec.respond(request, StatusCodes.OK, status("alive", List.of()))))),
                        path(
                            "ready",
                            () ->
                                get(
                                    () ->
                                        completeWithFuture(
                                            readiness()
                                                .thenApply(
                                                    failed ->
                                                        codec.respond(
                                                            request,
                                                            failed.isEmpty()
                                                                ? StatusCodes.OK
                                                                : StatusCodes.SERVICE_UNAVAILABLE,
                                                            status(failed.isEmpty() ? "ready" : "not-ready", failed)))))))));
  }

  /** The names of the checks that failed; empty when ready. */
  public CompletionStage<List<String>> readiness() {
    List<String> failed = new ArrayList<>();
    if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      failed.add("cluster");
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

  private static Health status(String status, List<String> failed) {
    return Health.newBuilder().setStatus(status).addAllChecksFailed(failed).build();
  }

}
