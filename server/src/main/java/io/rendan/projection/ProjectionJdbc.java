package io.rendan.projection;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The database side of Pekko Projection: a small connection pool of its own on
 * the journal's database (so projections never starve the journal's pool), the
 * JDBC sessions the projections run in, and the offset tables, created at start.
 */
public final class ProjectionJdbc implements AutoCloseable {
  private final HikariDataSource dataSource;

  private ProjectionJdbc(HikariDataSource dataSource) {
    this.dataSource = dataSource;
  }

  public static ProjectionJdbc start(ActorSystem<?> system, Config config) throws Exception {
    Config db = config.getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("rendan-projections");
    hikari.setJdbcUrl(db.getString("url"));
    hikari.setUsername(db.getString("user"));
    hikari.setPassword(db.getString("password"));
    hikari.setDriverClassName(db.getString("driver"));
    hikari.setMaximumPoolSize(config.getInt("rendan.projection.pool-size"));
    hikari.setMinimumIdle(1);
    hikari.setConnectionTimeout(db.getDuration("connectionTimeout").toMillis());
    hikari.setAutoCommit(false);
    return new ProjectionJdbc(new HikariDataSource(hikari));
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
