package io.rendan.cluster;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the node's database to the newest schema at start, with Flyway: the journal's
 * tables and every read model's, as versioned migrations under
 * {@code db/migration/common} (the same SQL on H2 and PostgreSQL) and
 * {@code db/migration/h2} or {@code db/migration/postgresql} (the journal, whose DDL
 * differs). Flyway records what it applied in {@code flyway_schema_history}.
 *
 * <p>A database written before the migrations existed has the tables but no history: it
 * is baselined at version 0, and every migration then runs on it. They all say
 * {@code IF NOT EXISTS}, so the tables it has are kept with their rows and only missing
 * ones are created. A later change to a table is a new migration that alters it.
 *
 * <p>When several nodes of a cluster start at once against one empty PostgreSQL database,
 * they take turns, under a session-level advisory lock that the server releases by itself
 * if the holder dies: two Flyways creating the history table at once would fail each
 * other. The lock is polled with {@code pg_try_advisory_lock}, never waited for in one
 * blocking statement, so a node waiting for it holds no transaction open that the holder's
 * DDL would wait for.
 *
 * <p>The tables are checked afterwards, and a node whose schema is not there refuses to
 * start instead of failing every write.
 */
public final class DatabaseSchema {
  private static final Logger log = LoggerFactory.getLogger(DatabaseSchema.class);
  /** Any constant that other applications on the same database will not pick: "RENDAN" + 1. */
  static final long LOCK_KEY = 0x52454E44414E01L;
  private static final Duration LOCK_POLL = Duration.ofMillis(100);
  private static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot");
  private static final String DB = "pekko-persistence-jdbc.shared-databases.slick.db.";

  private DatabaseSchema() {}

  /** More schema work of the node that a library owns (the projections' offset tables), run under the same lock. */
  @FunctionalInterface
  public interface Step {
    void create() throws Exception;
  }

  public static void migrate(ActorSystem<?> system, boolean postgres, Duration timeout) throws Exception {
    migrate(system, postgres, timeout, List.of());
  }

  public static void migrate(ActorSystem<?> system, boolean postgres, Duration timeout, List<Step> more)
      throws Exception {
    Config config = system.settings().config();
    try (Connection connection =
        DriverManager.getConnection(
            config.getString(DB + "url"), config.getString(DB + "user"), config.getString(DB + "password"))) {
      if (postgres) {
        lock(connection, timeout);
        try {
          migrate(config, postgres);
          for (Step step : more) {
            step.create();
          }
        } finally {
          try (Statement s = connection.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
          }
        }
      } else {
        migrate(config, postgres);
        for (Step step : more) {
          step.create();
        }
      }
      check(connection);
    }
  }

  /** Applies the migrations not yet applied to the database that {@code config} names; no lock. */
  public static MigrateResult migrate(Config config, boolean postgres) {
    MigrateResult result =
        Flyway.configure(DatabaseSchema.class.getClassLoader())
            .dataSource(config.getString(DB + "url"), config.getString(DB + "user"), config.getString(DB + "password"))
            .locations("classpath:db/migration/common", "classpath:db/migration/" + (postgres ? "postgresql" : "h2"))
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
    if (result.migrationsExecuted > 0) {
      log.info("database schema migrated to version {} ({} migrations)", result.targetSchemaVersion, result.migrationsExecuted);
    }
    return result;
  }

  private static void lock(Connection connection, Duration timeout) throws Exception {
    long started = System.nanoTime();
    long deadline = started + timeout.toNanos();
    try (Statement s = connection.createStatement()) {
      while (true) {
        try (ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_KEY + ")")) {
          rs.next();
          if (rs.getBoolean(1)) {
            log.debug("schema lock taken after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "another node held the schema lock for more than " + timeout + "; is one stuck migrating it?");
        }
        Thread.sleep(LOCK_POLL.toMillis());
      }
    }
  }

  private static void check(Connection connection) {
    for (String table : TABLES) {
      try (Statement s = connection.createStatement()) {
        // Quoted: H2 keeps the lower-case names the DDL quoted, PostgreSQL folds to them anyway.
        s.executeQuery("SELECT 1 FROM \"" + table + "\" WHERE 1 = 0").close();
      } catch (SQLException e) {
        throw new IllegalStateException(
            "the journal table " + table + " is missing and could not be created: " + e.getMessage(), e);
      }
    }
  }
}
