package io.rendan.prospect;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.cluster.DatabaseSchema;
import io.rendan.emc.EmcAccounts;
import io.rendan.emc.EmcEvents;
import io.rendan.emc.RevenueSplit;
import io.rendan.projection.ProjectionJdbc;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The read model sums revenue and the owner's part by the month revenue was
 * earned, marks a period closed with its attainment, and keeps each member's
 * record; an event applied again changes nothing.
 */
@Tag("unit")
class ProspectReadModelTest {
  private static final Instant DEC = Instant.parse("2026-12-10T10:00:00Z");
  private static final Instant JAN = Instant.parse("2027-01-10T10:00:00Z");

  @Test
  void revenueAndClosedPeriodsAreSummedOnceByTheMonthTheyWereEarned() throws Exception {
    try (ProjectionJdbc jdbc = jdbc("sums")) {
      List<Object[]> journal = new ArrayList<>();
      journal.add(new Object[] {"e1", 1L, revenue("e1", "r1", 1_001, DEC)});
      journal.add(new Object[] {"e1", 2L, revenue("e1", "r2", 2_000, JAN)});
      journal.add(new Object[] {"e1", 3L, revenue("e1", "r3", 999, DEC.plusSeconds(3_600))});
      journal.add(new Object[] {"e1", 4L, closed("e1", "2026-12", true, false)});
      journal.add(new Object[] {"e2", 1L, closed("e2", "2026-12", true, true)});
      journal.add(new Object[] {"e1", 5L, closed("e1", "2027-01", false, true)});
      for (Object[] e : journal) {
        jdbc.execute(c -> ProspectReadModel.apply(c, (EmcEvents.Event) e[2], (Long) e[1]));
      }
      // every event again, as a replay would: nothing changes
      for (Object[] e : journal) {
        jdbc.execute(c -> ProspectReadModel.apply(c, (EmcEvents.Event) e[2], (Long) e[1]));
      }
      List<ProspectFigures.PeriodRow> e1 = jdbc.query(c -> ProspectApi.periods(c, "e1"));
      assertEquals(
          List.of(
              new ProspectFigures.PeriodRow("2027-01", "EUR", 2_000, 1, 1_400, 2, 1),
              new ProspectFigures.PeriodRow("2026-12", "EUR", 2_000, 2, 1_400, 2, 1)),
          e1);
      List<ProspectFigures.PeriodRow> e2 = jdbc.query(c -> ProspectApi.periods(c, "e2"));
      assertEquals(List.of(new ProspectFigures.PeriodRow("2026-12", null, 0, 0, 0, 2, 2)), e2);
      Map<String, int[]> records =
          jdbc.query(
              c -> {
                Map<String, int[]> all = new java.util.TreeMap<>();
                try (var rs = c.createStatement().executeQuery("SELECT me_id, SUM(periods_met), SUM(periods_missed) FROM rendan_prospect_record GROUP BY me_id")) {
                  while (rs.next()) {
                    all.put(rs.getString(1), new int[] {rs.getInt(2), rs.getInt(3)});
                  }
                }
                return all;
              });
      // a met in December in both EMCs and missed January in e1; b missed December in e1 only
      assertArrayEquals(new int[] {2, 1}, records.get("a"));
      assertArrayEquals(new int[] {2, 1}, records.get("b"));
    }
  }

  @Test
  void anOpenPeriodIsNotAClosedOne() throws Exception {
    try (ProjectionJdbc jdbc = jdbc("open")) {
      jdbc.execute(c -> ProspectReadModel.apply(c, revenue("e1", "r1", 500, DEC), 1));
      assertEquals(List.of(), jdbc.query(c -> ProspectApi.periods(c, "e1")));
    }
  }

  /** A revenue split 70 / 30 between owner "o" and member "m", by the split rule (1 001: 701 / 300; 999: 699 / 300). */
  private static EmcEvents.RevenueShared revenue(String emcId, String revenueId, long amount, Instant earned) {
    List<RevenueSplit.Part> parts =
        RevenueSplit.split(amount, List.of(new RevenueSplit.Party("o", 7_000, 0, true), new RevenueSplit.Party("m", 3_000, 1, false)));
    return new EmcEvents.RevenueShared(emcId, revenueId, amount, "EUR", "cycle", earned, 1, null, null, parts, earned, earned.minusSeconds(86_400 * 90));
  }

