package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without dev mode there is no way to mint tokens on the server. */
@Tag("node")
class DevModeOffTest {
  @TempDir Path dataDir;

  @Test
  void devTokenRouteDoesNotExistOutsideDevMode() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.dev-mode", "false"))) {
      assertFalse(node.node().devMode());
      var r = node.postJson("/v1/dev/tokens", null, "{\"subject\":\"mallory\"}");
      assertEquals(404, r.statusCode());
      assertTrue(r.body().contains("route:not-found"));
      // tokens signed with the configured secret still work
      assertEquals(404, node.get("/v1/mes/unknown", node.token("alice")).statusCode());
    }
  }
}
