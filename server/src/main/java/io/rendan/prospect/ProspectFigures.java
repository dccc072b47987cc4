package io.rendan.prospect;

import io.rendan.protocol.api.v1.Prospectus;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The arithmetic of a prospectus, pure: from closed periods (as the read model
 * keeps them) and an ask, the ranges, trend, attainment and projections. Integer
 * arithmetic only, every rounding toward zero, so the same rows always give the
 * same figures, to the minor unit.
 */
public final class ProspectFigures {
  /** Most periods a prospectus looks back on. */
  public static final int PERIODS = 6;

  static final int TOTAL_BPS = 10_000;

  /** One closed period, as {@code rendan_prospect_period} keeps it. */
  public record PeriodRow(String period, String currency, long revenueMinor, int revenueCount, long ownerKeptMinor, int evaluated, int met) {}

  /** One active bid the owner weighs; {@code bidderKind} "emc" for an EMC bidding as one unit, empty for an ME. */
  public record BidRow(String bidId, String meId, int askBps, int rating, String bidderKind) {
    public BidRow(String bidId, String meId, int askBps, int rating) {
      this(bidId, meId, askBps, rating, "");
    }
  }

  /**
   * A bidder's record in every EMC: closed periods met and missed, pledges of help
   * it delivered, and help cases that recovered with its help.
   */
  public record Record(int met, int missed, long helpDelivered, long recoveriesHelped) {
    static final Record NONE = new Record(0, 0, 0, 0);

    public Record(int met, int missed) {
      this(met, missed, 0, 0);
    }

    Record withHelp(long delivered, long recoveries) {
      return new Record(met, missed, delivered, recoveries);
    }
  }

  private ProspectFigures() {}

  /** {@code amount × bps / 10 000}, rounded toward zero, without overflow. */
  public static long share(long amountMinor, int bps) {
    long magnitude = Math.absExact(amountMinor);
    long part = (magnitude / TOTAL_BPS) * bps + (magnitude % TOTAL_BPS) * bps / TOTAL_BPS;
    return amountMinor < 0 ? -part : part;
  }

  /** Low, lower median and high; zeros for no values. */
  public static Prospectus.Range range(long[] values) {
    if (values.length == 0) {
      return Prospectus.Range.getDefaultInstance();
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return Prospectus.Range.newBuilder()
        .setLowMinor(sorted[0])
        .setMedianMinor(sorted[(sorted.length - 1) / 2])
        .setHighMinor(sorted[sorted.length - 1])
        .build();
  }

  /** Least-squares slope of values taken oldest first, per step, rounded toward zero; 0 for fewer than two. */
  public static long trend(long[] oldestFirst) {
    int n = oldestFirst.length;
    if (n < 2) {
      return 0;
    }
    BigInteger sumX = BigInteger.ZERO;
    BigInteger sumY = BigInteger.ZERO;
    BigInteger sumXY = BigInteger.ZERO;
    BigInteger sumXX = BigInteger.ZERO;
    for (int i = 0; i < n; i++) {
      BigInteger x = BigInteger.valueOf(i);
      BigInteger y = BigInteger.valueOf(oldestFirst[i]);
      sumX = sumX.add(x);
      sumY = sumY.add(y);
      sumXY = sumXY.add(x.multiply(y));
      sumXX = sumXX.add(x.multiply(x));
    }
    BigInteger count = BigInteger.valueOf(n);
    BigInteger numerator = count.multiply(sumXY).subtract(sumX.multiply(sumY));
    BigInteger denominator = count.multiply(sumXX).subtract(sumX.multiply(sumX));
    return numerator.divide(denominator).longValueExact(); // divide truncates toward zero
  }

  /**
   * The prospectus of a call over {@code newestFirst} (at most {@link #PERIODS} are
   * used) for {@code askBps}; with {@code bids} (the owner's view) each bid beside
   * what the owner would keep and its bidder's record.
   */
  public static Prospectus.Builder compute(
      List<PeriodRow> newestFirst, int askBps, List<BidRow> bids, Map<String, Record> records, int maxBids) {
    List<PeriodRow> rows = newestFirst.subList(0, Math.min(PERIODS, newestFirst.size()));
    Prospectus.Builder b = Prospectus.newBuilder().setAskBps(askBps);
    int n = rows.size();
    long[] revenue = new long[n];
    long[] projected = new long[n];
    long[] oldestFirst = new long[n];
    int evaluated = 0;
    int met = 0;
    for (int i = 0; i < n; i++) {
      PeriodRow row = rows.get(i);
      revenue[i] = row.revenueMinor();
      oldestFirst[n - 1 - i] = row.revenueMinor();
      projected[i] = share(row.revenueMinor(), askBps);
      evaluated += row.evaluated();
      met += row.met();
      if (b.getCurrency().isEmpty() && row.currency() != null) {
        b.setCurrency(row.currency());
      }
      b.addPeriods(
          Prospectus.Period.newBuilder()
              .setPeriod(row.period())
              .setRevenueMinor(row.revenueMinor())
              .setRevenueCount(row.revenueCount())
              .setOwnerKeptMinor(row.ownerKeptMinor())
              .setMembersEvaluated(row.evaluated())
              .setMembersMet(row.met())
              .setProjectedMinor(projected[i]));
    }
    Prospectus.Range revenueRange = range(revenue);
    b.setRevenue(revenueRange)
        .setTrendMinorPerPeriod(trend(oldestFirst))
        .setSpreadMinor(Math.subtractExact(revenueRange.getHighMinor(), revenueRange.getLowMinor()))
        .setMembersEvaluated(evaluated)
        .setMembersMet(met)
        .setAttainmentBps(evaluated == 0 ? 0 : (int) ((long) met * TOTAL_BPS / evaluated))
        .setProjected(range(projected));
    if (bids != null) {
      List<BidRow> shown = bids.subList(0, Math.min(maxBids, bids.size()));
      for (BidRow bid : shown) {
        long[] keeps = new long[n];
        for (int i = 0; i < n; i++) {
          keeps[i] = Math.subtractExact(rows.get(i).ownerKeptMinor(), share(rows.get(i).revenueMinor(), bid.askBps()));
        }
        Record record = records.getOrDefault(bid.meId(), Record.NONE);
        b.addBids(
            Prospectus.BidView.newBuilder()
                .setBidId(bid.bidId())
                .setMeId(bid.meId())
                .setBidderKind(bid.bidderKind())
                .setAskShareBps(bid.askBps())
                .setEmcKeeps(range(keeps))
                .setRating(bid.rating())
                .setPeriodsMet(record.met())
                .setPeriodsMissed(record.missed())
                .setHelpDelivered(record.helpDelivered())
                .setRecoveriesHelped(record.recoveriesHelped()));
      }
      b.setBidsOmitted(bids.size() - shown.size());
    }
    return b;
  }
}
