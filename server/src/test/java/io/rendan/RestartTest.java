package io.rendan;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node on an H2 file is stopped and started again: what it acknowledged is there. */
@Tag("node")
class RestartTest {
  @TempDir Path dataDir;

  @Test
  void anMeSurvivesARestartOfTheNode() throws Exception {
    String id;
    String before;
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      var created = node.postJson("/v1/mes", alice, "{\"name\":\"Durable Dryers\",\"kind\":\"INTERNAL\",\"capabilities\":[\"dryers\"]}");
      assertEquals(201, created.statusCode());
      id = created.body().replaceAll(".*\"meId\":\"([^\"]+)\".*", "$1");
      assertEquals(200, node.putJson("/v1/mes/" + id + "/capabilities", alice, "{\"capabilities\":[\"dryers\",\"logistics\"]}").statusCode());
      before = node.get("/v1/mes/" + id, alice).body();
    }
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      var after = node.get("/v1/mes/" + id, alice);
      assertEquals(200, after.statusCode(), after.body());
      assertEquals(before, after.body());
      var changed = node.putJson("/v1/mes/" + id + "/capabilities", alice, "{\"capabilities\":[]}");
      assertEquals(200, changed.statusCode());
      assertTrue(changed.body().contains("\"version\":\"3\""), changed.body());
    }
  }
}
