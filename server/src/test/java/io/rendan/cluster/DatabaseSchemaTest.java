package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.ConfigFactory;
import io.rendan.RendanNode;
import io.rendan.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Several nodes that start at once against one empty PostgreSQL database all get one valid schema, migrated once. */
@Tag("postgres")
class DatabaseSchemaTest {
  static TestPostgres postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Test
  void nodesStartingAtOnceOnAnEmptyDatabaseAllCreateOneValidSchema() throws Exception {
    String url = emptyDatabase("schema_race");
    int nodes = 3;
    List<ActorSystem<Void>> systems = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        systems.add(
            ActorSystem.create(
                Behaviors.empty(),
                "rendan",
                RendanNode.loadConfig(
                    ConfigFactory.parseMap(
                        Map.of(
                            "rendan.db.url", url,
                            "rendan.db.user", "postgres",
                            "rendan.db.password", "postgres",
                            "pekko.actor.provider", "local")))));
      }
      CyclicBarrier together = new CyclicBarrier(nodes);
      List<CompletableFuture<Void>> creations = new ArrayList<>();
      for (ActorSystem<Void> system : systems) {
        creations.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    together.await(30, TimeUnit.SECONDS);
                    DatabaseSchema.migrate(system, true, Duration.ofSeconds(30));
                  } catch (Exception e) {
                    throw new RuntimeException(e);
                  }
                }));
      }
      for (CompletableFuture<Void> creation : creations) {
        creation.get(60, TimeUnit.SECONDS);
      }
    } finally {
      systems.forEach(ActorSystem::terminate);
      for (ActorSystem<Void> system : systems) {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }

    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        Statement s = c.createStatement()) {
      for (String table : List.of("event_journal", "event_tag", "snapshot", "durable_state")) {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
          rs.next();
          assertTrue(rs.getBoolean(1), table + " exists");
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT count(*) FILTER (WHERE NOT i.indisvalid), count(*) FROM pg_index i"
                  + " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                  + " WHERE n.nspname = 'public'"
                  + " AND i.indrelid::regclass::text IN ('event_journal', 'event_tag', 'snapshot', 'durable_state')")) {
        rs.next();
        assertEquals(0, rs.getInt(1), "invalid indexes");
        // primary keys of the four tables, the journal's ordering index and durable_state's two
        assertEquals(7, rs.getInt(2), "indexes");
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE NOT i.indisvalid) FROM pg_index i")) {
        rs.next();
        assertEquals(0, rs.getInt(1), "invalid indexes anywhere");
      }
      try (ResultSet rs =
          s.executeQuery("SELECT count(*), count(DISTINCT version) FROM flyway_schema_history WHERE success AND version <> '0'")) {
        rs.next();
        assertEquals(DatabaseSchemaUpgradeTest.MIGRATIONS, rs.getInt(1), "each migration applied once, by one of the nodes");
        assertEquals(DatabaseSchemaUpgradeTest.MIGRATIONS, rs.getInt(2));
      }
    }
  }

  private static String emptyDatabase(String name) throws Exception {
    return postgres.createDatabase(name);
  }
}
