package io.rendan.cluster;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the journal, tag and snapshot tables at start when they are missing.
 *
 * <p>pekko-persistence-jdbc's {@code SchemaUtils} (its {@code applyScript}, used
 * below, as its {@code createIfNotExists}) runs its DDL one statement at a time and swallows every SQL error. When several nodes of a
 * cluster start at once against one empty PostgreSQL database, their DDL
 * interleaves: statements fail on each other's half-created catalog entries, and
 * a {@code CREATE INDEX CONCURRENTLY} that loses a race can leave an invalid
 * index behind. So on PostgreSQL the nodes take turns, under a session-level
 * advisory lock that the server releases by itself if the holder dies.
 *
 * <p>The lock is polled with {@code pg_try_advisory_lock}, never waited for in
 * one blocking statement: {@code CREATE INDEX CONCURRENTLY} of the node holding
 * the lock waits for every transaction that was open when it began, a blocked
 * {@code pg_advisory_lock} call included, and that wait would never end (the
 * server cannot see the cycle, which runs through the holder's second
 * connection).
 *
 * <p>Because errors are swallowed, the tables are checked afterwards, and a node
 * whose schema is not there refuses to start instead of failing every write.
 */
public final class JournalSchema {
  private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);
  /** Any constant that other applications on the same database will not pick: "RENDAN" + 1. */
  static final long LOCK_KEY = 0x52454E44414E01L;
  private static final Duration LOCK_POLL = Duration.ofMillis(100);
  private static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot");
  private static final String DB = "pekko-persistence-jdbc.shared-databases.slick.db.";

  private JournalSchema() {}

  /** More DDL of the node (read-model and offset tables), run under the same lock. */
  @FunctionalInterface
  public interface Step {
    void create() throws Exception;
  }

  public static void createIfNotExists(ActorSystem<?> system, boolean postgres, Duration timeout) throws Exception {
    createIfNotExists(system, postgres, timeout, List.of());
  }

  public static void createIfNotExists(ActorSystem<?> system, boolean postgres, Duration timeout, List<Step> more)
      throws Exception {
    Config config = system.settings().config();
    try (Connection connection =
        DriverManager.getConnection(
            config.getString(DB + "url"), config.getString(DB + "user"), config.getString(DB + "password"))) {
      if (postgres) {
        lock(connection, timeout);
        try {
          create(system, postgres, timeout);
          for (Step step : more) {
            step.create();
          }
        } finally {
          try (Statement s = connection.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
          }
        }
      } else {
        create(system, postgres, timeout);
        for (Step step : more) {
          step.create();
        }
      }
      check(connection);
    }
  }

  private static void lock(Connection connection, Duration timeout) throws Exception {
    long started = System.nanoTime();
    long deadline = started + timeout.toNanos();
    try (Statement s = connection.createStatement()) {
      while (true) {
        try (ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_KEY + ")")) {
          rs.next();
          if (rs.getBoolean(1)) {
            log.debug("journal schema lock taken after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "another node held the journal schema lock for more than " + timeout + "; is one stuck creating it?");
        }
        Thread.sleep(LOCK_POLL.toMillis());
      }
    }
  }

  /**
   * The plugin's own script for its current (not legacy) schema, named here:
   * its {@code SchemaUtils.createIfNotExists} takes any {@code jdbc-journal.dao}
   * but the plugin's default for the legacy one, and Rendan's is
   * {@link BatchedJournalDao}, which writes the current schema.
   */
  private static void create(ActorSystem<?> system, boolean postgres, Duration timeout) throws Exception {
    String resource = postgres ? "schema/postgres/postgres-create-schema.sql" : "schema/h2/h2-create-schema.sql";
    String script;
    try (var in = JournalSchema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the journal plugin's schema script " + resource + " is not on the class path");
      }
      script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    try {
      SchemaUtils.applyScript(script, system).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("creating the journal schema failed: " + e.getCause(), e.getCause());
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
