package io.rendan.bidding;

import static io.rendan.bidding.BiddingStoryTest.parse;
import static io.rendan.bidding.BiddingStoryTest.postCall;
import static io.rendan.bidding.BiddingStoryTest.registerMe;
import static io.rendan.bidding.BiddingStoryTest.startEmc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ListRoundsResponse;
import io.rendan.protocol.api.v1.Round;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/rounds?emcId=}: the rounds of one EMC, as a page watching that EMC needs them. */
@Tag("node")
class RoundDirectoryByEmcTest {
  @TempDir Path dataDir;

  @Test
  void theDirectoryListsOnlyTheRoundsOfTheEmcAskedFor() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      String laundry = startEmc(node, alice, registerMe(node, alice, "Dorm Laundry", "logistics"));
      String food = startEmc(node, alice, registerMe(node, alice, "Food Hall", "logistics"));
      Round inLaundry = postCall(node, alice, laundry, "OPEN", 3600, false);
      Round inFood = postCall(node, alice, food, "SEALED", 3600, false);
      TestNode.await(
          Duration.ofSeconds(20),
          "the directory lists both rounds",
          () -> parse(node.get("/v1/rounds", alice), ListRoundsResponse.newBuilder()).getRoundsCount() == 2);

      assertEquals(List.of(inLaundry.getRoundId()), ids(node, alice, "/v1/rounds?emcId=" + laundry));
      assertEquals(List.of(inFood.getRoundId()), ids(node, alice, "/v1/rounds?status=OPEN&capability=iot-programming&emcId=" + food));
      assertEquals(List.of(), ids(node, alice, "/v1/rounds?emcId=no-such-emc"));
      assertEquals(List.of(), ids(node, alice, "/v1/rounds?status=CLOSED&emcId=" + laundry));

      var invalid = node.get("/v1/rounds?emcId=not%20an%20id", alice);
      assertEquals(400, invalid.statusCode());
      assertTrue(invalid.body().contains("request:invalid"), invalid.body());
    }
  }

  private static List<String> ids(TestNode node, String token, String path) throws Exception {
    var r = node.get(path, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, ListRoundsResponse.newBuilder()).getRoundsList().stream().map(Round::getRoundId).toList();
  }
}
