package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.me.MeEntity;
import io.rendan.testkit.TestPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TagRangeReadJournalDao}: events by tag through the node's read journal
 * are exactly the journal's rows of that tag, in {@code ordering} order, from
 * any offset, also when a query's limit cuts them into several batches; and on
 * H2 the query reads the tag table by its key, not whole.
 */
@Tag("postgres")
class TagRangeReadJournalDaoTest {
  static TestPostgres postgres;
  @TempDir Path dataDir;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Test
  void eventsByTagOnH2InBatchesOfThree() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("jdbc-read-journal.max-buffer-size", 3))) {
      check(node);
      try (Connection c = node.connection();
          PreparedStatement ps = c.prepareStatement("EXPLAIN " + query(node))) {
        for (int i = 1; i <= 6; i++) {
          if (i == 1) {
            ps.setString(i, "me-0");
          } else {
            ps.setLong(i, i == 6 ? 500 : 0);
          }
        }
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          String plan = rs.getString(1);
          assertFalse(plan.contains("tableScan"), "a poll reads no table whole:\n" + plan);
        }
      }
    }
  }

  @Test
  void eventsByTagOnPostgres() throws Exception {
    try (TestNode node = TestNode.postgres(postgres.url(), "postgres", "postgres")) {
      check(node);
    }
  }

  private static String query(TestNode node) {
    ReadJournalConfig config = new ReadJournalConfig(node.config().getConfig("jdbc-read-journal"));
    return TagRangeReadJournalDao.query(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration());
  }

  private static void check(TestNode node) throws Exception {
    assertEquals(
        TagRangeReadJournalDao.class.getName(), node.config().getString("jdbc-read-journal.dao"), "the node's read-journal DAO");
    String token = node.token("alice");
    for (int i = 0; i < 24; i++) {
      HttpResponse<String> r = node.postJson("/v1/mes", token, "{\"name\":\"Tagged " + i + "\",\"kind\":\"INTERNAL\"}");
      assertEquals(201, r.statusCode(), r.body());
    }
    JdbcReadJournal journal =
        PersistenceQuery.get(node.node().system()).getReadJournalFor(JdbcReadJournal.class, "jdbc-read-journal");
    int slices = node.config().getInt("rendan.me.tag-slices");
    int seen = 0;
    for (int slice = 0; slice < slices; slice++) {
      String tag = "me-" + slice;
      List<Long> stored = stored(node, tag);
      seen += stored.size();
      assertEquals(stored, read(node, journal, tag, 0), "every event of " + tag + ", in order");
      if (stored.size() > 1) {
        int half = stored.size() / 2;
        assertEquals(
            stored.subList(half, stored.size()), read(node, journal, tag, stored.get(half - 1)), tag + " after an offset");
      }
      assertEquals(List.of(), read(node, journal, tag, stored.isEmpty() ? 0 : stored.get(stored.size() - 1)), "nothing after the last");
    }
    assertEquals(24, seen, "each registration's event under one of the slices' tags");
    assertTrue(MeEntity.tag("x", slices).startsWith("me-"), "the slices' tags are named as read here");
  }

  /** The orderings of a tag's events, straight from the tables. */
  private static List<Long> stored(TestNode node, String tag) throws Exception {
    List<Long> orderings = new ArrayList<>();
    try (Connection c = node.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT \"event_id\" FROM \"event_tag\" WHERE \"tag\" = ? ORDER BY \"event_id\"")) {
      ps.setString(1, tag);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          orderings.add(rs.getLong(1));
        }
      }
    }
    return orderings;
  }

  private static List<Long> read(TestNode node, JdbcReadJournal journal, String tag, long after) throws Exception {
    return journal
        .currentEventsByTag(tag, Offset.sequence(after))
        .map(EventEnvelope::offset)
        .map(o -> ((Sequence) o).value())
        .runWith(Sink.seq(), node.node().system())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }
}
