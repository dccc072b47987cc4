package io.rendan.prospect;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.protocol.api.v1.Prospectus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The arithmetic of a prospectus: integer, toward zero, the same rows always the same figures. */
@Tag("unit")
class ProspectFiguresTest {
  @Test
  void aShareIsRoundedTowardZeroWithoutOverflow() {
    assertEquals(150, ProspectFigures.share(1_000, 1_500));
    assertEquals(15_000, ProspectFigures.share(100_003, 1_500)); // 15 000.45
    assertEquals(-15_000, ProspectFigures.share(-100_003, 1_500));
    assertEquals(0, ProspectFigures.share(6, 1_500)); // 0.9
    long big = Long.MAX_VALUE - 1;
    assertEquals(big / 10_000 * 9_999 + (big % 10_000) * 9_999 / 10_000, ProspectFigures.share(big, 9_999));
    assertEquals(big, ProspectFigures.share(big, 10_000));
  }

  @Test
  void theMedianOfAnEvenNumberOfPeriodsIsTheLowerMiddleOne() {
    Prospectus.Range r = ProspectFigures.range(new long[] {40, 10, 30, 20});
    assertEquals(10, r.getLowMinor());
    assertEquals(20, r.getMedianMinor());
    assertEquals(40, r.getHighMinor());
    assertEquals(30, ProspectFigures.range(new long[] {50, 30, 10}).getMedianMinor());
    assertEquals(Prospectus.Range.getDefaultInstance(), ProspectFigures.range(new long[0]));
  }

  @Test
  void theTrendIsTheLeastSquaresSlopeTowardZero() {
    assertEquals(0, ProspectFigures.trend(new long[] {500}));
    assertEquals(100, ProspectFigures.trend(new long[] {100, 200, 300}));
    assertEquals(-100, ProspectFigures.trend(new long[] {300, 200, 100}));
    // 0, 10, 0, 10: slope 2.0 ... (4·(0+10+0+30) − 6·20) / (4·14 − 36) = 40 / 20
    assertEquals(2, ProspectFigures.trend(new long[] {0, 10, 0, 10}));
    // 0, 1, 1: slope 0.5 → 0; 1, 0, 0: −0.5 → 0 (toward zero, not down)
    assertEquals(0, ProspectFigures.trend(new long[] {0, 1, 1}));
    assertEquals(0, ProspectFigures.trend(new long[] {1, 0, 0}));
    assertEquals(Long.MAX_VALUE / 2, ProspectFigures.trend(new long[] {0, Long.MAX_VALUE / 2}));
  }

  @Test
  void onlyTheLastSixPeriodsCountAndTheOwnerSeesEachBidBesideWhatTheEmcKeeps() {
    List<ProspectFigures.PeriodRow> rows =
        List.of(
            new ProspectFigures.PeriodRow("2026-07", "EUR", 70_000, 7, 49_000, 2, 2),
            new ProspectFigures.PeriodRow("2026-06", "EUR", 60_000, 6, 42_000, 2, 1),
            new ProspectFigures.PeriodRow("2026-05", null, 0, 0, 0, 2, 0),
            new ProspectFigures.PeriodRow("2026-04", "EUR", 40_001, 4, 28_001, 2, 2),
            new ProspectFigures.PeriodRow("2026-03", "EUR", 30_000, 3, 21_000, 1, 1),
            new ProspectFigures.PeriodRow("2026-02", "EUR", 20_000, 2, 14_000, 1, 0),
            new ProspectFigures.PeriodRow("2026-01", "EUR", 999_999, 1, 1, 9, 9));
    List<ProspectFigures.BidRow> bids =
        List.of(new ProspectFigures.BidRow("b1", "me-1", 1_000, 700), new ProspectFigures.BidRow("b2", "me-2", 2_000, 500));
    Prospectus p =
        ProspectFigures.compute(rows, 1_500, bids, Map.of("me-1", new ProspectFigures.Record(4, 1)), 1).build();
    assertEquals(6, p.getPeriodsCount(), "2026-01 is the seventh: left out");
    assertEquals("EUR", p.getCurrency());
    assertEquals(0, p.getRevenue().getLowMinor());
    assertEquals(30_000, p.getRevenue().getMedianMinor());
    assertEquals(70_000, p.getRevenue().getHighMinor());
    assertEquals(70_000, p.getSpreadMinor());
    assertEquals(10, p.getMembersEvaluated());
    assertEquals(6, p.getMembersMet());
    assertEquals(6_000, p.getAttainmentBps());
    assertEquals(6_000, p.getPeriods(3).getProjectedMinor()); // 40 001 × 15 % = 6 000.15
    assertEquals(4_500, p.getProjected().getMedianMinor());
    assertEquals(1, p.getBidsCount(), "at most maxBids");
    assertEquals(1, p.getBidsOmitted());
    Prospectus.BidView b1 = p.getBids(0);
    assertEquals(4, b1.getPeriodsMet());
    assertEquals(1, b1.getPeriodsMissed());
    assertEquals(700, b1.getRating());
    // the owner keeps its part less 10 % of the revenue: 42 000, 36 000, 0, 24 001, 18 000, 12 000
    assertEquals(0, b1.getEmcKeeps().getLowMinor());
    assertEquals(18_000, b1.getEmcKeeps().getMedianMinor());
    assertEquals(42_000, b1.getEmcKeeps().getHighMinor());
  }

  @Test
  void anEmcWithNoClosedPeriodHasAnEmptyProspectus() {
    Prospectus p = ProspectFigures.compute(List.of(), 1_000, null, Map.of(), 100).build();
    assertEquals(0, p.getPeriodsCount());
    assertEquals(0, p.getAttainmentBps());
    assertEquals(0, p.getTrendMinorPerPeriod());
    assertEquals(1_000, p.getAskBps());
    assertEquals(0, p.getBidsCount());
  }
}
