package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.testkit.TestPostgres;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.journal.Tagged;
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
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@link BatchedJournalDao} as the node's journal writes it: batches handed to
 * the journal plugin in one {@code WriteMessages} (one batch of the DAO), with
 * tags and without, read back by persistence id and by tag in sequence-number
 * order, with orderings increasing with sequence numbers; and a batch that the
 * database refuses (one duplicate of a stored event) writing nothing at all. On
 * PostgreSQL (one statement per batch) and on H2 (a JDBC batch per table).
 */
@Tag("postgres")
class BatchedJournalPostgresTest {
  private static final int IDS = 40;
  private static final int EVENTS = 5;

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
  void batchesOnPostgres() throws Exception {
    try (TestNode node = TestNode.postgres(postgres.url(), "postgres", "postgres")) {
      check(node);
    }
  }

  @Test
  void batchesOnH2() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      check(node);
    }
  }

  private static void check(TestNode node) throws Exception {
    ActorSystem<Void> system = node.node().system();
    ActorRef journal = Persistence.get(Adapter.toClassic(system)).journalFor("jdbc-journal", ConfigFactory.empty());
    TestProbe<Object> probe = TestProbe.create(system);
    String run = Long.toString(System.nanoTime(), 36);

    // one batch: IDS persistence ids of EVENTS events each, every other id tagged, the
    // writes of an id handed over from its last event to its first (the DAO sorts them)
    List<AtomicWrite> tagged = new ArrayList<>();
    for (int i = 0; i < IDS; i++) {
      for (int seq = EVENTS; seq >= 1; seq--) {
        tagged.add(write(id(run, i), seq, i % 2 == 0 ? Set.of(tag(run, i), "all-" + run) : Set.of()));
      }
    }
    assertTrue(write(journal, probe, tagged), "a batch with and without tags is stored");
    // a batch without any tag, of new ids and of the next events of stored ones
    List<AtomicWrite> untagged = new ArrayList<>();
    for (int i = 0; i < IDS; i++) {
      untagged.add(write(id(run, i), EVENTS + 1, Set.of()));
      untagged.add(write("batch-" + run + "-new-" + i, 1, Set.of()));
    }
    assertTrue(write(journal, probe, untagged), "a batch without tags is stored");
    long rows = node.queryLong("SELECT count(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'batch-" + run + "-%'");
    assertEquals(IDS * (EVENTS + 2), rows, "every row of both batches");

    // a batch the database refuses: new events, and one event stored already
    List<AtomicWrite> refused = new ArrayList<>();
    for (int i = 0; i < IDS; i++) {
      refused.add(write(id(run, i), EVENTS + 2, Set.of(tag(run, i))));
    }
    refused.add(write(id(run, 3), 1, Set.of(tag(run, 3))));
    assertFalse(write(journal, probe, refused), "a batch with a duplicate is refused");
    assertEquals(
        rows,
        node.queryLong("SELECT count(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'batch-" + run + "-%'"),
        "nothing of the refused batch is stored");
    assertEquals(
        (long) (IDS / 2) * EVENTS * 2,
        node.queryLong(
            "SELECT count(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
                + " WHERE j.\"persistence_id\" LIKE 'batch-" + run + "-%'"),
        "two tag rows for each tagged event, none of the refused batch");

    JdbcReadJournal reads = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    for (int i = 0; i < IDS; i++) {
      List<EventEnvelope> events =
          reads.currentEventsByPersistenceId(id(run, i), 0, Long.MAX_VALUE).runWith(Sink.seq(), system).toCompletableFuture().get();
      assertEquals(EVENTS + 1, events.size(), "the events of " + id(run, i));
      long ordering = 0;
      for (int seq = 1; seq <= EVENTS + 1; seq++) {
        EventEnvelope e = events.get(seq - 1);
        assertEquals(seq, e.sequenceNr());
        assertEquals(id(run, i) + "#" + seq, new String((byte[]) e.event(), StandardCharsets.UTF_8));
        long next = ((Sequence) e.offset()).value();
        assertTrue(next > ordering, "the ordering of " + id(run, i) + " #" + seq + " after that of the one before");
        ordering = next;
      }
    }
    // by tag: the read journal sees rows once its view of the highest ordering catches up
    String firstTag = tag(run, 0);
    TestNode.await(
        Duration.ofSeconds(30),
        "the tagged events readable by tag",
        () -> byTag(reads, system, "all-" + run).size() == (IDS / 2) * EVENTS);
    List<EventEnvelope> all = byTag(reads, system, "all-" + run);
    long ordering = 0;
    for (EventEnvelope e : all) {
      long next = ((Sequence) e.offset()).value();
      assertTrue(next > ordering, "events by tag in ordering order");
      ordering = next;
    }
    List<EventEnvelope> one = byTag(reads, system, firstTag);
    assertEquals(EVENTS, one.size(), "the events of one tag");
    for (int seq = 1; seq <= EVENTS; seq++) {
      assertEquals(id(run, 0), one.get(seq - 1).persistenceId());
      assertEquals(seq, one.get(seq - 1).sequenceNr(), "by tag, in sequence-number order");
    }
    assertTrue(byTag(reads, system, tag(run, 1)).isEmpty(), "an untagged id has no events by tag");

    // every ordering of the batches follows sequence numbers across ids too: the batch's
    // rows are numbered in the plugin's order (sequence number, then as handed over)
    try (Connection c = node.connection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT \"sequence_number\" FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'batch-"
                    + run
                    + "-%' AND \"persistence_id\" NOT LIKE '%-new-%' AND \"sequence_number\" <= "
                    + EVENTS
                    + " ORDER BY \"ordering\"")) {
      long seq = 0;
      while (rs.next()) {
        assertTrue(rs.getLong(1) >= seq, "the first batch's orderings in sequence-number order");
        seq = rs.getLong(1);
      }
    }
  }

  private static List<EventEnvelope> byTag(JdbcReadJournal reads, ActorSystem<Void> system, String tag)
      throws Exception {
    return reads.currentEventsByTag(tag, Offset.noOffset()).runWith(Sink.seq(), system).toCompletableFuture().get();
  }

  private static String id(String run, int i) {
    return "batch-" + run + "-" + i;
  }

  private static String tag(String run, int i) {
    return "tag-" + run + "-" + i;
  }

  private static AtomicWrite write(String id, long seq, Set<String> tags) {
    byte[] payload = (id + "#" + seq).getBytes(StandardCharsets.UTF_8);
    Object event = tags.isEmpty() ? payload : new Tagged(payload, tags);
    return AtomicWrite.apply(PersistentRepr.apply(event, seq, id, "", false, ActorRef.noSender(), "writer-" + id));
  }

  /** Hands the writes to the journal as one {@code WriteMessages}; whether they were stored. */
  private static boolean write(ActorRef journal, TestProbe<Object> probe, List<AtomicWrite> writes) {
    journal.tell(
        new JournalProtocol.WriteMessages(
            CollectionConverters.asScala(new ArrayList<org.apache.pekko.persistence.PersistentEnvelope>(writes)).toList(),
            Adapter.toClassic(probe.ref()),
            1),
        ActorRef.noSender());
    Object answer = probe.receiveMessage(Duration.ofSeconds(30));
    int replies = writes.size(); // one AtomicWrite of one event each
    for (int i = 0; i < replies; i++) {
      probe.receiveMessage(Duration.ofSeconds(30));
    }
    if (answer instanceof JournalProtocol.WriteMessagesFailed) {
      return false;
    }
    assertSame(JournalProtocol.WriteMessagesSuccessful$.MODULE$, answer);
    return true;
  }
}
