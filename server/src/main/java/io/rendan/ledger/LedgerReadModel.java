package io.rendan.ledger;

import io.rendan.emc.EmcAccounts;
import io.rendan.emc.EmcEvents;
import io.rendan.emc.RevenueSplit;
import io.rendan.me.MeEntity;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.YearMonth;
import java.time.ZoneOffset;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * The read side of the money: tables fed exactly once (offset stored in the same
 * transaction as the rows) from two journals.
 *
 * <ul>
 *   <li>{@code rendan_ledger}: every ME's ledger entries, from the ME events
 *       (tags {@code me-N}); the entity keeps only balances, the entries live here.
 *   <li>{@code rendan_revenue}, {@code rendan_revenue_part} and
 *       {@code rendan_period_result}: revenue, its split and the target results of
 *       closed periods, from the EMC events (tags {@code emc-N}); revenue passed
 *       on from a seat an EMC holds says where from, and a part whether it went to
 *       such a seat.
 * </ul>
 *
 * Rows are keyed by where they come from (ME and sequence number, EMC and revenue
 * id), so a row is never written twice even if an event is seen again.
 */
public final class LedgerReadModel {
  public static final String LEDGER_NAME = "me-ledger";
  public static final String REVENUE_NAME = "emc-revenue";
  static final String LEDGER = "rendan_ledger";
  static final String REVENUE = "rendan_revenue";
  static final String PART = "rendan_revenue_part";
  static final String RESULT = "rendan_period_result";

  private LedgerReadModel() {}

  public static void start(ActorSystem<?> system, ProjectionJdbc jdbc, int meTagSlices, int emcTagSlices) {
    TaggedProjections.<MeEntity.Event>exactlyOnce(system, jdbc, LEDGER_NAME, "me-", meTagSlices, instance -> new LedgerWriter());
    TaggedProjections.<EmcEvents.Event>exactlyOnce(system, jdbc, REVENUE_NAME, "emc-", emcTagSlices, instance -> new RevenueWriter());
  }

  static String period(java.time.Instant at) {
    return YearMonth.from(at.atOffset(ZoneOffset.UTC)).toString();
  }

