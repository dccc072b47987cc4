package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rendan.TestNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a caller without credentials can make the node hold: no entity and no
 * journal row for a telemetry request with a wrong secret. (The console's cache:
 * {@code console/ConsoleCacheTest}.)
 */
@Tag("node")
class UnauthenticatedGrowthTest {
  @TempDir Path dataDir;

  @Test
  void telemetryWithAWrongSecretForUnknownAppliancesStoresNothing() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      for (int i = 0; i < 200; i++) {
        HttpResponse<String> r =
            node.send(
                HttpRequest.newBuilder(node.uri("/v1/appliances/unknown-" + i + "/telemetry"))
                    .header("Authorization", "Device wrong-secret")
                    .header("Content-Type", "application/x-ndjson")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":\"1\",\"heartbeat\":{}}\n"))
                    .build());
        assertEquals(401, r.statusCode(), r.body());
      }
      assertEquals(0, node.journalRows());
      assertEquals(
          0,
          node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE '/sharding/ApplianceShard%'"),
          "no appliance entity was remembered");
    }
  }
}
