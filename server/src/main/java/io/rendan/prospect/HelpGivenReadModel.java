package io.rendan.prospect;

import io.rendan.me.MeEntity;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each ME's help given, as its profile counts it ({@code help.delivered_given},
 * {@code help.recoveries_helped}), for the owner's view of a round: fed exactly
 * once (row and offset in one transaction) from the MEs' {@code HelpRecorded}
 * events (tags {@code me-N}) by the projection {@code me-help-given}, so that
 * weighing ten bids reads ten rows instead of waking ten ME entities. The counts
 * follow the same steps as the ME's {@code HelpRecord}: a pledge delivered to
 * another member, and a help case that recovered with this ME's help. A row keeps
 * the sequence number of the last event applied; an event at or below it changes
 * nothing.
 */
public final class HelpGivenReadModel {
  private static final Logger log = LoggerFactory.getLogger(HelpGivenReadModel.class);
  public static final String NAME = "me-help-given";
  static final String TABLE = "rendan_prospect_help";

  private HelpGivenReadModel() {}

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, int meTagSlices) {
    TaggedProjections.<MeEntity.Event>exactlyOnce(
        system, jdbc, NAME, "me-", meTagSlices, instance -> new Writer(ProjectionHealth.get(system), instance));
  }

  static final class Writer extends JdbcHandler<EventEnvelope<MeEntity.Event>, ProjectionJdbc.Session> {
    private final ProjectionHealth health;
    private final String instance;

    Writer(ProjectionHealth health, String instance) {
      this.health = health;
      this.instance = instance;
    }

    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<MeEntity.Event> envelope) throws Exception {
      try {
        session.withConnection(
            c -> {
              apply(c, envelope.event(), envelope.sequenceNr());
              return null;
            });
        health.applied(instance);
      } catch (Exception e) {
        String event = envelope.persistenceId() + " seq " + envelope.sequenceNr();
        if (health.failed(instance, event, e)) {
          log.error("projection {} cannot apply {}: {}; retrying, later events of its tag wait", instance, event, e.toString());
        }
        throw e;
      }
    }
  }

  /** The row one event changes; nothing for an event already applied or another step. */
  static void apply(Connection c, MeEntity.Event event, long seq) throws SQLException {
    if (!(event instanceof MeEntity.HelpRecorded e)) {
      return;
    }
    int delivered = e.note().step() == MeEntity.HelpStep.DELIVERED_GIVEN ? 1 : 0;
    int recoveries = e.note().step() == MeEntity.HelpStep.RECOVERY_HELPED ? 1 : 0;
    if (delivered + recoveries == 0) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE " + TABLE + " SET delivered_given = delivered_given + ?, recoveries_helped = recoveries_helped + ?, last_seq = ? "
                + "WHERE me_id = ? AND last_seq < ?")) {
      ps.setInt(1, delivered);
      ps.setInt(2, recoveries);
      ps.setLong(3, seq);
      ps.setString(4, e.meId());
      ps.setLong(5, seq);
      if (ps.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement find = c.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE me_id = ?")) {
      find.setString(1, e.meId());
      try (var rs = find.executeQuery()) {
        if (rs.next()) {
          return; // applied before
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO " + TABLE + " (me_id, delivered_given, recoveries_helped, last_seq) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, e.meId());
      ps.setInt(2, delivered);
      ps.setInt(3, recoveries);
      ps.setLong(4, seq);
      ps.executeUpdate();
    }
  }
}
