package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.Round;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;

/**
 * One sealed round ({@value #ROUND}) with one bidder, for the tests that stop
 * a session (a node's drain, a token's expiry) while bids are in flight: the
 * bids they send, and what the round stored.
 */
final class DrainedBids {
  static final String ROUND = "drain-round";

  private DrainedBids() {}

  static ClientFrame bid(String bidId) {
    return ClientFrame.newBuilder()
        .setRequestId(bidId)
        .setPlaceBid(
            PlaceBidRequest.newBuilder().setRoundId(ROUND).setBidId(bidId).setMeId("bidder").setAskShareBps(3000).setPlan("plan"))
        .build();
  }

  static void postRound(TestNode node, String token) throws Exception {
    assertEquals(201, node.postJson("/v1/mes", token, "{\"meId\":\"owner\",\"name\":\"Owner\",\"kind\":\"INTERNAL\"}").statusCode());
    assertEquals(
        201,
        node.postJson(
                "/v1/mes",
                token,
                "{\"meId\":\"bidder\",\"name\":\"Bidder\",\"kind\":\"INTERNAL\",\"capabilities\":[\"iot-programming\"]}")
            .statusCode());
    assertEquals(
        201,
        node.postJson(
                "/v1/emcs",
                token,
                "{\"emcId\":\"laundry\",\"name\":\"Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"owner\",\"ownerSide\":\"EXPERIENCE\"}")
            .statusCode());
    HttpResponse<String> posted =
        node.postJson(
            "/v1/emcs/laundry/calls",
            token,
            "{\"roundId\":\"" + ROUND + "\",\"closesInSeconds\":3600,\"call\":{\"capability\":\"iot-programming\","
                + "\"side\":\"SOLUTION\",\"role\":\"firmware\",\"maxShareBps\":5000,\"mode\":\"SEALED\","
                + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}}}");
    assertEquals(201, posted.statusCode(), posted.body());
  }

  /** The round's bid ids; fails on a bid held twice. */
  static Set<String> storedBids(TestNode node, String token) throws Exception {
    HttpResponse<String> read = node.get("/v1/rounds/" + ROUND, token);
    assertEquals(200, read.statusCode(), read.body());
    Round.Builder round = Round.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(read.body(), round);
    Set<String> stored = new HashSet<>();
    round.getBidsList().forEach(b -> assertTrue(stored.add(b.getBidId()), "bid " + b.getBidId() + " stored twice"));
    return stored;
  }
}
