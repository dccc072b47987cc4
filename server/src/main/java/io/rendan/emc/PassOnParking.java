package io.rendan.emc;

import io.rendan.projection.ProjectionJdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revenue an EMC refused to take as passed on, kept until it does. When the
 * member EMC refuses the part of its seat (its period is closed, it keeps
 * another currency, it was dissolved, ...), {@link RevenuePassOn} parks it in
 * {@value #TABLE} before its offset moves on, so it is never dropped; one
 * retrier in the cluster ({@value #RETRIER}, a sharded daemon process) tries
 * the parked parts again every {@code interval}, each with a backoff that
 * doubles from that interval up to {@link #MAX_BACKOFF}, and deletes a
 * row once the EMC recorded it (under the same derived revenue id, so a retry
 * is counted once). The books check lists what is still parked.
 */
public final class PassOnParking {
  private static final Logger log = LoggerFactory.getLogger(PassOnParking.class);
  public static final String TABLE = "rendan_pass_on_parked";
  static final String RETRIER = "emc-pass-on-retrier";
  static final Duration MAX_BACKOFF = Duration.ofHours(1);
  static final int MAX_PER_SWEEP = 500;

  /** One part not passed on: what {@link RevenueApi#recordPassedOnRevenue} is asked again. */
  record Parked(
      String innerRevenueId,
      String seatEmcId,
      String fromEmcId,
      String fromRevenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String refundOf,
      int attempts) {}

  private final ProjectionJdbc jdbc;
  private final Executor blocking;
  private final Clock clock;
  private final Duration interval;

  PassOnParking(ProjectionJdbc jdbc, Executor blocking, Clock clock, Duration interval) {
    this.jdbc = jdbc;
    this.blocking = blocking;
    this.clock = clock;
    this.interval = interval;
  }

  /**
   * The parking, and the one retrier of the cluster: every {@code interval}
   * ({@code rendan.emc.pass-on-retry-interval}), the parked parts due are tried again.
   */
  static PassOnParking start(ActorSystem<?> system, ProjectionJdbc jdbc, EmcApi emcApi, Duration interval) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher"));
    PassOnParking parking = new PassOnParking(jdbc, blocking, Clock.systemUTC(), interval);
    ShardedDaemonProcess.get(system).init(Object.class, RETRIER, 1, i -> retrier(parking, emcApi, interval));
    return parking;
  }

  private enum Tick {
    INSTANCE
  }

  private record Swept() {}

  private static Behavior<Object> retrier(PassOnParking parking, EmcApi emcApi, Duration interval) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval, interval);
                  boolean[] sweeping = {false};
                  return Behaviors.receive(Object.class)
                      .onMessageEquals(
                          Tick.INSTANCE,
                          () -> {
                            if (!sweeping[0]) {
                              sweeping[0] = true;
                              ctx.pipeToSelf(parking.retryDue(emcApi), (done, failure) -> {
                                if (failure != null) {
                                  log.warn("cannot retry the parked pass-ons: {}", failure.toString());
                                }
                                return new Swept();
                              });
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Swept.class,
                          s -> {
                            sweeping[0] = false;
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  /** Parks a refused part (once: a redelivery keeps the row as it is). Completes when the row is stored. */
  CompletionStage<Void> park(Parked p, String refusal) {
    long now = clock.millis();
    return CompletableFuture.runAsync(
        () -> {
          try {
            jdbc.execute(c -> insert(c, p, refusal, now, now + interval.toMillis()));
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        },
        blocking);
  }

  /** Tries the parked parts due again, one after another; answers how many were passed on. */
  CompletionStage<Integer> retryDue(EmcApi emcApi) {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return due(clock.millis());
              } catch (SQLException e) {
                throw new CompletionException(e);
              }
            },
            blocking)
        .thenCompose(
            rows -> {
              CompletableFuture<Integer> passed = CompletableFuture.completedFuture(0);
              for (Parked p : rows) {
                passed = passed.thenCompose(n -> retry(emcApi, p).thenApply(ok -> ok ? n + 1 : n));
              }
              return passed;
            });
  }

  private CompletableFuture<Boolean> retry(EmcApi emcApi, Parked p) {
    return emcApi
        .revenue()
        .recordPassedOnRevenue(
            p.seatEmcId(), p.innerRevenueId(), p.amountMinor(), p.currency(), p.source(), p.earnedAt(), p.units(), p.refundOf(),
            new RevenueSplit.PassedFrom(p.fromEmcId(), p.fromRevenueId()))
        .handle((refusal, failure) -> failure != null ? (failure.toString()) : refusal)
        .thenApplyAsync(
            refusal -> {
              try {
                if (refusal == null) {
                  jdbc.execute(c -> delete(c, p.innerRevenueId()));
                  log.info("revenue {} of EMC {} passed on to EMC {} after {} refusals", p.fromRevenueId(), p.fromEmcId(), p.seatEmcId(), p.attempts());
                  return true;
                }
                int attempts = p.attempts() + 1;
                long next = clock.millis() + backoff(attempts, interval).toMillis();
                jdbc.execute(c -> refusedAgain(c, p.innerRevenueId(), refusal, attempts, next));
                return false;
              } catch (SQLException e) {
                throw new CompletionException(e);
              }
            },
            blocking)
        .toCompletableFuture();
  }

  /** The wait after {@code attempts} refusals: {@code first}, doubling with each, at most {@link #MAX_BACKOFF}. */
  static Duration backoff(int attempts, Duration first) {
    int doublings = Math.min(Math.max(attempts - 1, 0), 20);
    Duration d = first.multipliedBy(1L << doublings);
    return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
  }

  List<Parked> due(long now) throws SQLException {
    return jdbc.query(
        c -> {
          List<Parked> rows = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT inner_revenue_id, seat_emc_id, from_emc_id, from_revenue_id, amount_minor, currency, source, earned_at, units,"
                      + " refund_of, attempts FROM " + TABLE + " WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?")) {
            ps.setLong(1, now);
            ps.setInt(2, MAX_PER_SWEEP);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                long earned = rs.getLong(8);
                Instant earnedAt = rs.wasNull() ? null : Instant.ofEpochMilli(earned);
                rows.add(
                    new Parked(
                        rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getString(6),
                        rs.getString(7), earnedAt, rs.getLong(9), rs.getString(10), rs.getInt(11)));
              }
            }
          }
          return rows;
        });
  }

  private static void insert(Connection c, Parked p, String refusal, long now, long next) throws SQLException {
    try (PreparedStatement exists = c.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE inner_revenue_id = ?")) {
      exists.setString(1, p.innerRevenueId());
      try (ResultSet rs = exists.executeQuery()) {
        if (rs.next()) {
          return; // parked already (a redelivery of the outer split)
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + TABLE + " (inner_revenue_id, seat_emc_id, from_emc_id, from_revenue_id, amount_minor, currency, source,"
                + " earned_at, units, refund_of, refusal, attempts, parked_at, next_attempt_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)")) {
      ps.setString(1, p.innerRevenueId());
      ps.setString(2, p.seatEmcId());
      ps.setString(3, p.fromEmcId());
      ps.setString(4, p.fromRevenueId());
      ps.setLong(5, p.amountMinor());
      ps.setString(6, p.currency());
      ps.setString(7, p.source());
      if (p.earnedAt() == null) {
        ps.setNull(8, Types.BIGINT);
      } else {
        ps.setLong(8, p.earnedAt().toEpochMilli());
      }
      ps.setLong(9, p.units());
      ps.setString(10, p.refundOf());
      ps.setString(11, refusal.length() > 64 ? refusal.substring(0, 64) : refusal);
      ps.setLong(12, now);
      ps.setLong(13, next);
      ps.executeUpdate();
    }
  }

  private static void delete(Connection c, String innerRevenueId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE inner_revenue_id = ?")) {
      ps.setString(1, innerRevenueId);
      ps.executeUpdate();
    }
  }

  private static void refusedAgain(Connection c, String innerRevenueId, String refusal, int attempts, long next) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE " + TABLE + " SET refusal = ?, attempts = ?, next_attempt_at = ? WHERE inner_revenue_id = ?")) {
      ps.setString(1, refusal.length() > 64 ? refusal.substring(0, 64) : refusal);
      ps.setInt(2, attempts);
      ps.setLong(3, next);
      ps.setString(4, innerRevenueId);
      ps.executeUpdate();
    }
  }
}
