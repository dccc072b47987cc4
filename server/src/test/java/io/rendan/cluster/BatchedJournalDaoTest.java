package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.me.MeEntity;
import io.rendan.testkit.TestPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BatchedJournalDao} on both databases: many MEs written at once (every
 * ME event is tagged, so the journal's batches hold tagged rows), then every
 * journal row must have exactly its own tag row — the tag named after its ME,
 * pointing at its {@code ordering} — and every ME must read back the same
 * after a restart.
 */
@Tag("postgres")
class BatchedJournalDaoTest {
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
  void taggedBatchesOnH2() throws Exception {
    check(() -> TestNode.h2(dataDir));
  }

  @Test
  void taggedBatchesOnPostgres() throws Exception {
    String url = postgres.url();
    check(() -> TestNode.postgres(url, "postgres", "postgres"));
  }

  interface Start {
    TestNode start() throws Exception;
  }

  private static void check(Start start) throws Exception {
    Map<String, String> before = new HashMap<>();
    try (TestNode node = start.start()) {
      assertEquals(
          "io.rendan.cluster.BatchedJournalDao", node.config().getString("jdbc-journal.dao"), "the node's journal DAO");
      String alice = node.token("alice");
      String token = alice;
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        List<CompletableFuture<String>> made = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          String name = "Batch Partner " + i;
          made.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      HttpResponse<String> r =
                          node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\"}");
                      assertEquals(201, r.statusCode(), r.body());
                      String id = r.body().replaceAll(".*\"meId\":\"([^\"]+)\".*", "$1");
                      HttpResponse<String> c =
                          node.putJson("/v1/mes/" + id + "/capabilities", token, "{\"capabilities\":[\"washing\"]}");
                      assertEquals(200, c.statusCode(), c.body());
                      return id;
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  },
                  pool));
        }
        for (CompletableFuture<String> f : made) {
          String id = f.get();
          before.put(id, node.get("/v1/mes/" + id, alice).body());
        }
      } finally {
        pool.shutdown();
      }
      int slices = node.config().getInt("rendan.me.tag-slices");
      try (Connection c = node.connection();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT j.\"persistence_id\", t.\"tag\" FROM \"event_journal\" j"
                      + " LEFT JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\""
                      + " WHERE j.\"persistence_id\" LIKE 'Me|%'")) {
        int rows = 0;
        while (rs.next()) {
          rows++;
          String meId = rs.getString(1).substring("Me|".length());
          assertEquals(MeEntity.tag(meId, slices), rs.getString(2), "the tag row of an event of " + meId);
        }
        assertEquals(400, rows, "two events for each of 200 MEs, each with one tag row");
      }
    }
    try (TestNode node = start.start()) {
      String again = node.token("alice");
      for (Map.Entry<String, String> me : before.entrySet()) {
        assertEquals(me.getValue(), node.get("/v1/mes/" + me.getKey(), again).body(), "after a restart");
      }
    }
  }
}
