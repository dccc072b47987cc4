package io.rendan.prospect;

import io.rendan.auth.Caller;
import io.rendan.bidding.BiddingApi;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.protocol.api.v1.Bid;
import io.rendan.protocol.api.v1.GetProspectusRequest;
import io.rendan.protocol.api.v1.Prospectus;
import io.rendan.protocol.api.v1.Round;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Prospectuses of calls, shared by HTTP and WebSocket: the round as the caller may
 * see it (from the round, through {@link BiddingApi}), and the EMC's closed periods
 * and the bidders' records from {@link ProspectReadModel}'s and
 * {@link HelpGivenReadModel}'s tables. Nothing is replayed per request: one indexed
 * read of at most six rows, and for the owner two more of the bidders' records
 * (periods met and missed, help given).
 */
public final class ProspectApi implements BiddingApi.RoundViews {
  private final ProjectionJdbc jdbc;
  private final BiddingApi biddingApi;
  private final int maxBids;

  private ProspectApi(ProjectionJdbc jdbc, BiddingApi biddingApi, int maxBids) {
    this.jdbc = jdbc;
    this.biddingApi = biddingApi;
    this.maxBids = maxBids;
  }

  /** Starts the read model's projection and adds prospectuses to the round views of {@code biddingApi}. */
  public static ProspectApi start(
      ActorSystem<?> system, ProjectionJdbc jdbc, BiddingApi biddingApi, int emcTagSlices, int meTagSlices, int maxBids) {
    ProspectReadModel.start(system, jdbc, emcTagSlices);
    HelpGivenReadModel.start(system, jdbc, meTagSlices);
    ProspectApi api = new ProspectApi(jdbc, biddingApi, maxBids);
    biddingApi.extendViews(api);
    return api;
  }

  /** Anyone signed in sees a round's prospectus; operators of its owner see the bids beside it. */
  @Override
  public CompletionStage<Prospectus> prospectus(Caller caller, GetProspectusRequest request) {
    if (request.hasAskBps() && (request.getAskBps() < 0 || request.getAskBps() > ProspectFigures.TOTAL_BPS)) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "askBps must be between 0 and " + ProspectFigures.TOTAL_BPS);
    }
    // a caller who does not operate the owner needs only the call as posted: no ask to the round
    return biddingApi
        .postedView(caller, request.getRoundId())
        .thenCompose(v -> of(v.round(), v.owner(), request.hasAskBps() ? request.getAskBps() : null));
  }

  /** A round view with its prospectus at the call's largest share. */
  @Override
  public CompletionStage<Round> extend(Round view, boolean owner) {
    return of(view, owner, null).thenApply(p -> view.toBuilder().setProspectus(p).build());
  }

  private CompletionStage<Prospectus> of(Round round, boolean owner, Integer askBps) {
    int ask = askBps == null ? round.getCall().getMaxShareBps() : askBps;
    List<ProspectFigures.BidRow> bids = owner ? activeBids(round) : null;
    return query(
            c -> {
              List<ProspectFigures.PeriodRow> periods = periods(c, round.getEmcId());
              Map<String, ProspectFigures.Record> records = bids == null || bids.isEmpty() ? Map.of() : records(c, bids, maxBids);
              return ProspectFigures.compute(periods, ask, bids, records, maxBids);
            })
        .thenApply(
            b ->
                b.setRoundId(round.getRoundId())
                    .setEmcId(round.getEmcId())
                    .setSeatTarget(round.getCall().getTarget())
                    .setMissedPeriodLimit(round.getCall().getMissedPeriodLimit())
                    .build());
  }

  /** Active bids, best score first (lower is better), earlier arrival first among equals. */
  private static List<ProspectFigures.BidRow> activeBids(Round round) {
    List<Bid> active = new ArrayList<>();
    for (Bid bid : round.getBidsList()) {
      if (bid.getStatus() == Bid.Status.ACTIVE) {
        active.add(bid);
      }
    }
    active.sort(Comparator.comparingLong(Bid::getScore)); // stable: the view lists bids in arrival order
    List<ProspectFigures.BidRow> rows = new ArrayList<>(active.size());
    for (Bid bid : active) {
      rows.add(new ProspectFigures.BidRow(bid.getBidId(), bid.getMeId(), bid.getAskShareBps(), bid.getRating(), bid.getBidderKind()));
    }
    return rows;
  }

  static List<ProspectFigures.PeriodRow> periods(Connection c, String emcId) throws SQLException {
    List<ProspectFigures.PeriodRow> rows = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT period, currency, revenue_minor, revenue_count, owner_minor, evaluated, met FROM " + ProspectReadModel.PERIOD
                + " WHERE emc_id = ? AND closed = TRUE ORDER BY period DESC LIMIT " + ProspectFigures.PERIODS)) {
      ps.setString(1, emcId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(
              new ProspectFigures.PeriodRow(
                  rs.getString(1), rs.getString(2), rs.getLong(3), rs.getInt(4), rs.getLong(5), rs.getInt(6), rs.getInt(7)));
        }
      }
    }
    return rows;
  }

  static Map<String, ProspectFigures.Record> records(Connection c, List<ProspectFigures.BidRow> bids, int maxBids) throws SQLException {
    List<String> meIds = bids.subList(0, Math.min(maxBids, bids.size())).stream().map(ProspectFigures.BidRow::meId).distinct().toList();
    Map<String, ProspectFigures.Record> records = new HashMap<>();
    String marks = String.join(", ", java.util.Collections.nCopies(meIds.size(), "?"));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT me_id, SUM(periods_met), SUM(periods_missed) FROM " + ProspectReadModel.RECORD
                + " WHERE me_id IN (" + marks + ") GROUP BY me_id")) {
      for (int i = 0; i < meIds.size(); i++) {
        ps.setString(i + 1, meIds.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          records.put(rs.getString(1), new ProspectFigures.Record(rs.getInt(2), rs.getInt(3)));
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT me_id, delivered_given, recoveries_helped FROM " + HelpGivenReadModel.TABLE + " WHERE me_id IN (" + marks + ")")) {
      for (int i = 0; i < meIds.size(); i++) {
        ps.setString(i + 1, meIds.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          records.merge(
              rs.getString(1),
              ProspectFigures.Record.NONE.withHelp(rs.getLong(2), rs.getLong(3)),
              (kept, help) -> kept.withHelp(help.helpDelivered(), help.recoveriesHelped()));
        }
      }
    }
    return records;
  }

  private <T> CompletionStage<T> query(ProjectionJdbc.SqlWork<T> work) {
    return jdbc.read(work);
  }
}
