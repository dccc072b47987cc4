package io.rendan.bidding;

import io.rendan.bidding.RoundEvents.BidWithdrawn;
import io.rendan.bidding.RoundEvents.BidsPlaced;
import io.rendan.bidding.RoundEvents.Event;
import io.rendan.bidding.RoundEvents.RoundPosted;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.ListRoundsResponse;
import io.rendan.protocol.api.v1.Round;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The directory of rounds ({@code GET /v1/rounds?status=OPEN&capability=...}): a
 * table fed from the rounds' journal by a projection that stores its offset in
 * the same transaction as the rows (exactly once), so the table is never ahead
 * of or behind what it says it has read, and catches up after a restart.
 */
public final class RoundDirectory {
  public static final String NAME = "round-directory";
  private static final String TABLE = "rendan_round_directory";

  private final ProjectionJdbc jdbc;

  private RoundDirectory(ProjectionJdbc jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * How the directory's projection groups events: at most {@code envelopes} in
   * one transaction, and no event waits longer than {@code within} for its group.
   */
  public record Grouping(int envelopes, java.time.Duration within) {}

  public static RoundDirectory start(ActorSystem<?> system, ProjectionJdbc jdbc, int tagSlices, Grouping grouping) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            tagSlices,
            slice -> {
              String tag = "round-" + slice;
              return ProjectionBehavior.create(
                  JdbcProjection.groupedWithin(
                          ProjectionId.of(NAME, tag),
                          EventSourcedProvider.<Event>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
                          jdbc.sessions(),
                          () -> new Writer(),
                          system)
                      .withGroup(grouping.envelopes(), grouping.within()));
            },
            ProjectionBehavior.stopMessage());
    return new RoundDirectory(jdbc);
  }

  /**
   * Applies a group of events to the table, in the projection's transaction
   * (rows and offset commit together: exactly once).
   *
   * <p>Bids change only a round's deadline, count and best ask, and each such
   * event carries all three as they stand after it; of several in one group
   * only the last of each round needs writing. A busy round writes an event
   * every few milliseconds, and one transaction (with its offset row) per event
   * cost more node CPU than the bids themselves: grouped, it is one UPDATE per
   * round per group. Events that change anything else are applied in order, after
   * the round's pending bid counters.
   */
  static final class Writer extends JdbcHandler<List<EventEnvelope<Event>>, ProjectionJdbc.Session> {
    /** The last bid counters of a round in this group, and the version they are as of. */
    private record Counters(long version, Long closesAt, int activeBids, Integer bestAskBps) {}

    @Override
    public void process(ProjectionJdbc.Session session, List<EventEnvelope<Event>> envelopes) throws Exception {
      session.withConnection(
          connection -> {
            java.util.Map<String, Counters> pending = new java.util.LinkedHashMap<>();
            for (EventEnvelope<Event> envelope : envelopes) {
              Event event = envelope.event();
              long version = envelope.sequenceNr();
              if (event instanceof BidsPlaced e) {
                pending.put(e.roundId(), new Counters(version, e.closesAt().toEpochMilli(), e.activeBids(), e.bestAskBps()));
              } else if (event instanceof BidWithdrawn e) {
                Counters before = pending.get(e.roundId());
                pending.put(
                    e.roundId(), new Counters(version, before == null ? null : before.closesAt(), e.activeBids(), e.bestAskBps()));
              } else {
                Counters counters = pending.remove(event.roundId());
                if (counters != null) {
                  writeCounters(connection, event.roundId(), counters);
                }
                apply(connection, event, version);
              }
            }
            for (java.util.Map.Entry<String, Counters> round : pending.entrySet()) {
              writeCounters(connection, round.getKey(), round.getValue());
            }
            return null;
          });
    }

    private static void writeCounters(Connection connection, String roundId, Counters c) throws SQLException {
      if (c.closesAt() == null) {
        update(connection, roundId, c.version(), "bid_count = ?, best_ask_bps = ?", ps -> {
          set(ps, 1, c.activeBids());
          set(ps, 2, c.bestAskBps());
        });
      } else {
        update(connection, roundId, c.version(), "closes_at = ?, bid_count = ?, best_ask_bps = ?", ps -> {
          set(ps, 1, c.closesAt());
          set(ps, 2, c.activeBids());
          set(ps, 3, c.bestAskBps());
        });
      }
    }

    /** An event other than bids placed or withdrawn. */
    private static void apply(Connection connection, Event event, long version) throws SQLException {
      if (event instanceof RoundPosted e) {
        insertPosted(connection, e, version);
      } else if (event instanceof RoundEvents.RoundClosed e) {
        String outcome =
            e.awardedBidId() != null ? "'AWARDED'" : "CASE WHEN bid_count > 0 THEN 'CLOSED' ELSE 'UNSUCCESSFUL' END";
        update(connection, e.roundId(), version, "status = " + outcome, ps -> {});
      } else if (event instanceof RoundEvents.BidAwarded e) {
        update(connection, e.roundId(), version, "status = 'AWARDED'", ps -> {});
      } else if (event instanceof RoundEvents.RoundCancelled e) {
        update(connection, e.roundId(), version, "status = 'CANCELLED'", ps -> {});
      }
    }

    private static void insertPosted(Connection connection, RoundPosted e, long version) throws SQLException {
      try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE round_id = ?")) {
        exists.setString(1, e.roundId());
        try (ResultSet rs = exists.executeQuery()) {
          if (rs.next()) {
            return;
          }
        }
      }
      try (PreparedStatement ps =
          connection.prepareStatement(
              "INSERT INTO " + TABLE + " (round_id, emc_id, capability, side, mode, max_share_bps, status, closes_at, "
                  + "best_ask_bps, bid_count, posted_at, version) VALUES (?, ?, ?, ?, ?, ?, 'OPEN', ?, NULL, 0, ?, ?)")) {
        ps.setString(1, e.roundId());
        ps.setString(2, e.emcId());
        ps.setString(3, e.call().capability());
        ps.setString(4, e.call().side().name());
        ps.setString(5, e.call().mode().name());
        ps.setInt(6, e.call().maxShareBps());
        ps.setLong(7, e.closesAt().toEpochMilli());
        ps.setLong(8, e.at().toEpochMilli());
        ps.setLong(9, version);
        ps.executeUpdate();
      }
    }

    @FunctionalInterface
    interface Binder {
      void bind(PreparedStatement ps) throws SQLException;
    }

    /** Applies a change once: a row already at or past this version is left alone. */
    private static void update(Connection connection, String roundId, long version, String set, Binder binder)
        throws SQLException {
      int parameters = (int) set.chars().filter(c -> c == '?').count();
      try (PreparedStatement ps =
          connection.prepareStatement(
              "UPDATE " + TABLE + " SET " + set + ", version = ? WHERE round_id = ? AND version < ?")) {
        binder.bind(ps);
        ps.setLong(parameters + 1, version);
        ps.setString(parameters + 2, roundId);
        ps.setLong(parameters + 3, version);
        ps.executeUpdate();
      }
    }

    private static void set(PreparedStatement ps, int index, Long value) throws SQLException {
      ps.setLong(index, value);
    }

    private static void set(PreparedStatement ps, int index, Integer value) throws SQLException {
      if (value == null) {
        ps.setNull(index, Types.INTEGER);
      } else {
        ps.setInt(index, value);
      }
    }
  }

  /** Where a listing continues: after this deadline and round id. */
  public record Page(long closesAt, String roundId) {
    public String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString((closesAt + ":" + roundId).getBytes(StandardCharsets.UTF_8));
    }

    public static Page parse(String token) {
      try {
        String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        return new Page(Long.parseLong(text.substring(0, colon)), BiddingApi.checkId("after", text.substring(colon + 1)));
      } catch (RuntimeException e) {
        throw new ApiException(ErrorCodes.REQUEST_INVALID, "after is not a page token this server gave");
      }
    }
  }

  /** Rounds in a status, soonest deadline first, optionally of one capability and of one EMC. */
  public CompletionStage<ListRoundsResponse> list(
      RoundEntity.Status status, String capability, String emcId, int limit, Page after) {
    return jdbc.read(connection -> query(connection, status, capability, emcId, limit, after));
  }

  private static ListRoundsResponse query(
      Connection connection, RoundEntity.Status status, String capability, String emcId, int limit, Page after)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder(
            "SELECT round_id, emc_id, capability, side, mode, max_share_bps, status, closes_at, best_ask_bps, bid_count, "
                + "posted_at, version FROM " + TABLE + " WHERE status = ?");
    if (capability != null) {
      sql.append(" AND capability = ?");
    }
    if (emcId != null) {
      sql.append(" AND emc_id = ?");
    }
    if (after != null) {
      sql.append(" AND (closes_at > ? OR (closes_at = ? AND round_id > ?))");
    }
    sql.append(" ORDER BY closes_at, round_id LIMIT ?");
    List<Round> rounds = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      int i = 1;
      ps.setString(i++, status.name());
      if (capability != null) {
        ps.setString(i++, capability);
      }
      if (emcId != null) {
        ps.setString(i++, emcId);
      }
      if (after != null) {
        ps.setLong(i++, after.closesAt());
        ps.setLong(i++, after.closesAt());
        ps.setString(i++, after.roundId());
      }
      ps.setInt(i, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Round.Builder r =
              Round.newBuilder()
                  .setRoundId(rs.getString(1))
                  .setEmcId(rs.getString(2))
                  .setCall(
                      Call.newBuilder()
                          .setCapability(rs.getString(3))
                          .setSide(io.rendan.protocol.api.v1.Member.Side.valueOf(rs.getString(4)))
                          .setMode(Call.Mode.valueOf(rs.getString(5)))
                          .setMaxShareBps(rs.getInt(6)))
                  .setStatus(Round.Status.valueOf(rs.getString(7)))
                  .setClosesAt(RoundMapping.ts(Instant.ofEpochMilli(rs.getLong(8))))
                  .setBidCount(rs.getInt(10))
                  .setPostedAt(RoundMapping.ts(Instant.ofEpochMilli(rs.getLong(11))))
                  .setVersion(rs.getLong(12));
          int best = rs.getInt(9);
          boolean sealedAndOpen = "SEALED".equals(rs.getString(5)) && "OPEN".equals(rs.getString(7));
          if (!rs.wasNull() && !sealedAndOpen) {
            r.setBestAskBps(best);
          }
          rounds.add(r.build());
        }
      }
    }
    ListRoundsResponse.Builder response = ListRoundsResponse.newBuilder();
    if (rounds.size() > limit) {
      Round last = rounds.get(limit - 1);
      rounds = rounds.subList(0, limit);
      response.setNextPage(
          new Page(Instant.ofEpochSecond(last.getClosesAt().getSeconds(), last.getClosesAt().getNanos()).toEpochMilli(), last.getRoundId())
              .encode());
    }
    return response.addAllRounds(rounds).build();
  }

  /** Ids of rounds still open, for the waker. */
  public List<String> openRoundIds(int max) throws SQLException {
    return jdbc.query(
        connection -> {
          List<String> ids = new ArrayList<>();
          try (PreparedStatement ps =
              connection.prepareStatement("SELECT round_id FROM " + TABLE + " WHERE status = 'OPEN' ORDER BY closes_at LIMIT ?")) {
            ps.setInt(1, max);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
          }
          return ids;
        });
  }
}
