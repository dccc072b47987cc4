package io.rendan.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * pekko-persistence-jdbc's read-journal DAO, with the one query every
 * projection runs several times a second, events by tag, written so that the
 * database reads only the events it asks for.
 *
 * <p>The plugin's query joins the journal to the tag rows on
 * {@code ordering = event_id} and bounds only the journal's {@code ordering}
 * ({@code > offset AND <= max}). H2 (the embedded default) then starts from the
 * tag table and reads all of it, every row of every tag ever written, for each
 * poll of each slice of each projection (its plan: {@code event_tag.tableScan}),
 * about 150 polls a second: in the prospectus benchmark those polls were 75 % of
 * the memory the node allocated (docs/BENCHMARKS.md, "Quiet runs, and every
 * poll reading H2's whole tag table"). This query
 * bounds the tag row's {@code event_id} by the same range, so both databases
 * read the new part of the tag table's primary key {@code (event_id, tag)}
 * and nothing else. Same rows, same order, same limit as the plugin's; the
 * other queries (by persistence id, the sequence of orderings) are the
 * plugin's. Chosen by {@code jdbc-read-journal.dao}.
 */
public final class TagRangeReadJournalDao extends DefaultReadJournalDao {
  private final String eventsByTag;
  private final Serialization serialization;

  public TagRangeReadJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    this.eventsByTag = query(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration());
  }

  static String query(EventJournalTableConfiguration events, EventTagTableConfiguration tags) {
    var c = events.columnNames();
    var t = tags.columnNames();
    String ordering = "j." + BatchedJournalDao.quote(c.ordering());
    String eventId = "t." + BatchedJournalDao.quote(t.eventId());
    return "SELECT "
        + String.join(
            ", ",
            ordering,
            "j." + BatchedJournalDao.quote(c.deleted()),
            "j." + BatchedJournalDao.quote(c.persistenceId()),
            "j." + BatchedJournalDao.quote(c.sequenceNumber()),
            "j." + BatchedJournalDao.quote(c.writer()),
            "j." + BatchedJournalDao.quote(c.writeTimestamp()),
            "j." + BatchedJournalDao.quote(c.adapterManifest()),
            "j." + BatchedJournalDao.quote(c.eventPayload()),
            "j." + BatchedJournalDao.quote(c.eventSerId()),
            "j." + BatchedJournalDao.quote(c.eventSerManifest()),
            "j." + BatchedJournalDao.quote(c.metaPayload()),
            "j." + BatchedJournalDao.quote(c.metaSerId()),
            "j." + BatchedJournalDao.quote(c.metaSerManifest()))
        + " FROM "
        + BatchedJournalDao.table(tags.schemaName(), tags.tableName())
        + " t JOIN "
        + BatchedJournalDao.table(events.schemaName(), events.tableName())
        + " j ON "
        + ordering
        + " = "
        + eventId
        + " WHERE "
        + "t." + BatchedJournalDao.quote(t.tag())
        + " = ? AND "
        + eventId
        + " > ? AND "
        + eventId
        + " <= ? AND "
        + ordering
        + " > ? AND "
        + ordering
        + " <= ? AND j."
        + BatchedJournalDao.quote(c.deleted())
        + " = FALSE ORDER BY "
        + ordering
        + " LIMIT ?";
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    SimpleJdbcAction<List<JournalPekkoSerializationRow>> read =
        new SimpleJdbcAction<>(
            context -> {
              try {
                return rows(context.connection(), tag, offset, maxOffset, Math.min(max, Integer.MAX_VALUE));
              } catch (SQLException e) {
                throw new IllegalStateException("events by tag failed: " + e.getMessage(), e);
              }
            });
    // Slick's effect type is contravariant, which Java's generics cannot say: the cast is what Scala infers
    @SuppressWarnings({"unchecked", "rawtypes"})
    Future<List<JournalPekkoSerializationRow>> rows = db().run((DBIOAction) read);
    Set<String> noTags = scala.collection.immutable.Set$.MODULE$.empty(); // the plugin's does not fill them either
    return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows))
        .mapConcat(list -> list)
        .map(row -> PekkoSerialization.fromRow(serialization, row).map(r -> new Tuple3<>(r._1(), noTags, r._2())))
        .asScala();
  }

  private List<JournalPekkoSerializationRow> rows(Connection connection, String tag, long offset, long maxOffset, long max)
      throws SQLException {
    List<JournalPekkoSerializationRow> rows = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(eventsByTag)) {
      ps.setString(1, tag);
      ps.setLong(2, offset);
      ps.setLong(3, maxOffset);
      ps.setLong(4, offset);
      ps.setLong(5, maxOffset);
      ps.setLong(6, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byte[] meta = rs.getBytes(11);
          int metaSerId = rs.getInt(12);
          Option<Object> metaSer = rs.wasNull() ? Option.empty() : Option.apply(metaSerId);
          rows.add(
              new JournalPekkoSerializationRow(
                  rs.getLong(1),
                  rs.getBoolean(2),
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getString(5),
                  rs.getLong(6),
                  rs.getString(7),
                  rs.getBytes(8),
                  rs.getInt(9),
                  rs.getString(10),
                  Option.apply(meta),
                  metaSer,
                  Option.apply(rs.getString(13))));
        }
      }
    }
    return rows;
  }
}