  /** Members "a" and "b" evaluated: a met; b met or missed as told. */
  private static EmcEvents.PeriodClosed closed(String emcId, String period, boolean aMet, boolean bMet) {
    return new EmcEvents.PeriodClosed(
        emcId,
        period,
        List.of(
            new EmcAccounts.TargetResult("a", 1, io.rendan.vocabulary.Metric.CYCLES, 10, aMet ? 10 : 0, aMet, aMet ? 0 : 1, false),
            new EmcAccounts.TargetResult("b", 1, io.rendan.vocabulary.Metric.CYCLES, 10, bMet ? 10 : 0, bMet, bMet ? 0 : 1, false)),
        JAN);
  }

  private static io.rendan.me.MeEntity.HelpRecorded help(String meId, io.rendan.me.MeEntity.HelpStep step, long emcSeq) {
    return new io.rendan.me.MeEntity.HelpRecorded(
        meId, new io.rendan.me.MeEntity.HelpNote("e1", emcSeq, "case-1", "pledge-1", step, 0, "EUR", DEC), DEC);
  }

  @Test
  void theOwnersViewOfABidShowsTheBiddersHelpGivenBesidePeriodsMetCountedOnce() throws Exception {
    try (ProjectionJdbc jdbc = jdbc("help")) {
      List<Object[]> journal = new ArrayList<>();
      journal.add(new Object[] {1L, help("a", io.rendan.me.MeEntity.HelpStep.PLEDGE_GIVEN, 1)});
      journal.add(new Object[] {2L, help("a", io.rendan.me.MeEntity.HelpStep.DELIVERED_GIVEN, 2)});
      journal.add(new Object[] {3L, help("a", io.rendan.me.MeEntity.HelpStep.DELIVERED_GIVEN, 3)});
      journal.add(new Object[] {4L, help("a", io.rendan.me.MeEntity.HelpStep.RECOVERY_HELPED, 4)});
      journal.add(new Object[] {1L, help("c", io.rendan.me.MeEntity.HelpStep.DELIVERED_RECEIVED, 2)}); // received, not given
      journal.add(new Object[] {2L, help("c", io.rendan.me.MeEntity.HelpStep.CASE_RECOVERED, 5)}); // its own case
      for (Object[] e : journal) {
        jdbc.execute(c -> HelpGivenReadModel.apply(c, (io.rendan.me.MeEntity.Event) e[1], (Long) e[0]));
      }
      for (Object[] e : journal) { // delivered again after a crash: counted once
        jdbc.execute(c -> HelpGivenReadModel.apply(c, (io.rendan.me.MeEntity.Event) e[1], (Long) e[0]));
      }
      jdbc.execute(c -> ProspectReadModel.apply(c, closed("e1", "2026-12", true, false), 1));
      List<ProspectFigures.BidRow> bids =
          List.of(new ProspectFigures.BidRow("bid-a", "a", 1_000, 700), new ProspectFigures.BidRow("bid-b", "b", 1_500, 600),
              new ProspectFigures.BidRow("bid-c", "c", 2_000, 500));
      Map<String, ProspectFigures.Record> records = jdbc.query(c -> ProspectApi.records(c, bids, 10));
      assertEquals(new ProspectFigures.Record(1, 0, 2, 1), records.get("a"), "periods met, pledges delivered, recoveries helped");
      assertEquals(new ProspectFigures.Record(0, 1, 0, 0), records.get("b"));
      assertNull(records.get("c"), "help received and its own recovered case are not help given");
      var view =
          ProspectFigures.compute(List.of(), 1_000, bids, records, 10).build().getBidsList();
      assertEquals(2, view.get(0).getHelpDelivered());
      assertEquals(1, view.get(0).getRecoveriesHelped());
      assertEquals(1, view.get(0).getPeriodsMet());
      assertEquals(0, view.get(2).getHelpDelivered());
    }
  }

  /** A database of its own, with the node's schema (the migrations). */
  private static ProjectionJdbc jdbc(String name) throws Exception {
    Config config =
        ConfigFactory.parseString(
            "pekko-persistence-jdbc.shared-databases.slick.db { url = \"jdbc:h2:mem:prospect-" + name + ";DB_CLOSE_DELAY=-1\", "
                + "user = sa, password = \"\", driver = org.h2.Driver, connectionTimeout = 5s }\n"
                + "rendan.projection.pool-size = 1\nrendan.projection.read-pool-size = 1");
    ProjectionJdbc jdbc = ProjectionJdbc.start(null, config);
    DatabaseSchema.migrate(config, false);
    return jdbc;
  }
}
