package io.rendan.ledger;

import com.google.protobuf.Timestamp;
import io.rendan.auth.Caller;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcChecks;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.protocol.api.v1.Balance;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.LedgerEntry;
import io.rendan.protocol.api.v1.LedgerPage;
import io.rendan.protocol.api.v1.MeStatement;
import io.rendan.protocol.api.v1.TargetResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Ledgers, win-win value statements and the books check, read from the tables of
 * {@link LedgerReadModel} (and, for balances, from the ME entities).
 */
public final class LedgerApi {
  private final ProjectionJdbc jdbc;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final int maxListed;
  private final int meTagSlices;
  private final int emcTagSlices;

  private LedgerApi(
      ProjectionJdbc jdbc, MeApi meApi, EmcApi emcApi, int maxListed, int meTagSlices, int emcTagSlices) {
    this.meTagSlices = meTagSlices;
    this.emcTagSlices = emcTagSlices;
    this.jdbc = jdbc;
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.maxListed = maxListed;
  }

  public static LedgerApi start(
      ActorSystem<?> system, ProjectionJdbc jdbc, MeApi meApi, EmcApi emcApi, int meTagSlices, int emcTagSlices, int maxListed)
      throws SQLException {
    LedgerReadModel.start(system, jdbc, meTagSlices, emcTagSlices);
    return new LedgerApi(jdbc, meApi, emcApi, maxListed, meTagSlices, emcTagSlices);
  }

