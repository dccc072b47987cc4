package io.rendan.emc;

import io.rendan.emc.EmcEvents.Event;
import io.rendan.projection.ProjectionHealth;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removals with notice that fall due while their EMC is not in memory. The
 * EMC's own timer carries a removal out, but it runs only while the entity
 * does: an EMC passivated when idle, or on a node that went down, is recovered
 * (and its timer re-armed) only when something talks to it. So:
 *
 * <ul>
 *   <li>the projection {@code emc-removals-due} (one instance per EMC tag, exactly
 *       once: rows and offset in one transaction) keeps {@code rendan_removal_due},
 *       one row per scheduled removal, deleted by whatever ends it (as
 *       {@link RemovalNotice#apply} does: cancelled, member gone, seat replaced,
 *       EMC dissolved);
 *   <li>one waker in the cluster ({@code removal-waker}, a sharded daemon process)
 *       reads the rows due by the business clock every {@code interval} and sends
 *       each of their EMCs {@link RemovalNotice.RemovalsDue}.
 * </ul>
 *
 * The EMC stays the one that decides: it removes only what its own state says
 * is due, so a poke for a removal already done, cancelled, or not yet due (a
 * row the projection has not caught up with) changes nothing.
 */
public final class RemovalWaker {
  private static final Logger log = LoggerFactory.getLogger(RemovalWaker.class);
  public static final String NAME = "emc-removals-due";
  static final String TABLE = "rendan_removal_due";

  private enum Tick {
    INSTANCE
  }

  private RemovalWaker() {}

  /** The projection over every EMC tag, and the waker; {@code maxPerSweep}: most EMCs poked per sweep, soonest due first. */
  public static void start(
      ActorSystem<?> system, ProjectionJdbc jdbc, int tagSlices, Clock clock, Duration interval, int maxPerSweep) {
    TaggedProjections.<Event>exactlyOnce(system, jdbc, NAME, "emc-", tagSlices, instance -> new Writer(ProjectionHealth.get(system), instance));
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher"));
    ClusterSharding sharding = ClusterSharding.get(system);
    ShardedDaemonProcess.get(system)
        .init(
            Object.class,
            "removal-waker",
            1,
            i ->
                waker(
                    () -> due(jdbc, clock, maxPerSweep),
                    emcId -> sharding.entityRefFor(EmcEntity.TYPE_KEY, emcId).tell(RemovalNotice.RemovalsDue.INSTANCE),
                    interval,
                    blocking));
  }

  interface DueQuery {
    List<String> emcIds() throws SQLException;
  }

  private static Behavior<Object> waker(DueQuery query, java.util.function.Consumer<String> poke, Duration interval, Executor blocking) {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1), interval);
          return Behaviors.receive(Object.class)
              .onMessageEquals(
                  Tick.INSTANCE,
                  () -> {
                    CompletableFuture.supplyAsync(
                            () -> {
                              try {
                                return query.emcIds();
                              } catch (Exception e) {
                                log.warn("cannot list the removals due: {}", e.toString());
                                return List.<String>of();
                              }
                            },
                            blocking)
                        .thenAccept(ids -> ids.forEach(poke));
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** The EMCs with a removal due by the business clock, soonest first. */
  static List<String> due(ProjectionJdbc jdbc, Clock clock, int max) throws SQLException {
    long now = clock.instant().toEpochMilli();
    return jdbc.query(
        c -> {
          List<String> ids = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT emc_id FROM " + TABLE + " WHERE effective_at <= ? GROUP BY emc_id ORDER BY MIN(effective_at) LIMIT ?")) {
            ps.setLong(1, now);
            ps.setInt(2, max);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
          }
          return ids;
        });
  }

  static final class Writer extends JdbcHandler<EventEnvelope<Event>, ProjectionJdbc.Session> {
    private final ProjectionHealth health;
    private final String instance;

    Writer(ProjectionHealth health, String instance) {
      this.health = health;
      this.instance = instance;
    }

    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<Event> envelope) throws Exception {
      try {
        session.withConnection(
            c -> {
              apply(c, envelope.event());
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

  /** The rows one event changes, as {@link RemovalNotice#apply} changes the EMC's scheduled removals. */
  static void apply(Connection c, Event event) throws SQLException {
    if (event instanceof RemovalNotice.RemovalScheduled e) {
      delete(c, e.emcId(), e.removal().meId());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (emc_id, me_id, effective_at) VALUES (?, ?, ?)")) {
        ps.setString(1, e.emcId());
        ps.setString(2, e.removal().meId());
        ps.setLong(3, e.removal().effectiveAt().toEpochMilli());
        ps.executeUpdate();
      }
    } else if (event instanceof RemovalNotice.RemovalCancelled e) {
      delete(c, e.emcId(), e.meId());
    } else if (event instanceof EmcEvents.MemberLeft e) {
      delete(c, e.emcId(), e.meId());
    } else if (event instanceof EmcEvents.SeatReplaced e) {
      delete(c, e.emcId(), e.oldMeId());
    } else if (event instanceof EmcEvents.EmcDissolved e) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE emc_id = ?")) {
        ps.setString(1, e.emcId());
        ps.executeUpdate();
      }
    }
  }

  private static void delete(Connection c, String emcId, String meId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE emc_id = ? AND me_id = ?")) {
      ps.setString(1, emcId);
      ps.setString(2, meId);
      ps.executeUpdate();
    }
  }
}
