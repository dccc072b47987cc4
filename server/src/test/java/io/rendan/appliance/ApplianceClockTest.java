package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An appliance's deadlines run on the business clock like a round's: with the
 * clock at 600 times real time, a 60 s heartbeat window passes in a tenth of a
 * real second, not in a real minute.
 */
@Tag("node")
class ApplianceClockTest {
  @TempDir Path dataDir;

  @Test
  void theOfflineAlertFollowsTheBusinessClock() throws Exception {
    Map<String, Object> fast = Map.of("rendan.clock.speed", 600, "rendan.clock.origin", Instant.now().toString());
    try (TestNode node = TestNode.h2(dataDir, fast)) {
      String alice = node.token("alice");
      String meId = parse(node.postJson("/v1/mes", alice, "{\"name\":\"Owner\",\"kind\":\"INTERNAL\"}"), Me.newBuilder()).getMeId();
      String emcId =
          parse(node.postJson("/v1/emcs", alice, "{\"name\":\"L\",\"userGroup\":\"u\",\"ownerMeId\":\"" + meId + "\",\"ownerSide\":\"EXPERIENCE\"}"), Emc.newBuilder())
              .getEmcId();
      ProvisionedAppliance washer =
          parse(
              node.postJson(
                  "/v1/emcs/" + emcId + "/appliances",
                  alice,
                  "{\"type\":\"WASHER\",\"model\":\"m\",\"location\":\"l\",\"heartbeatSeconds\":60,\"tariff\":{\"amountMinor\":0,\"currency\":\"EUR\"}}"),
              ProvisionedAppliance.newBuilder()).build();
      String id = washer.getAppliance().getApplianceId();
      HttpResponse<String> stream =
          node.send(
              HttpRequest.newBuilder(node.uri("/v1/appliances/" + id + "/telemetry"))
                  .header("Authorization", "Device " + washer.getDeviceSecret())
                  .header("Content-Type", "application/x-ndjson")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":\"1\",\"heartbeat\":{}}\n"))
                  .build());
      assertEquals(200, stream.statusCode(), stream.body());
      // a real minute would pass before the alert if the timer took business seconds as real ones
      TestNode.await(
          Duration.ofSeconds(30),
          "the offline alert opens after 60 business seconds",
          () ->
              parse(node.get("/v1/appliances/" + id, alice), Appliance.newBuilder()).getAlertsList().stream()
                  .anyMatch(a -> a.getAlertId().equals("offline")));
    }
  }

  private static <B extends com.google.protobuf.Message.Builder> B parse(HttpResponse<String> r, B builder) throws Exception {
    assertEquals(2, r.statusCode() / 100, r.body());
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), builder);
    return builder;
  }
}