  /** An ME's ledger, newest first; {@code after} is the seq of the last entry of the previous page. */
  public CompletionStage<LedgerPage> ledger(Caller caller, String meId, int limit, String after) {
    int size = limit <= 0 ? maxListed : Math.min(limit, maxListed);
    long before = parseAfter(after);
    return ownerOrAdmin(caller, meId)
        .thenCompose(
            ok ->
                query(
                    c -> {
                      LedgerPage.Builder page = LedgerPage.newBuilder();
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT l.seq, l.emc_id, l.revenue_id, l.amount_minor, l.currency, l.source, l.earned_at, l.share_bps, "
                                  + "l.contract_version, l.owner, l.recorded_at, r.passed_from_emc_id, r.passed_from_revenue_id FROM "
                                  + LedgerReadModel.LEDGER + " l LEFT JOIN " + LedgerReadModel.REVENUE
                                  + " r ON r.emc_id = l.emc_id AND r.revenue_id = l.revenue_id"
                                  + " WHERE l.me_id = ? AND l.seq < ? ORDER BY l.seq DESC LIMIT ?")) {
                        ps.setString(1, meId);
                        ps.setLong(2, before);
                        ps.setInt(3, size + 1);
                        try (ResultSet rs = ps.executeQuery()) {
                          while (rs.next()) {
                            page.addEntries(
                                LedgerEntry.newBuilder()
                                    .setMeId(meId)
                                    .setSeq(rs.getLong(1))
                                    .setEmcId(rs.getString(2))
                                    .setRevenueId(rs.getString(3))
                                    .setAmountMinor(rs.getLong(4))
                                    .setCurrency(rs.getString(5))
                                    .setSource(rs.getString(6))
                                    .setEarnedAt(ts(rs.getLong(7)))
                                    .setShareBps(rs.getInt(8))
                                    .setContractVersion(rs.getInt(9))
                                    .setOwner(rs.getBoolean(10))
                                    .setRecordedAt(ts(rs.getLong(11)))
                                    .setPassedFromEmcId(orEmpty(rs.getString(12)))
                                    .setPassedFromRevenueId(orEmpty(rs.getString(13))));
                          }
                        }
                      }
                      if (page.getEntriesCount() > size) {
                        page.removeEntries(size);
                        page.setNextPage(Long.toString(page.getEntries(size - 1).getSeq()));
                      }
                      return page.build();
                    }));
  }

  public CompletionStage<MeStatement> meStatement(Caller caller, String meId, String period) {
    String month = EmcChecks.checkPeriod(period);
    return ownerOrAdmin(caller, meId)
        .thenCompose(
            ok ->
                query(
                    c -> {
                      Map<String, MeStatement.FromEmc.Builder> byEmc = new TreeMap<>();
                      Map<String, Long> totals = new TreeMap<>();
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT emc_id, currency, SUM(amount_minor), COUNT(*), "
                                  + "SUM(CASE WHEN revenue_id LIKE 'advance:%' THEN amount_minor ELSE 0 END), "
                                  + "SUM(CASE WHEN revenue_id LIKE 'repay:%' THEN amount_minor ELSE 0 END) FROM " + LedgerReadModel.LEDGER
                                  + " WHERE me_id = ? AND period = ? GROUP BY emc_id, currency")) {
                        ps.setString(1, meId);
                        ps.setString(2, month);
                        try (ResultSet rs = ps.executeQuery()) {
                          while (rs.next()) {
                            byEmc.put(
                                rs.getString(1),
                                MeStatement.FromEmc.newBuilder()
                                    .setEmcId(rs.getString(1))
                                    .setCurrency(rs.getString(2))
                                    // help moves money between members: shown apart from what was earned
                                    .setEarnedMinor(rs.getLong(3) - rs.getLong(5) - rs.getLong(6))
                                    .setAdvancesMinor(rs.getLong(5))
                                    .setRepaymentsMinor(rs.getLong(6))
                                    .setEntries(rs.getInt(4)));
                            totals.merge(rs.getString(2), rs.getLong(3), Math::addExact);
                          }
                        }
                      }
                      passedFrom(c, meId, month, byEmc);
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT emc_id, metric, target, achieved, met, missed_in_row, at_risk, contract_version FROM "
                                  + LedgerReadModel.RESULT + " WHERE me_id = ? AND period = ?")) {
                        ps.setString(1, meId);
                        ps.setString(2, month);
                        try (ResultSet rs = ps.executeQuery()) {
                          while (rs.next()) {
                            byEmc.computeIfAbsent(rs.getString(1), id -> MeStatement.FromEmc.newBuilder().setEmcId(id))
                                .setTarget(result(meId, rs, 2));
                          }
                        }
                      }
                      MeStatement.Builder b = MeStatement.newBuilder().setMeId(meId).setPeriod(month);
                      byEmc.values().forEach(b::addEmcs);
                      totals.forEach((cur, amount) -> b.addTotals(Balance.newBuilder().setCurrency(cur).setAmountMinor(amount)));
                      return b.build();
                    }));
  }

  public CompletionStage<EmcStatement> emcStatement(Caller caller, String emcId, String period) {
    String month = EmcChecks.checkPeriod(period);
    return emcApi
        .get(caller, emcId)
        .thenCompose(
            emc ->
                query(
                    c -> {
                      EmcStatement.Builder b =
                          EmcStatement.newBuilder()
                              .setEmcId(emcId)
                              .setPeriod(month)
                              .setCurrency(emc.getCurrency())
                              .setClosed(!emc.getClosedThrough().isEmpty() && month.compareTo(emc.getClosedThrough()) <= 0);
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*), "
                                  + "COALESCE(SUM(CASE WHEN passed_from_emc_id IS NULL THEN 0 ELSE amount_minor END), 0) FROM "
                                  + LedgerReadModel.REVENUE + " WHERE emc_id = ? AND period = ?")) {
                        ps.setString(1, emcId);
                        ps.setString(2, month);
                        try (ResultSet rs = ps.executeQuery()) {
                          rs.next();
                          b.setRevenueMinor(rs.getLong(1)).setRevenueCount(rs.getInt(2)).setPassedOnMinor(rs.getLong(3));
                        }
                      }
                      Map<String, EmcStatement.Share.Builder> shares = new LinkedHashMap<>();
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT me_id, MAX(CASE WHEN owner THEN 1 ELSE 0 END), SUM(amount_minor), "
                                  + "MAX(CASE WHEN emc_member THEN 1 ELSE 0 END) FROM " + LedgerReadModel.PART
                                  + " WHERE emc_id = ? AND period = ? GROUP BY me_id ORDER BY me_id")) {
                        ps.setString(1, emcId);
                        ps.setString(2, month);
                        try (ResultSet rs = ps.executeQuery()) {
                          while (rs.next()) {
                            shares.put(
                                rs.getString(1),
                                EmcStatement.Share.newBuilder()
                                    .setMeId(rs.getString(1))
                                    .setOwner(rs.getInt(2) == 1)
                                    .setAmountMinor(rs.getLong(3))
                                    .setMemberKind(rs.getInt(4) == 1 ? "emc" : ""));
                          }
                        }
                      }
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT me_id, metric, target, achieved, met, missed_in_row, at_risk, contract_version FROM "
                                  + LedgerReadModel.RESULT + " WHERE emc_id = ? AND period = ? ORDER BY me_id")) {
                        ps.setString(1, emcId);
                        ps.setString(2, month);
                        try (ResultSet rs = ps.executeQuery()) {
                          while (rs.next()) {
                            String meId = rs.getString(1);
                            shares.computeIfAbsent(meId, id -> EmcStatement.Share.newBuilder().setMeId(id)).setTarget(result(meId, rs, 2));
                          }
                        }
                      }
                      shares.values().forEach(b::addShares);
                      return b.build();
                    }));
  }

  /**
   * The operator's check: all revenue = all parts = all ledger credits, per
   * currency; and every ME's balance (asked of the entity) = the sum of its
   * ledger entries. It says how far each read model it relies on had read the
   * journal ({@code readModels}, {@code complete}), and is {@code balanced} only when
   * all of them had caught up and nothing differs: read while revenue flows, a
   * check that saw no difference but is not complete says nothing yet.
   */
  public CompletionStage<BooksReport> books(Caller caller) {
    if (!caller.isAdmin()) {
      throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "only admins may check the books");
    }
    record Sums(
        Map<String, long[]> totals,
        Map<String, Map<String, Long>> ledgerByMe,
        List<BooksReport.ReadModel> readModels,
        List<BooksReport.Difference> parked) {}
    return query(
            c -> {
              // offsets first, journal heads last: a read model whose offset reached the head had
              // stored all it read before the sums below were read
              Map<String, Long> offsets = offsets(c);
              Map<String, long[]> totals = new TreeMap<>();
              // revenue passed on to a seat held by an EMC is counted where it was first recorded,
              // and its parts where they reach MEs, however deep
              sum(c, "SELECT currency, SUM(amount_minor) FROM " + LedgerReadModel.REVENUE + " WHERE passed_from_emc_id IS NULL GROUP BY currency", totals, 0);
              sum(c, "SELECT currency, SUM(amount_minor) FROM " + LedgerReadModel.PART + " WHERE NOT emc_member GROUP BY currency", totals, 1);
              sum(c, "SELECT currency, SUM(amount_minor) FROM " + LedgerReadModel.LEDGER + " GROUP BY currency", totals, 2);
              sum(c, "SELECT currency, SUM(amount_minor) FROM " + LedgerReadModel.PART + " WHERE emc_member GROUP BY currency", totals, 3);
              sum(c, "SELECT currency, SUM(amount_minor) FROM " + LedgerReadModel.REVENUE + " WHERE passed_from_emc_id IS NOT NULL GROUP BY currency", totals, 4);
              Map<String, Map<String, Long>> byMe = new TreeMap<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT me_id, currency, SUM(amount_minor) FROM " + LedgerReadModel.LEDGER + " GROUP BY me_id, currency");
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  byMe.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3));
                }
              }
              List<BooksReport.Difference> parked = parkedPassOns(c);
              return new Sums(totals, byMe, progress(offsets, heads(c)), parked);
            })
        .thenCompose(
            sums -> {
              BooksReport.Builder report = BooksReport.newBuilder();
              sums.totals()
                  .forEach(
                      (currency, t) -> {
                        report.addTotals(
                            BooksReport.Total.newBuilder()
                                .setCurrency(currency)
                                .setRevenueMinor(t[0])
                                .setPartsMinor(t[1])
                                .setCreditsMinor(t[2])
                                .setSeatPartsMinor(t[3])
                                .setPassedOnMinor(t[4]));
                        if (t[3] != t[4]) {
                          report.addDifferences(difference("passed-on-vs-seat-parts", "", currency, t[3], t[4]));
                        }
                        if (t[0] != t[1]) {
                          report.addDifferences(difference("parts-vs-revenue", "", currency, t[0], t[1]));
                        }
                        if (t[1] != t[2]) {
                          report.addDifferences(difference("credits-vs-parts", "", currency, t[1], t[2]));
                        }
                      });
              sums.parked().forEach(report::addDifferences);
              List<CompletableFuture<Void>> checks = new ArrayList<>();
              List<BooksReport.Difference> found = java.util.Collections.synchronizedList(new ArrayList<>());
              sums.ledgerByMe()
                  .forEach(
                      (meId, entries) ->
                          checks.add(
                              meApi
                                  .current(meId)
                                  .thenAccept(
                                      me -> {
                                        java.util.Set<String> currencies = new java.util.TreeSet<>(entries.keySet());
                                        currencies.addAll(me.balances().keySet());
                                        for (String currency : currencies) {
                                          long expected = entries.getOrDefault(currency, 0L);
                                          long actual = me.balances().getOrDefault(currency, 0L);
                                          if (expected != actual) {
                                            found.add(difference("balance-vs-entries", meId, currency, expected, actual));
                                          }
                                        }
                                      })
                                  .toCompletableFuture()));
              return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
                  .thenApply(
                      done -> {
                        found.stream()
                            .sorted(java.util.Comparator.comparing(BooksReport.Difference::getMeId).thenComparing(BooksReport.Difference::getCurrency))
                            .forEach(report::addDifferences);
                        boolean complete = sums.readModels().stream().allMatch(BooksReport.ReadModel::getCaughtUp);
                        return report
                            .setMesChecked(sums.ledgerByMe().size())
                            .addAllReadModels(sums.readModels())
                            .setComplete(complete)
                            .setBalanced(complete && report.getDifferencesCount() == 0)
                            .build();
                      });
            });
  }

  /** The read models the check relies on, with the tags they follow. */
  private List<String[]> readModels() {
    List<String[]> all = new ArrayList<>();
    for (int i = 0; i < meTagSlices; i++) {
      all.add(new String[] {LedgerReadModel.LEDGER_NAME, "me-" + i});
    }
    for (int i = 0; i < emcTagSlices; i++) {
      all.add(new String[] {LedgerReadModel.REVENUE_NAME, "emc-" + i});
      all.add(new String[] {io.rendan.emc.MembershipDelivery.NAME, "emc-" + i});
      all.add(new String[] {io.rendan.emc.RevenuePassOn.NAME, "emc-" + i});
    }
    return all;
  }

  /** Stored offsets of the projections, by "name/tag". */
  private static Map<String, Long> offsets(Connection c) throws SQLException {
    Map<String, Long> offsets = new TreeMap<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT \"projection_name\", \"projection_key\", \"current_offset\" FROM \"pekko_projection_offset_store\"");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        try {
          offsets.put(rs.getString(1) + "/" + rs.getString(2), Long.parseLong(rs.getString(3)));
        } catch (NumberFormatException notASequence) {
          // another kind of offset: not one of ours
        }
      }
    }
    return offsets;
  }

  /** The ordering of the last event of each tag in the journal. */
  private static Map<String, Long> heads(Connection c) throws SQLException {
    Map<String, Long> heads = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT \"tag\", MAX(\"event_id\") FROM \"event_tag\" GROUP BY \"tag\"");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        heads.put(rs.getString(1), rs.getLong(2));
      }
    }
    return heads;
  }

  private List<BooksReport.ReadModel> progress(Map<String, Long> offsets, Map<String, Long> heads) {
    List<BooksReport.ReadModel> all = new ArrayList<>();
    for (String[] model : readModels()) {
      long read = offsets.getOrDefault(model[0] + "/" + model[1], 0L);
      long head = heads.getOrDefault(model[1], 0L);
      all.add(
          BooksReport.ReadModel.newBuilder()
              .setProjection(model[0])
              .setTag(model[1])
              .setReadThrough(read)
              .setJournalHead(head)
              .setCaughtUp(read >= head)
              .build());
    }
    return all;
  }

  private static BooksReport.Difference difference(String what, String meId, String currency, long expected, long actual) {
    return BooksReport.Difference.newBuilder()
        .setWhat(what)
        .setMeId(meId)
        .setCurrency(currency)
        .setExpectedMinor(expected)
        .setActualMinor(actual)
        .build();
  }

  /**
   * Revenue a member EMC refused to take as passed on and that waits, parked, to
   * be tried again (emc/PassOnParking): one {@code passed-on-parked} difference
   * per member EMC (in {@code meId}) and currency, expected the parked amount.
   */
  private static List<BooksReport.Difference> parkedPassOns(Connection c) throws SQLException {
    List<BooksReport.Difference> parked = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT seat_emc_id, currency, SUM(amount_minor) FROM " + io.rendan.emc.PassOnParking.TABLE
                    + " GROUP BY seat_emc_id, currency ORDER BY seat_emc_id, currency");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        parked.add(difference("passed-on-parked", rs.getString(1), rs.getString(2), rs.getLong(3), 0));
      }
    }
    return parked;
  }

  private static void sum(Connection c, String sql, Map<String, long[]> totals, int column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        totals.computeIfAbsent(rs.getString(1), k -> new long[5])[column] = rs.getLong(2);
      }
    }
  }

  /**
   * Where the ME's share of revenue passed on to an EMC came from: per outer EMC
   * and revenue id, largest first, at most {@code maxListed} per EMC.
   */
  private void passedFrom(Connection c, String meId, String month, Map<String, MeStatement.FromEmc.Builder> byEmc) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT l.emc_id, r.passed_from_emc_id, r.passed_from_revenue_id, SUM(l.amount_minor) AS amount FROM "
                + LedgerReadModel.LEDGER + " l JOIN " + LedgerReadModel.REVENUE + " r ON r.emc_id = l.emc_id AND r.revenue_id = l.revenue_id"
                + " WHERE l.me_id = ? AND l.period = ? AND r.passed_from_emc_id IS NOT NULL"
                + " GROUP BY l.emc_id, r.passed_from_emc_id, r.passed_from_revenue_id"
                + " ORDER BY l.emc_id, amount DESC, r.passed_from_emc_id, r.passed_from_revenue_id")) {
      ps.setString(1, meId);
      ps.setString(2, month);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          MeStatement.FromEmc.Builder from = byEmc.get(rs.getString(1));
          if (from == null) {
            continue;
          }
          if (from.getPassedFromCount() >= maxListed) {
            from.setPassedFromTruncated(true);
            continue;
          }
          from.addPassedFrom(
              MeStatement.PassedFrom.newBuilder().setEmcId(rs.getString(2)).setRevenueId(rs.getString(3)).setAmountMinor(rs.getLong(4)));
        }
      }
    }
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private static TargetResult result(String meId, ResultSet rs, int from) throws SQLException {
    return TargetResult.newBuilder()
        .setMeId(meId)
        .setMetric(rs.getString(from))
        .setTarget(rs.getLong(from + 1))
        .setAchieved(rs.getLong(from + 2))
        .setMet(rs.getBoolean(from + 3))
        .setMissedInRow(rs.getInt(from + 4))
        .setAtRisk(rs.getBoolean(from + 5))
        .setContractVersion(rs.getInt(from + 6))
        .build();
  }

  private CompletionStage<Void> ownerOrAdmin(Caller caller, String meId) {
    if (caller.isAdmin()) {
      return meApi.requireExists(meId).thenApply(me -> null);
    }
    return meApi.requireOperator(caller, meId).thenApply(me -> null);
  }

  private <T> CompletionStage<T> query(ProjectionJdbc.SqlWork<T> work) {
    return jdbc.read(work);
  }

  private static long parseAfter(String after) {
    if (after == null || after.isEmpty()) {
      return Long.MAX_VALUE;
    }
    try {
      return Long.parseLong(after);
    } catch (NumberFormatException e) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "after is not a page token this server gave");
    }
  }

  private static Timestamp ts(long millis) {
    Instant at = Instant.ofEpochMilli(millis);
    return io.rendan.vocabulary.Timestamps.of(at);
  }
}