  static boolean exists(Connection c, String sql, String... keys) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < keys.length; i++) {
        ps.setString(i + 1, keys[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  static final class LedgerWriter extends JdbcHandler<EventEnvelope<MeEntity.Event>, ProjectionJdbc.Session> {
    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<MeEntity.Event> envelope) throws Exception {
      MeEntity.Event event = envelope.event();
      if (event instanceof MeEntity.HelpRecorded h && h.note().amountMinor() != 0) {
        event = new MeEntity.LedgerCredited(h.meId(), helpCredit(h), h.at());
      }
      if (!(event instanceof MeEntity.LedgerCredited e)) {
        return;
      }
      long seq = envelope.sequenceNr();
      session.withConnection(
          c -> {
            try (PreparedStatement check = c.prepareStatement("SELECT 1 FROM " + LEDGER + " WHERE me_id = ? AND seq = ?")) {
              check.setString(1, e.meId());
              check.setLong(2, seq);
              try (ResultSet rs = check.executeQuery()) {
                if (rs.next()) {
                  return null;
                }
              }
            }
            MeEntity.Credit credit = e.credit();
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO " + LEDGER + " (me_id, seq, emc_id, revenue_id, amount_minor, currency, source, earned_at, "
                        + "period, share_bps, contract_version, owner, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
              ps.setString(1, e.meId());
              ps.setLong(2, seq);
              ps.setString(3, credit.emcId());
              ps.setString(4, credit.revenueId());
              ps.setLong(5, credit.amountMinor());
              ps.setString(6, credit.currency());
              ps.setString(7, credit.source());
              ps.setLong(8, credit.earnedAt().toEpochMilli());
              ps.setString(9, period(credit.earnedAt()));
              ps.setInt(10, credit.shareBps());
              ps.setInt(11, credit.contractVersion());
              ps.setBoolean(12, credit.owner());
              ps.setLong(13, e.at().toEpochMilli());
              ps.executeUpdate();
            }
            return null;
          });
    }
  }

  /** Revenue ids of help entries: never a revenue's (those have no ':'); statements tell them apart by it. */
  public static final String ADVANCE_PREFIX = "advance:";
  public static final String REPAYMENT_PREFIX = "repay:";

  /**
   * A help step that moves money, as a ledger entry: an advance (given or
   * received) or a repayment (paid or received), keyed by its pledge; no share,
   * no contract; earned when it was recorded.
   */
  static MeEntity.Credit helpCredit(MeEntity.HelpRecorded h) {
    MeEntity.HelpNote n = h.note();
    boolean repayment = n.step() == MeEntity.HelpStep.REPAYMENT_PAID || n.step() == MeEntity.HelpStep.REPAYMENT_RECEIVED;
    String id = (repayment ? REPAYMENT_PREFIX : ADVANCE_PREFIX) + n.pledgeId();
    return new MeEntity.Credit(n.emcId(), n.emcSeq(), id, n.amountMinor(), n.currency(), repayment ? "help repayment" : "help advance", n.earnedAt(), 0, 0, false);
  }

  static final class RevenueWriter extends JdbcHandler<EventEnvelope<EmcEvents.Event>, ProjectionJdbc.Session> {
    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<EmcEvents.Event> envelope) throws Exception {
      EmcEvents.Event event = envelope.event();
      session.withConnection(
          c -> {
            if (event instanceof EmcEvents.RevenueShared e) {
              writeRevenue(c, e);
            } else if (event instanceof EmcEvents.PeriodClosed e) {
              writeResults(c, e);
            }
            return null;
          });
    }

    private static void writeRevenue(Connection c, EmcEvents.RevenueShared e) throws SQLException {
      if (exists(c, "SELECT 1 FROM " + REVENUE + " WHERE emc_id = ? AND revenue_id = ?", e.emcId(), e.revenueId())) {
        return;
      }
      String period = period(e.earnedAt());
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + REVENUE + " (emc_id, revenue_id, amount_minor, currency, source, earned_at, period, units, "
                  + "refund_of, recorded_at, passed_from_emc_id, passed_from_revenue_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, e.emcId());
        ps.setString(2, e.revenueId());
        ps.setLong(3, e.amountMinor());
        ps.setString(4, e.currency());
        ps.setString(5, e.source());
        ps.setLong(6, e.earnedAt().toEpochMilli());
        ps.setString(7, period);
        ps.setLong(8, e.units());
        ps.setString(9, e.refundOf());
        ps.setLong(10, e.at().toEpochMilli());
        ps.setString(11, e.passedFrom() == null ? null : e.passedFrom().emcId());
        ps.setString(12, e.passedFrom() == null ? null : e.passedFrom().revenueId());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + PART + " (emc_id, revenue_id, me_id, amount_minor, currency, period, share_bps, "
                  + "contract_version, owner, emc_member) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (RevenueSplit.Part part : e.parts()) {
          ps.setString(1, e.emcId());
          ps.setString(2, e.revenueId());
          ps.setString(3, part.meId());
          ps.setLong(4, part.amountMinor());
          ps.setString(5, e.currency());
          ps.setString(6, period);
          ps.setInt(7, part.shareBps());
          ps.setInt(8, part.contractVersion());
          ps.setBoolean(9, part.owner());
          ps.setBoolean(10, part.emcMember());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }

    private static void writeResults(Connection c, EmcEvents.PeriodClosed e) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + RESULT + " (emc_id, period, me_id, metric, target, achieved, met, missed_in_row, at_risk, "
                  + "contract_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (EmcAccounts.TargetResult r : e.results()) {
          if (exists(c, "SELECT 1 FROM " + RESULT + " WHERE emc_id = ? AND period = ? AND me_id = ?", e.emcId(), e.period(), r.meId())) {
            continue;
          }
          ps.setString(1, e.emcId());
          ps.setString(2, e.period());
          ps.setString(3, r.meId());
          ps.setString(4, r.metric().name());
          ps.setLong(5, r.target());
          ps.setLong(6, r.achieved());
          ps.setBoolean(7, r.met());
          ps.setInt(8, r.missedInRow());
          ps.setBoolean(9, r.atRisk());
          ps.setInt(10, r.contractVersion());
          ps.executeUpdate();
        }
      }
    }
  }
}
