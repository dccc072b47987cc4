package io.rendan.painpoint;

import io.rendan.appliance.ApplianceApi;
import io.rendan.appliance.ApplianceEvents.Event;
import io.rendan.appliance.ApplianceEvents.TelemetryRecorded;
import io.rendan.appliance.ApplianceProtocol.FaultReported;
import io.rendan.appliance.ApplianceProtocol.Reading;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repeated appliance faults become pain points ({@link FaultRule}). This
 * projection ({@code painpoint-faults} / {@code appliance-faults-{i}}) follows the
 * appliances' batches that carry fault reports; for each report it keeps a row
 * (appliance, device seq) in {@code rendan_fault_report}, counts the reports of
 * that code within the rule's window, and tells the board of the appliance's EMC
 * ({@link PainPointProtocol.ReportFault}). The offset is stored only after the board
 * answered (at least once); a report delivered again writes no second row and the
 * board ignores a seq it counted, so each report is counted once. Reports of one
 * appliance come in device-seq order: they are in one tag slice.
 */
public final class FaultPainPoints extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(FaultPainPoints.class);
  public static final String NAME = "painpoint-faults";

  private final ApplianceApi appliances;
  private final PainPointApi boards;
  private final FaultRule rule;
  private final ProjectionJdbc jdbc;
  private final Executor blocking;
  private final ProjectionHealth health;
  private final String instance;

  FaultPainPoints(
      ApplianceApi appliances, PainPointApi boards, FaultRule rule, ProjectionJdbc jdbc, Executor blocking, ProjectionHealth health, String instance) {
    this.appliances = appliances;
    this.boards = boards;
    this.rule = rule;
    this.jdbc = jdbc;
    this.blocking = blocking;
    this.health = health;
    this.instance = instance;
  }

  public static void start(
      ActorSystem<?> system, ProjectionJdbc jdbc, ApplianceApi appliances, PainPointApi boards, FaultRule rule, int applianceTagSlices) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher"));
    TaggedProjections.<Event>atLeastOnceAsync(
        system,
        jdbc,
        NAME,
        "appliance-faults-",
        applianceTagSlices,
        instance -> new FaultPainPoints(appliances, boards, rule, jdbc, blocking, ProjectionHealth.get(system), instance));
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    if (!(envelope.event() instanceof TelemetryRecorded recorded)) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<Reading> faults = recorded.readings().stream().filter(r -> r.body() instanceof FaultReported).toList();
    if (faults.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    String applianceId = recorded.applianceId();
    return appliances
        .emcOf(applianceId)
        .thenCompose(
            emcId -> {
              CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
              for (Reading reading : faults) {
                FaultReported fault = (FaultReported) reading.body();
                all =
                    all.thenCompose(done -> CompletableFuture.supplyAsync(() -> count(applianceId, fault.code(), reading.seq(), recorded.at()), blocking))
                        .thenCompose(
                            reports ->
                                boards.reportFault(
                                    emcId,
                                    replyTo ->
                                        new PainPointProtocol.ReportFault(
                                            applianceId, fault.code(), fault.message(), reading.seq(), reports, rule.opens(reports), rule.windowText(), replyTo)))
                        .thenAccept(
                            reply -> {
                              if (reply instanceof PainPointProtocol.Rejected r) {
                                // a full board stays full on retry: the report is left out, not retried forever
                                log.warn("fault {} of appliance {} not counted on the board of EMC {}: {}", fault.code(), applianceId, emcId, r.message());
                              }
                            });
              }
              return all;
            })
        .handle(
            (done, failure) -> {
              if (failure == null) {
                health.applied(instance);
                return Done.getInstance();
              }
              String event = envelope.persistenceId() + " seq " + envelope.sequenceNr() + " (TelemetryRecorded)";
              if (health.failed(instance, event, failure)) {
                log.error("projection {} cannot apply {}: {}; retrying, later events of its tag wait", instance, event, failure.toString());
              }
              throw new CompletionException(failure);
            });
  }

  /**
   * Keeps the report (once per appliance and seq) and answers how many reports of
   * its code, up to and including it, fall within the window that ends at it; rows
   * older than any window still to come are dropped.
   */
  private int count(String applianceId, String code, long seq, Instant at) {
    long from = rule.windowStart(at).toEpochMilli();
    try {
      return jdbc.query(
          connection -> {
            boolean kept;
            try (PreparedStatement find = connection.prepareStatement("SELECT 1 FROM rendan_fault_report WHERE appliance_id = ? AND seq = ?")) {
              find.setString(1, applianceId);
              find.setLong(2, seq);
              try (ResultSet rs = find.executeQuery()) {
                kept = rs.next();
              }
            }
            if (!kept) { // one projection instance writes an appliance's rows: no race between the look and the insert
              try (PreparedStatement insert =
                  connection.prepareStatement("INSERT INTO rendan_fault_report (appliance_id, seq, code, reported_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, applianceId);
                insert.setLong(2, seq);
                insert.setString(3, code);
                insert.setLong(4, at.toEpochMilli());
                insert.executeUpdate();
              }
            }
            int reports;
            try (PreparedStatement select =
                connection.prepareStatement(
                    "SELECT COUNT(*) FROM rendan_fault_report WHERE appliance_id = ? AND code = ? AND seq <= ? AND reported_at >= ?")) {
              select.setString(1, applianceId);
              select.setString(2, code);
              select.setLong(3, seq);
              select.setLong(4, from);
              try (ResultSet rs = select.executeQuery()) {
                rs.next();
                reports = rs.getInt(1);
              }
            }
            try (PreparedStatement prune =
                connection.prepareStatement("DELETE FROM rendan_fault_report WHERE appliance_id = ? AND code = ? AND reported_at < ?")) {
              prune.setString(1, applianceId);
              prune.setString(2, code);
              prune.setLong(3, from);
              prune.executeUpdate();
            }
            return reports;
          });
    } catch (SQLException e) {
      throw new CompletionException(e);
    }
  }
}
