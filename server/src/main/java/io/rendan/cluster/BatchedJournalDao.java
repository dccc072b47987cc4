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
import slick.jdbc.PostgresProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's journal DAO, writing a batch of journal rows and
 * their tag rows in one statement on PostgreSQL, in one JDBC batch on H2,
 * instead of one statement per event.
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
 * <p><b>On PostgreSQL</b> every batch, with tags or without, is one
 * {@code INSERT} of the journal rows, passed as one array per column, inside a
 * data-modifying {@code WITH} whose outer {@code INSERT} writes the tag rows
 * against the orderings the first returns (see {@link #onePostgresStatement}).
 * One statement in autocommit: one round trip, no {@code BEGIN}/{@code COMMIT},
 * no switching of the connection's autocommit, and as atomic as the plugin's
 * transaction (a statement that fails writes nothing). Its text is the same for
 * every batch size, so the driver prepares it once per connection.
 *
 * <p><b>On H2</b> (the embedded default) a batch holding tags goes out as one
 * JDBC batch returning the generated keys, then its tag rows as a second batch,
 * in one transaction; a batch without tags is the plugin's own.
 *
 * <p>Either way the rows are the plugin's, and get their orderings in the
 * plugin's order, by sequence number: the read side (eventsByTag, projections)
 * relies on the ordering of a persistence id's events increasing with their
 * sequence numbers. Reads, deletes and recovery are the plugin's. Chosen by
 * {@code jdbc-journal.dao} (RENDAN_JOURNAL_DAO sets it back to the plugin's for a
 * comparison); the database by the Slick profile, once, at construction.
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  private final String insertEvent;
  private final String insertTag;
  private final String orderingColumn;
  /** The one statement of a batch on PostgreSQL; null on other databases. */
  private final String insertBatch;

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
    this.orderingColumn = events.columnNames().ordering();
    this.insertEvent =
        "INSERT INTO "
            + table(events.schemaName(), events.tableName())
            + " ("
            + columns(events)
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    this.insertTag =
        "INSERT INTO "
            + table(tags.schemaName(), tags.tableName())
            + " ("
            + quote(tags.columnNames().eventId())
            + ", "
            + quote(tags.columnNames().tag())
            + ") VALUES (?, ?)";
    this.insertBatch = profile instanceof PostgresProfile ? onePostgresStatement(events, tags) : null;
  }

  /** The journal's columns in the order both inserts bind them, quoted. */
  private static String columns(EventJournalTableConfiguration events) {
    var c = events.columnNames();
    return String.join(
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
        quote(c.metaSerManifest()));
  }

  /**
   * The statement that writes a batch on PostgreSQL: the journal rows come in
   * as one array per column, in the plugin's order (by sequence number); the
   * tag rows as three arrays (persistence id, sequence number, tag), matched to
   * their journal row's {@code ordering} by the primary key the first
   * {@code INSERT} returns.
   *
   * <p>Why the orderings follow the order of the arrays: {@code WITH ORDINALITY}
   * numbers the rows as {@code unnest} yields them, the {@code SELECT} feeding
   * the {@code INSERT} sorts by that number, and PostgreSQL evaluates the
   * ordering column's default ({@code nextval} of its sequence) row by row in
   * the {@code INSERT}'s own projection, above that sort; a data-modifying
   * statement never runs in parallel. So the rows take their sequence values in
   * array order, as the plugin's JDBC batch did. (Another batch written at the
   * same moment may take values in between, as with the plugin.)
   * {@code BatchedJournalPostgresTest} checks it.
   */
  static String onePostgresStatement(EventJournalTableConfiguration events, EventTagTableConfiguration tags) {
    var c = events.columnNames();
    String journal = table(events.schemaName(), events.tableName());
    return "WITH e AS (INSERT INTO "
        + journal
        + " ("
        + columns(events)
        + ") SELECT r.deleted, r.pid, r.seq, r.writer, r.ts, r.adapter, r.payload, r.ser_id, r.ser_manifest,"
        + " r.meta_payload, r.meta_ser_id, r.meta_ser_manifest"
        + " FROM unnest(?::boolean[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::bytea[],"
        + " ?::integer[], ?::text[], ?::bytea[], ?::integer[], ?::text[])"
        + " WITH ORDINALITY AS r(deleted, pid, seq, writer, ts, adapter, payload, ser_id, ser_manifest,"
        + " meta_payload, meta_ser_id, meta_ser_manifest, n)"
        + " ORDER BY r.n"
        + " RETURNING "
        + quote(c.ordering())
        + ", "
        + quote(c.persistenceId())
        + ", "
        + quote(c.sequenceNumber())
        + ") INSERT INTO "
        + table(tags.schemaName(), tags.tableName())
        + " ("
        + quote(tags.columnNames().eventId())
        + ", "
        + quote(tags.columnNames().tag())
        + ") SELECT e."
        + quote(c.ordering())
        + ", t.tag FROM e JOIN unnest(?::text[], ?::bigint[], ?::text[]) AS t(pid, seq, tag)"
        + " ON e."
        + quote(c.persistenceId())
        + " = t.pid AND e."
        + quote(c.sequenceNumber())
        + " = t.seq";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      scala.collection.immutable.Seq<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> xs) {
    List<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> rows =
        new ArrayList<>(CollectionConverters.asJava(xs));
    if (rows.isEmpty()) {
      return Future.successful(BoxedUnit.UNIT);
    }
    if (insertBatch == null && rows.stream().allMatch(r -> r._2().isEmpty())) {
      return super.writeJournalRows(xs);
    }
    rows.sort(Comparator.comparingLong(r -> r._1().sequenceNumber())); // the plugin's order
    SimpleJdbcAction<BoxedUnit> write =
        new SimpleJdbcAction<>(
            context -> {
              try {
                if (insertBatch != null) {
                  insertInOneStatement(context.connection(), rows);
                } else {
                  insert(context.connection(), rows);
                }
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

  /** PostgreSQL: the batch as one statement, in autocommit (see {@link #onePostgresStatement}). */
  private void insertInOneStatement(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> rows)
      throws SQLException {
    int n = rows.size();
    boolean[] deleted = new boolean[n];
    String[] persistenceIds = new String[n];
    long[] sequenceNumbers = new long[n];
    String[] writers = new String[n];
    long[] writeTimestamps = new long[n];
    String[] adapterManifests = new String[n];
    byte[][] payloads = new byte[n][];
    int[] serIds = new int[n];
    String[] serManifests = new String[n];
    byte[][] metaPayloads = new byte[n][];
    Integer[] metaSerIds = new Integer[n];
    String[] metaSerManifests = new String[n];
    List<String> tagIds = new ArrayList<>();
    List<Long> tagSequenceNumbers = new ArrayList<>();
    List<String> tagNames = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      JournalPekkoSerializationRow row = rows.get(i)._1();
      deleted[i] = row.deleted();
      persistenceIds[i] = row.persistenceId();
      sequenceNumbers[i] = row.sequenceNumber();
      writers[i] = row.writer();
      writeTimestamps[i] = row.writeTimestamp();
      adapterManifests[i] = row.adapterManifest();
      payloads[i] = row.eventPayload();
      serIds[i] = row.eventSerId();
      serManifests[i] = row.eventSerManifest();
      metaPayloads[i] = row.metaPayload().isDefined() ? row.metaPayload().get() : null;
      metaSerIds[i] = row.metaSerId().isDefined() ? (Integer) row.metaSerId().get() : null;
      metaSerManifests[i] = row.metaSerManifest().isDefined() ? row.metaSerManifest().get() : null;
      for (String tag : CollectionConverters.asJava(rows.get(i)._2())) {
        tagIds.add(row.persistenceId());
        tagSequenceNumbers.add(row.sequenceNumber());
        tagNames.add(tag);
      }
    }
    try (PreparedStatement batch = connection.prepareStatement(insertBatch)) {
      // the driver sends each Java array as one PostgreSQL array parameter
      batch.setObject(1, deleted);
      batch.setObject(2, persistenceIds);
      batch.setObject(3, sequenceNumbers);
      batch.setObject(4, writers);
      batch.setObject(5, writeTimestamps);
      batch.setObject(6, adapterManifests);
      batch.setObject(7, payloads);
      batch.setObject(8, serIds);
      batch.setObject(9, serManifests);
      batch.setObject(10, metaPayloads);
      batch.setObject(11, metaSerIds);
      batch.setObject(12, metaSerManifests);
      batch.setObject(13, tagIds.toArray(new String[0]));
      batch.setObject(14, tagSequenceNumbers.stream().mapToLong(Long::longValue).toArray());
      batch.setObject(15, tagNames.toArray(new String[0]));
      batch.executeUpdate();
    }
    if (!connection.getAutoCommit()) {
      connection.commit(); // only where a pool hands out connections outside autocommit: not Rendan's
    }
  }

  /** H2: journal rows as one JDBC batch returning their keys, then the tag rows, in one transaction. */
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

  static String table(scala.Option<String> schema, String table) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(table) : quote(table);
  }

  /** As Slick writes names: quoted, so that they keep their case on H2 as on PostgreSQL. */
  static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
