package io.rendan.projection;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The database side of Pekko Projection and of the read models' queries: a
 * small connection pool of its own on the journal's database (so projections
 * never starve the journal's pool), the JDBC sessions the projections run in,
 * the offset tables, created at start; and a second small pool with its own
 * threads for the API's reads of read models ({@link #read}), so that a
 * request waits neither for the projections' transactions nor for their
 * threads.
 */
public final class ProjectionJdbc implements AutoCloseable {
  /** The dispatcher {@link #read} runs on: as many threads as the read pool has connections. */
  public static final String READ_DISPATCHER = "rendan.projection.read-dispatcher";

  private final HikariDataSource dataSource;
  private final HikariDataSource readers;
  private final Executor readThreads;

  private ProjectionJdbc(HikariDataSource dataSource, HikariDataSource readers, Executor readThreads) {
    this.dataSource = dataSource;
    this.readers = readers;
    this.readThreads = readThreads;
  }

  /**
   * The two pools; {@code system} gives the read threads (without one, as in
   * tests of a read model's writer alone, reads run on the common pool).
   */
  public static ProjectionJdbc start(ActorSystem<?> system, Config config) throws Exception {
    HikariDataSource writers = pool(config, "rendan-projections", config.getInt("rendan.projection.pool-size"), false);
    HikariDataSource readers = pool(config, "rendan-reads", config.getInt("rendan.projection.read-pool-size"), true);
    Executor readThreads =
        system == null ? ForkJoinPool.commonPool() : system.dispatchers().lookup(DispatcherSelector.fromConfig(READ_DISPATCHER));
    return new ProjectionJdbc(writers, readers, readThreads);
  }

  private static HikariDataSource pool(Config config, String name, int size, boolean readOnly) {
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName(name);
    hikari.setJdbcUrl(db.getString("url"));
    hikari.setUsername(db.getString("user"));
    hikari.setPassword(db.getString("password"));
    hikari.setDriverClassName(db.getString("driver"));
    hikari.setMaximumPoolSize(size);
    hikari.setMinimumIdle(1);
    hikari.setConnectionTimeout(db.getDuration("connectionTimeout").toMillis());
    // a read is one statement, or several that need no common snapshot
    hikari.setAutoCommit(readOnly);
    hikari.setReadOnly(readOnly);
    return new HikariDataSource(hikari);
  }

  /**
   * Runs a read of read models for a request, off the caller's thread, on a
   * connection and thread of the read pool: never queued behind the
   * projections' writes.
   */
  public <T> CompletionStage<T> read(SqlWork<T> work) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection connection = readers.getConnection()) {
            return work.apply(connection);
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        },
        readThreads);
  }

  /** The projections' offset tables; run once per start, under the schema lock (see DatabaseSchema). */
  public void createOffsetTables(ActorSystem<?> system) throws Exception {
    JdbcProjection.createTablesIfNotExists(sessions(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @FunctionalInterface
  public interface SqlWork<T> {
    T apply(Connection connection) throws SQLException;
  }

  @FunctionalInterface
  public interface SqlStatement {
    void apply(Connection connection) throws SQLException;
  }

  /** Runs statements in one transaction on a pooled connection (blocking: not on a dispatcher thread). */
  public void execute(SqlStatement work) throws SQLException {
    query(
        connection -> {
          work.apply(connection);
          return null;
        });
  }

  /** Runs a query in one transaction on a pooled connection (blocking: not on a dispatcher thread). */
  public <T> T query(SqlWork<T> work) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      try {
        T result = work.apply(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    }
  }

  public Supplier<Session> sessions() {
    return () -> new Session(dataSource);
  }

  @Override
  public void close() {
    readers.close();
    dataSource.close();
  }

  /** One transaction on one pooled connection. */
  public static final class Session implements JdbcSession {
    private final Connection connection;

    Session(HikariDataSource dataSource) {
      try {
        this.connection = dataSource.getConnection();
      } catch (SQLException e) {
        throw new IllegalStateException("no connection for a projection: " + e.getMessage(), e);
      }
    }

    @Override
    public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
      return func.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
      connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
      connection.rollback();
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
