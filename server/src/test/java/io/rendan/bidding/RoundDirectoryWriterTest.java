package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.bidding.RoundEvents.BidAwarded;
import io.rendan.bidding.RoundEvents.BidWithdrawn;
import io.rendan.bidding.RoundEvents.BidsPlaced;
import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEvents.Event;
import io.rendan.bidding.RoundEntity.Mode;
import io.rendan.bidding.RoundEvents.RoundClosed;
import io.rendan.bidding.RoundEvents.RoundPosted;
import io.rendan.cluster.DatabaseSchema;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The directory's projection writes a group of events at once, keeping only the
 * last bid counters of each round: whatever the grouping, the table must end as
 * applying the events one by one leaves it.
 */
@Tag("unit")
class RoundDirectoryWriterTest {
  private static final Call CALL =
      new Call("iot-programming", Side.SOLUTION, "firmware", "", 2_000, Mode.SEALED, 0, 0, false, new Target(Metric.CYCLES, 10), 3, null);
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

  @Test
  void anyGroupingOfEventsLeavesTheTableAsOneByOne() throws Exception {
    for (long seed = 1; seed <= 20; seed++) {
      List<EventEnvelope<Event>> journal = journal(new Random(seed));
      List<List<String>> oneByOne = applyInGroups(journal, new Random(seed), 1, "one" + seed);
      List<List<String>> grouped = applyInGroups(journal, new Random(seed), 40, "grouped" + seed);
      assertFalse(oneByOne.isEmpty());
      assertEquals(oneByOne, grouped, "seed " + seed);
    }
  }

  @Test
  void aRoundClosedAfterBidsInTheSameGroupCountsThoseBids() throws Exception {
    List<EventEnvelope<Event>> events =
        List.of(
            envelope("r1", 1, new RoundPosted("r1", "emc", "owner", CALL, T0.plusSeconds(60), T0)),
            envelope("r1", 2, new BidsPlaced("r1", List.of(), T0.plusSeconds(60), 2, 1_500, T0)),
            envelope("r1", 3, new RoundClosed("r1", null, null, T0.plusSeconds(60))));
    List<List<String>> rows = applyInGroups(events, new Random(1), 1_000, "closed");
    assertEquals(List.of(List.of("r1", "CLOSED", "2", "1500", String.valueOf(T0.plusSeconds(60).toEpochMilli()), "3")), rows);
  }

  /** Three rounds, their events interleaved as tags deliver them, each round's in order. */
  private static List<EventEnvelope<Event>> journal(Random random) {
    List<EventEnvelope<Event>> out = new ArrayList<>();
    String[] rounds = {"a", "b", "c"};
    long[] seq = new long[rounds.length];
    boolean[] finished = new boolean[rounds.length];
    for (int i = 0; i < rounds.length; i++) {
      out.add(envelope(rounds[i], ++seq[i], new RoundPosted(rounds[i], "emc", "owner", CALL, T0.plusSeconds(600), T0)));
    }
    for (int step = 0; step < 60; step++) {
      int i = random.nextInt(rounds.length);
      if (finished[i]) {
        continue;
      }
      String id = rounds[i];
      int roll = random.nextInt(20);
      Integer best = random.nextBoolean() ? null : 100 + random.nextInt(1_000);
      Event event =
          roll < 12
              ? new BidsPlaced(id, List.of(), T0.plusSeconds(600 + step), random.nextInt(50), best, T0)
              : roll < 18
                  ? new BidWithdrawn(id, "bid", random.nextInt(50), best, T0)
                  : roll < 19 ? new RoundClosed(id, null, null, T0) : new BidAwarded(id, "bid", "inv", T0);
      finished[i] = event instanceof RoundClosed || event instanceof BidAwarded;
      out.add(envelope(id, ++seq[i], event));
    }
    return out;
  }

  private static EventEnvelope<Event> envelope(String roundId, long seqNr, Event event) {
    return EventEnvelope.create(Sequence.apply(seqNr), RoundEntity.persistenceId(roundId).id(), seqNr, event, 0L);
  }

  /** Applies the events in groups of 1 to {@code maxGroup}, each group one transaction; answers the table. */
  private static List<List<String>> applyInGroups(
      List<EventEnvelope<Event>> events, Random random, int maxGroup, String database) throws Exception {
    Config config =
        ConfigFactory.parseString(
            "pekko-persistence-jdbc.shared-databases.slick.db { url = \"jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1\", "
                + "user = sa, password = \"\", driver = org.h2.Driver, connectionTimeout = 5s }\n"
                + "rendan.projection.pool-size = 1\nrendan.projection.read-pool-size = 1");
    try (ProjectionJdbc jdbc = ProjectionJdbc.start(null, config)) {
      DatabaseSchema.migrate(config, false);
      RoundDirectory.Writer writer = new RoundDirectory.Writer();
      int i = 0;
      while (i < events.size()) {
        int size = 1 + random.nextInt(maxGroup);
        List<EventEnvelope<Event>> group = events.subList(i, Math.min(events.size(), i + size));
        ProjectionJdbc.Session session = jdbc.sessions().get();
        try {
          writer.process(session, group);
          session.commit();
        } finally {
          session.close();
        }
        i += group.size();
      }
      return jdbc.query(
          connection -> {
            List<List<String>> rows = new ArrayList<>();
            try (Statement s = connection.createStatement();
                ResultSet rs =
                    s.executeQuery(
                        "SELECT round_id, status, bid_count, best_ask_bps, closes_at, version FROM rendan_round_directory ORDER BY round_id")) {
              while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int c = 1; c <= 6; c++) {
                  row.add(String.valueOf(rs.getObject(c)));
                }
                rows.add(row);
              }
            }
            return rows;
          });
    }
  }
}
