package io.rendan.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Tuple2;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's journal DAO, writing a batch that holds tagged
 * events as one JDBC batch instead of one statement per event.
 *
 * <p>The plugin writes the events of all entities of a node in batches (up to
 * {@code jdbc-journal.batchSize} rows, one transaction each). A batch without
 * tags goes out as one JDBC batch; but as soon as one event of it is tagged,
 * the plugin inserts every row of it with its own {@code INSERT ... RETURNING}
 * (Slick's insert-returning runs one statement per row), to learn the
 * {@code ordering} each tag row points at. Nearly every batch here holds a
 * tagged event (MEs, EMCs and rounds tag all of theirs, appliances their
 * metered cycles), so under load a batch of 400 rows cost 400 round trips to
 * the database, each waiting for its answer, while the entities behind it wait
 * for their acks.
 *
 * <p>This DAO sends the journal rows of such a batch as one JDBC batch that
 * returns the generated keys ({@code executeBatch} with
 * {@code getGeneratedKeys}: pipelined by the PostgreSQL driver, supported by
 * H2), then the tag rows as a second batch, in the same transaction, and
 * commits once: the same rows as the plugin's, in the same order. Batches
 * without tags, and everything else (reads, deletes, recovery), are the
 * plugin's own. Chosen by {@code jdbc-journal.dao} (RENDAN_JOURNAL_DAO sets it
 * back to the plugin's for a comparison).
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  private final String insertEvent;
  private final String insertTag;
  private final String orderingColumn;

  public BatchedJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig journalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    EventJournalTableConfiguration events = journalConfig.eventJournalTableConfiguration();
    EventTagTableConfiguration tags = journalConfig.eventTagTableConfiguration();
    var c = events.columnNames();
    this.orderingColumn = c.ordering();
    this.insertEvent =
        "INSERT INTO "
            + table(events.schemaName(), events.tableName())
            + " ("
            + String.join(
                ", ",
                quote(c.deleted()),
                quote(c.persistenceId()),
                quote(c.sequenceNumber()),
                quote(c.writer()),
                quote(c.writeTimestamp()),
                quote(c.adapterManifest()),
                quote(c.eventPayload()),
                quote(c.eventSerId()),
                quote(c.eventSerManifest()),
                quote(c.metaPayload()),
                quote(c.metaSerId()),
                quote(c.metaSerManifest()))
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    this.insertTag =
        "INSERT INTO "
            + table(tags.schemaName(), tags.tableName())
            + " ("
            + quote(tags.columnNames().eventId())
            + ", "
            + quote(tags.columnNames().tag())
            + ") VALUES (?, ?)";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      scala.collection.immutable.Seq<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> xs) {
    List<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> rows =
        new ArrayList<>(CollectionConverters.asJava(xs));
    if (rows.stream().allMatch(r -> r._2().isEmpty())) {
      return super.writeJournalRows(xs);
    }
    rows.sort(Comparator.comparingLong(r -> r._1().sequenceNumber())); // the plugin's order
    SimpleJdbcAction<BoxedUnit> write =
        new SimpleJdbcAction<>(
            context -> {
              try {
                insert(context.connection(), rows);
              } catch (SQLException e) {
                throw new IllegalStateException("journal write failed: " + e.getMessage(), e);
              }
              return BoxedUnit.UNIT;
            });
    // Slick's effect type is contravariant, which Java's generics cannot say: the cast is what Scala infers
    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<BoxedUnit> done = db().run((DBIOAction) write);
    return done;
  }

  private void insert(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> rows)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      long[] orderings = new long[rows.size()];
      try (PreparedStatement events = connection.prepareStatement(insertEvent, new String[] {orderingColumn})) {
        for (Tuple2<JournalPekkoSerializationRow, ?> r : rows) {
          bind(events, r._1());
          events.addBatch();
        }
        events.executeBatch();
        int n = 0;
        try (ResultSet keys = events.getGeneratedKeys()) {
          while (keys.next()) {
            if (n == orderings.length) {
              throw new SQLException("the database returned more keys than rows were inserted");
            }
            orderings[n++] = keys.getLong(1);
          }
        }
        if (n != orderings.length) {
          throw new SQLException("the database returned " + n + " keys for " + orderings.length + " rows");
        }
      }
      try (PreparedStatement tags = connection.prepareStatement(insertTag)) {
        for (int i = 0; i < rows.size(); i++) {
          for (String tag : CollectionConverters.asJava(rows.get(i)._2())) {
            tags.setLong(1, orderings[i]);
            tags.setString(2, tag);
            tags.addBatch();
          }
        }
        tags.executeBatch();
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        connection.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  private static void bind(PreparedStatement s, JournalPekkoSerializationRow row) throws SQLException {
    s.setBoolean(1, row.deleted());
    s.setString(2, row.persistenceId());
    s.setLong(3, row.sequenceNumber());
    s.setString(4, row.writer());
    s.setLong(5, row.writeTimestamp());
    s.setString(6, row.adapterManifest());
    s.setBytes(7, row.eventPayload());
    s.setInt(8, row.eventSerId());
    s.setString(9, row.eventSerManifest());
    if (row.metaPayload().isDefined()) {
      s.setBytes(10, row.metaPayload().get());
    } else {
      s.setNull(10, Types.BINARY);
    }
    if (row.metaSerId().isDefined()) {
      s.setInt(11, (Integer) row.metaSerId().get());
    } else {
      s.setNull(11, Types.INTEGER);
    }
    if (row.metaSerManifest().isDefined()) {
      s.setString(12, row.metaSerManifest().get());
    } else {
      s.setNull(12, Types.VARCHAR);
    }
  }

  private static String table(scala.Option<String> schema, String table) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(table) : quote(table);
  }

  /** As Slick writes names: quoted, so that they keep their case on H2 as on PostgreSQL. */
  private static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
