package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Round;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spot checks of bad input on each aggregate's routes, by the objects' own
 * operator: 400 with a stable code, no stack trace, nothing stored. (Each
 * aggregate's own tests check its rules in depth; this is the security view:
 * malformed input never reaches an entity nor fails as a 500.)
 */
@Tag("node")
class MalformedInputTest {
  @TempDir static Path dir;
  static TestNode node;
  static String alice, meId, emcId, roundId, applianceId;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dir);
    alice = node.token("alice");
    meId = parse(node.postJson("/v1/mes", alice, "{\"name\":\"Owner\",\"kind\":\"INTERNAL\"}"), Me.newBuilder()).getMeId();
    emcId =
        parse(node.postJson("/v1/emcs", alice, "{\"name\":\"L\",\"userGroup\":\"u\",\"ownerMeId\":\"" + meId + "\",\"ownerSide\":\"EXPERIENCE\"}"), Emc.newBuilder())
            .getEmcId();
    roundId =
        parse(node.postJson(
                "/v1/emcs/" + emcId + "/calls",
                alice,
                "{\"call\":{\"capability\":\"x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"maxShareBps\":100,\"mode\":\"SEALED\","
                    + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}},\"closesInSeconds\":3600}"),
            Round.newBuilder()).getRoundId();
    applianceId =
        parse(node.postJson("/v1/emcs/" + emcId + "/appliances", alice, "{\"type\":\"WASHER\",\"model\":\"m\",\"location\":\"l\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}"),
                ProvisionedAppliance.newBuilder())
            .getAppliance().getApplianceId();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void badJsonBadProtobufAndWrongTypesAreMalformed() throws Exception {
    assertBad(node.postJson("/v1/mes", alice, "{\"name\":"), "request:malformed");
    assertBad(node.putJson("/v1/mes/" + meId + "/capabilities", alice, "{\"capabilities\":\"not-a-list\"}"), "request:malformed");
    assertBad(node.postJson("/v1/emcs", alice, "{\"name\":[1,2]}"), "request:malformed");
    assertBad(node.postJson("/v1/rounds/" + roundId + "/bids", alice, "{\"askShareBps\":\"many\"}"), "request:malformed");
    assertBad(node.postJson("/v1/appliances/" + applianceId + "/reservations", alice, "{\"from\":\"yesterday\"}"), "request:malformed");
    assertBad(node.postJson("/v1/emcs/" + emcId + "/revenue", alice, "{\"amountMinor\":1.5}"), "request:malformed");
    assertBad(node.postJson("/v1/mes", alice, "{\"unknownField\":true}"), "request:malformed");
    HttpResponse<String> protobuf =
        node.send(
            node.request("/v1/emcs/" + emcId + "/invitations", alice)
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01}))
                .build());
    assertBad(protobuf, "request:malformed");
  }

  @Test
  void negativeMoneySharesOverTheWholeAndPastTimesAreInvalid() throws Exception {
    assertBad(
        node.postJson("/v1/emcs/" + emcId + "/revenue", alice, "{\"revenueId\":\"r1\",\"amountMinor\":\"-100\",\"currency\":\"EUR\",\"source\":\"x\"}"),
        "request:invalid");
    assertBad(
        node.postJson("/v1/emcs/" + emcId + "/appliances", alice, "{\"type\":\"WASHER\",\"model\":\"m\",\"location\":\"l\",\"tariff\":{\"amountMinor\":-1,\"currency\":\"EUR\"}}"),
        "request:invalid");
    assertBad(
        node.postJson(
            "/v1/emcs/" + emcId + "/invitations",
            alice,
            "{\"meId\":\"" + meId + "-x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"terms\":{\"shareBps\":10001,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}}}"),
        "request:invalid");
    assertBad(
        node.postJson("/v1/rounds/" + roundId + "/bids", alice, "{\"bidId\":\"b\",\"meId\":\"" + meId + "\",\"askShareBps\":10001,\"plan\":\"p\"}"),
        "request:invalid");
    assertBad(
        node.postJson(
            "/v1/emcs/" + emcId + "/calls",
            alice,
            "{\"call\":{\"capability\":\"x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"maxShareBps\":100,\"mode\":\"SEALED\","
                + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}},\"closesAt\":\"2020-01-01T00:00:00Z\"}"),
        "request:invalid");
    Instant past = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    assertBad(
        node.postJson("/v1/appliances/" + applianceId + "/reservations", alice, "{\"from\":\"" + past + "\",\"to\":\"" + past.plus(Duration.ofHours(1)) + "\"}"),
        "request:invalid");
  }

  private static void assertBad(HttpResponse<String> r, String code) throws Exception {
    String what = r.request().method() + " " + r.request().uri().getPath() + ": " + r.statusCode() + " " + r.body();
    assertEquals(400, r.statusCode(), what);
    assertTrue(r.body().contains("\"code\":\"" + code + "\""), what);
    assertFalse(r.body().matches("(?s).*(Exception|\\tat [a-z]|\\.java:\\d).*"), what);
    assertTrue(Set.of("application/json").contains(r.headers().firstValue("Content-Type").orElse("")), what);
  }

  private static <B extends com.google.protobuf.Message.Builder> B parse(HttpResponse<String> r, B builder) throws Exception {
    assertTrue(r.statusCode() / 100 == 2, r.body());
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), builder);
    return builder;
  }
}
