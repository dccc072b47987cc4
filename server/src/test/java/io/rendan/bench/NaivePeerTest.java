package io.rendan.bench;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's naive peer: one stored event per bid, answered after it is stored, for
 * admins only, and only on a node with the bench routes on (TestNode turns them on).
 */
@Tag("node")
class NaivePeerTest {
  @TempDir Path dataDir;

  @Test
  void eachBidIsOneStoredEventAndOnlyAdminsMayPlaceThem() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      String admin = node.token("bench", "admin");
      String path = "/v1/admin/naive-rounds/nr-7/bids";
      for (int i = 1; i <= 3; i++) {
        var r = node.postJson(path, admin, "{\"bidId\":\"b" + i + "\",\"meId\":\"me-" + i + "\",\"askShareBps\":" + (100 * i) + ",\"plan\":\"p\"}");
        assertEquals(200, r.statusCode(), r.body());
        // answered once stored: the row is there when the answer is
        assertEquals(i, node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'NaiveRound|nr-7'"));
      }
      long rows = node.journalRows();
      var operator = node.postJson(path, node.token("alice"), "{\"bidId\":\"b9\",\"meId\":\"me-9\",\"askShareBps\":100}");
      assertEquals(403, operator.statusCode(), operator.body());
      var invalid = node.postJson(path, admin, "{\"bidId\":\"\",\"meId\":\"me-9\",\"askShareBps\":0}");
      assertEquals(400, invalid.statusCode(), invalid.body());
      assertTrue(invalid.body().contains("request:invalid"), invalid.body());
      assertEquals(rows, node.journalRows(), "refused bids store nothing");
      // untagged: no read model (round directory, awards) sees the naive rounds
      assertEquals(
          0,
          node.queryLong(
              "SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON t.\"event_id\" = j.\"ordering\" WHERE j.\"persistence_id\" LIKE 'NaiveRound|%'"));
    }
  }

  @Test
  void aNodeWithoutTheBenchSettingServesNeitherBenchRoute() throws Exception {
    try (TestNode node = TestNode.h2(dataDir, Map.of("rendan.bench.enabled", false))) {
      String admin = node.token("bench", "admin");
      var naive = node.postJson("/v1/admin/naive-rounds/nr-1/bids", admin, "{\"bidId\":\"b1\",\"meId\":\"me-1\",\"askShareBps\":100}");
      assertEquals(404, naive.statusCode(), naive.body());
      var sink = node.send(node.request("/v1/admin/sink/s-1/telemetry", admin)
          .header("Content-Type", "application/x-ndjson")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"seq\":1,\"heartbeat\":{}}\n"))
          .build());
      assertEquals(404, sink.statusCode(), sink.body());
      assertEquals(0, node.queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'NaiveRound|%'"));
    }
  }
}
