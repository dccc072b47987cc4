package io.rendan.prospect;

import io.rendan.emc.EmcAccounts;
import io.rendan.emc.EmcEvents;
import io.rendan.emc.RevenueSplit;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a prospectus is read from: per EMC and period, the revenue, what the owner
 * kept and the members' target attainment once the period closed; per ME and EMC,
 * the closed periods it met and missed. Fed exactly once (rows and offset in one
 * transaction) from the EMC events (tags {@code emc-N}) by the projection
 * {@code emc-prospectus}, so that a prospectus reads a handful of rows instead of
 * every revenue of six months.
 *
 * <p>Amounts are sums of the same events, by the same period of {@code earnedAt}
 * (UTC month), that the EMC statement sums ({@code rendan_revenue},
 * {@code rendan_revenue_part}): the two agree to the minor unit once both
 * projections have read the same events.
 *
 * <p>Every row belongs to one EMC, so to one tag slice and one projection instance:
 * no two instances ever write the same row. Each row keeps the sequence number of
 * the last event applied to it, and an event at or below it changes nothing.
 */
public final class ProspectReadModel {
  private static final Logger log = LoggerFactory.getLogger(ProspectReadModel.class);
  public static final String NAME = "emc-prospectus";
  static final String PERIOD = "rendan_prospect_period";
  static final String RECORD = "rendan_prospect_record";

  private ProspectReadModel() {}

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, int emcTagSlices) {
    TaggedProjections.<EmcEvents.Event>exactlyOnce(
        system, jdbc, NAME, "emc-", emcTagSlices, instance -> new Writer(ProjectionHealth.get(system), instance));
  }

  static String period(Instant at) {
    return YearMonth.from(at.atOffset(ZoneOffset.UTC)).toString();
  }

  static final class Writer extends JdbcHandler<EventEnvelope<EmcEvents.Event>, ProjectionJdbc.Session> {
    private final ProjectionHealth health;
    private final String instance;

    Writer(ProjectionHealth health, String instance) {
      this.health = health;
      this.instance = instance;
    }

    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<EmcEvents.Event> envelope) throws Exception {
      try {
        session.withConnection(
            c -> {
              apply(c, envelope.event(), envelope.sequenceNr());
              return null;
            });
        if (health != null) {
          health.applied(instance);
        }
      } catch (Exception e) {
        String event = envelope.persistenceId() + " seq " + envelope.sequenceNr();
        if (health != null && health.failed(instance, event, e)) {
          log.error("projection {} cannot apply {}: {}; retrying, later events of its tag wait", instance, event, e.toString());
        }
        throw e;
      }
    }
  }

  /** The rows one event changes; nothing for an event already applied or of another kind. */
  static void apply(Connection c, EmcEvents.Event event, long seq) throws SQLException {
    if (event instanceof EmcEvents.RevenueShared e) {
      long owner = 0;
      for (RevenueSplit.Part part : e.parts()) {
        if (part.owner()) {
          owner = Math.addExact(owner, part.amountMinor());
        }
      }
      String period = period(e.earnedAt());
      int updated;
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE " + PERIOD + " SET revenue_minor = revenue_minor + ?, revenue_count = revenue_count + 1, "
                  + "owner_minor = owner_minor + ?, currency = ?, last_seq = ? WHERE emc_id = ? AND period = ? AND last_seq < ?")) {
        ps.setLong(1, e.amountMinor());
        ps.setLong(2, owner);
        ps.setString(3, e.currency());
        ps.setLong(4, seq);
        ps.setString(5, e.emcId());
        ps.setString(6, period);
        ps.setLong(7, seq);
        updated = ps.executeUpdate();
      }
      if (updated == 0 && !exists(c, "SELECT 1 FROM " + PERIOD + " WHERE emc_id = ? AND period = ?", e.emcId(), period)) {
        insertPeriod(c, e.emcId(), period, e.currency(), e.amountMinor(), 1, owner, false, 0, 0, seq);
      }
    } else if (event instanceof EmcEvents.PeriodClosed e) {
      int met = (int) e.results().stream().filter(EmcAccounts.TargetResult::met).count();
      int updated;
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE " + PERIOD + " SET closed = TRUE, evaluated = ?, met = ?, last_seq = ? "
                  + "WHERE emc_id = ? AND period = ? AND last_seq < ?")) {
        ps.setInt(1, e.results().size());
        ps.setInt(2, met);
        ps.setLong(3, seq);
        ps.setString(4, e.emcId());
        ps.setString(5, e.period());
        ps.setLong(6, seq);
        updated = ps.executeUpdate();
      }
      if (updated == 0) {
        if (exists(c, "SELECT 1 FROM " + PERIOD + " WHERE emc_id = ? AND period = ?", e.emcId(), e.period())) {
          return; // applied before
        }
        insertPeriod(c, e.emcId(), e.period(), null, 0, 0, 0, true, e.results().size(), met, seq);
      }
      for (EmcAccounts.TargetResult r : e.results()) {
        record(c, r.meId(), e.emcId(), r.met(), seq);
      }
    }
  }

  private static void record(Connection c, String meId, String emcId, boolean met, long seq) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE " + RECORD + " SET periods_met = periods_met + ?, periods_missed = periods_missed + ?, last_seq = ? "
                + "WHERE me_id = ? AND emc_id = ? AND last_seq < ?")) {
      ps.setInt(1, met ? 1 : 0);
      ps.setInt(2, met ? 0 : 1);
      ps.setLong(3, seq);
      ps.setString(4, meId);
      ps.setString(5, emcId);
      ps.setLong(6, seq);
      if (ps.executeUpdate() > 0) {
        return;
      }
    }
    if (exists(c, "SELECT 1 FROM " + RECORD + " WHERE me_id = ? AND emc_id = ?", meId, emcId)) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + RECORD + " (me_id, emc_id, periods_met, periods_missed, last_seq) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, meId);
      ps.setString(2, emcId);
      ps.setInt(3, met ? 1 : 0);
      ps.setInt(4, met ? 0 : 1);
      ps.setLong(5, seq);
      ps.executeUpdate();
    }
  }

  private static void insertPeriod(
      Connection c,
      String emcId,
      String period,
      String currency,
      long revenue,
      int count,
      long owner,
      boolean closed,
      int evaluated,
      int met,
      long seq)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + PERIOD + " (emc_id, period, currency, revenue_minor, revenue_count, owner_minor, closed, "
                + "evaluated, met, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, emcId);
      ps.setString(2, period);
      ps.setString(3, currency);
      ps.setLong(4, revenue);
      ps.setInt(5, count);
      ps.setLong(6, owner);
      ps.setBoolean(7, closed);
      ps.setInt(8, evaluated);
      ps.setInt(9, met);
      ps.setLong(10, seq);
      ps.executeUpdate();
    }
  }

  private static boolean exists(Connection c, String sql, String... keys) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < keys.length; i++) {
        ps.setString(i + 1, keys[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }
}
