package io.rendan.load.baseline;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A scratch table shaped like the journal's rows (persistence_id,
 * sequence_number, writer, write_timestamp, a ~200-byte payload, an ordering
 * column with a unique index) on the database the node uses, for the database
 * baselines.
 *
 * @param postgres PostgreSQL (COPY is measured too); otherwise H2
 */
public record ScratchDb(String url, String user, String password, boolean postgres) {
  public static final String TABLE = "lt_scratch_journal";

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }

  /** Creates the table afresh (empty). */
  public void reset() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
      if (postgres) {
        s.execute(
            "CREATE TABLE "
                + TABLE
                + " (ordering BIGSERIAL, persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL,"
                + " writer VARCHAR(255) NOT NULL, write_timestamp BIGINT, payload BYTEA NOT NULL,"
                + " PRIMARY KEY (persistence_id, sequence_number))");
      } else {
        s.execute(
            "CREATE TABLE "
                + TABLE
                + " (ordering BIGINT NOT NULL AUTO_INCREMENT, persistence_id VARCHAR(255) NOT NULL,"
                + " sequence_number BIGINT NOT NULL, writer VARCHAR NOT NULL, write_timestamp BIGINT NOT NULL,"
                + " payload BLOB NOT NULL, PRIMARY KEY (persistence_id, sequence_number))");
      }
      s.execute("CREATE UNIQUE INDEX " + TABLE + "_ordering_idx ON " + TABLE + " (ordering)");
    }
  }

  /** Leaves nothing behind in the node's database. */
  public void drop() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
    }
  }

  public String describe() {
    return postgres ? "PostgreSQL table " + TABLE : "H2 file (WRITE_DELAY=0), table " + TABLE;
  }
}
