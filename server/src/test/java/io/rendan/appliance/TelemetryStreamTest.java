package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device stream on a real node, with a client that writes a chunked body
 * over a raw socket and reads the acks while it writes: cut and resumed
 * streams, both encodings, refused lines, refused secrets, the rate limit.
 */
@Tag("node")
class TelemetryStreamTest {
  @TempDir static Path dataDir;
  static TestNode node;
  static ApplianceStories story;
  static String alice;
  static String emcId;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir, Map.of("rendan.appliance.ingest.rate-per-second", 100, "rendan.appliance.ingest.burst", 500));
    story = new ApplianceStories(node);
    alice = node.token("alice");
    emcId = story.emcOwnedBy(alice, "Community Laundry");
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static ProvisionedAppliance washer() throws Exception {
    return story.provision(alice, emcId, "WASHER", 250);
  }

  @Test
  void aStreamCutMidwayAndResumedStoresEveryReadingOnce() throws Exception {
    ProvisionedAppliance washer = washer();
    String id = washer.getAppliance().getApplianceId();
    long lastAck;
    try (TelemetryClient first = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      assertEquals(0, first.awaitAck(0), "a new stream starts with the seq stored so far");
      for (long from = 1; from <= 50; from += 10) {
        first.sendJson(ApplianceStories.washerReadings(from, from + 9));
      }
      lastAck = first.awaitAck(50);
      // more readings, and half a line, then the network goes
      first.sendJson(ApplianceStories.washerReadings(51, 70));
      first.send("{\"seq\":71,\"stateChanged\":{\"sta");
      first.cut();
    }
    assertEquals(50, lastAck);

    try (TelemetryClient second = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      long stored = second.awaitAck(0);
      assertTrue(stored >= 50 && stored <= 70, "what the first stream stored before the cut: " + stored);
      // the device resends from its own last ack: some of it is stored already
      for (long from = lastAck + 1; from <= 120; from += 10) {
        second.sendJson(ApplianceStories.washerReadings(from, Math.min(from + 9, 120)));
      }
      assertEquals(120, second.awaitAck(120));
      second.finish();
      List<TelemetryResponse> rest = second.rest();
      assertTrue(rest.stream().noneMatch(TelemetryResponse::hasError), rest.toString());
      assertTrue(second.lineErrors.isEmpty(), second.lineErrors.toString());
    }

    Appliance appliance = story.appliance(alice, id);
    assertEquals(120, appliance.getAckedSeq());
    assertEquals(120, appliance.getUsage().getReadings());
    assertEquals(20, appliance.getUsage().getMeteredCycles());
    assertEquals(20 * 250, appliance.getUsage().getRevenueMinor());
    assertEquals(20 * 800, appliance.getUsage().getEnergyWh());
    assertEquals("IDLE", appliance.getDeviceState());
    assertEquals(Appliance.Connectivity.ONLINE, appliance.getConnectivity());

    // every finished paid cycle became revenue of the EMC, once, though readings were resent
    String period = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
    String statementPath = "/v1/emcs/" + appliance.getEmcId() + "/statement?period=" + period;
    io.rendan.TestNode.await(
        java.time.Duration.ofSeconds(20),
        "the cycles reach the EMC's revenue",
        () -> node.get(statementPath, alice).body().contains("\"revenueCount\":\"20\"")
            || node.get(statementPath, alice).body().contains("\"revenueCount\":20"));
    io.rendan.protocol.api.v1.EmcStatement.Builder statement = io.rendan.protocol.api.v1.EmcStatement.newBuilder();
    com.google.protobuf.util.JsonFormat.parser().merge(node.get(statementPath, alice).body(), statement);
    assertEquals(20 * 250, statement.getRevenueMinor());
    assertEquals(20, statement.getRevenueCount());

    // the journal holds each reading exactly once, and each cycle's revenue once
    List<ApplianceEvents.TelemetryRecorded> batches = story.journaledBatches(id);
    assertEquals(LongStream.rangeClosed(1, 120).boxed().toList(), story.journaledSeqs(id));
    List<String> revenueIds = new ArrayList<>();
    batches.forEach(b -> b.meteredCycles().forEach(m -> revenueIds.add(m.revenueId())));
    assertEquals(20, revenueIds.size());
    assertEquals(20, new HashSet<>(revenueIds).size());
    assertTrue(revenueIds.contains(id + ":c-1") && revenueIds.contains(id + ":c-20"), revenueIds.toString());
    // batched: readings that arrive together are stored together, never a row per reading
    assertTrue(batches.size() * 2 <= 120, batches.size() + " events for 120 readings");
    // every event that carries revenue is tagged for its delivery to the EMC, and no other
    long withRevenue = batches.stream().filter(b -> !b.meteredCycles().isEmpty()).count();
    assertEquals(withRevenue, story.taggedUsageEvents(id));
  }

  @Test
  void protobufReadingsAreAckedInProtobuf() throws Exception {
    ProvisionedAppliance washer = washer();
    String id = washer.getAppliance().getApplianceId();
    try (TelemetryClient device =
        TelemetryClient.open(node.port(), id, "Device " + washer.getDeviceSecret(), "application/x-protobuf")) {
      assertEquals(0, device.awaitAck(0));
      assertEquals("application/x-protobuf", device.headers.join().get("content-type"));
      device.sendProtobuf(ApplianceStories.washerReadings(1, 12));
      assertEquals(12, device.awaitAck(12));
      device.finish();
      assertTrue(device.rest().stream().noneMatch(TelemetryResponse::hasError));
    }
    Appliance appliance = story.appliance(alice, id);
    assertEquals(12, appliance.getUsage().getReadings());
    assertEquals(2, appliance.getUsage().getMeteredCycles());
  }

  @Test
  void theBenchmarksSinkAcksWhatItReadsAndStoresNothing() throws Exception {
    // Rows of MEs and EMCs left out: cycles metered by the other tests of this node reach
    // them as revenue and ledger credits, asynchronously, while this test runs.
    String notDeliveries =
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" NOT LIKE '/sharding/%'"
            + " AND \"persistence_id\" NOT LIKE 'Me|%' AND \"persistence_id\" NOT LIKE 'Emc|%'";
    long rows = node.queryLong(notDeliveries);
    String admin = node.token("bench", "admin");
    try (TelemetryClient sink =
        TelemetryClient.openAt(node.port(), "/v1/admin/sink/s-1/telemetry", "Bearer " + admin, "application/x-ndjson", null)) {
      assertEquals(0, sink.awaitAck(0));
      sink.sendJson(ApplianceStories.washerReadings(1, 10));
      sink.send("not json\n{\"seq\":11,\"heartbeat\":{}}\n{\"seq\":3,\"heartbeat\":{}}\n");
      sink.finish();
      List<TelemetryResponse> frames = sink.rest();
      assertTrue(frames.stream().noneMatch(TelemetryResponse::hasError), frames.toString());
      assertEquals(11, frames.stream().filter(TelemetryResponse::hasAck).mapToLong(f -> f.getAck().getSeq()).max().orElse(0));
      assertEquals(List.of(11L, 13L), sink.lineErrors.stream().map(e -> e.getLine()).toList(), "not json; seq going backwards");
    }
    assertEquals(rows, node.queryLong(notDeliveries), "the sink stores nothing");
    try (TelemetryClient notAdmin =
        TelemetryClient.openAt(node.port(), "/v1/admin/sink/s-2/telemetry", "Bearer " + alice, "application/x-ndjson", null)) {
      assertEquals(403, notAdmin.status.get(15, java.util.concurrent.TimeUnit.SECONDS));
    }
  }

  @Test
  void malformedOversizedAndOutOfOrderLinesAreRefusedAndNothingOfThemIsStored() throws Exception {
    ProvisionedAppliance washer = washer();
    String id = washer.getAppliance().getApplianceId();
    String oversized = "{\"seq\":4,\"stateChanged\":{\"state\":\"" + "A".repeat(9_000) + "\"}}\n";
    try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      device.awaitAck(0);
      device.send(
          "{\"seq\":1,\"heartbeat\":{}}\n" // 1
              + "this is not json\n" // 2
              + "{\"seq\":3}\n"); // 3: names no reading
      // 4: longer than the limit, arriving in pieces
      device.send(oversized.substring(0, 5_000));
      device.send(oversized.substring(5_000));
      device.send(
          "{\"seq\":5,\"stateChanged\":{\"state\":\"not upper case\"}}\n" // 5
              + "{\"seq\":6,\"stateChanged\":{\"state\":\"IDLE\"}}\r\n" // 6
              + "{\"seq\":6,\"heartbeat\":{}}\n" // 7: seq again
              + "\n" // 8: blank, skipped
              + "{\"seq\":2,\"heartbeat\":{}}\n" // 9: backwards
              + "{\"seq\":7,\"cycleFinished\":{\"cycleId\":\"c-9\"}}\n" // 10: no such cycle
              + "{\"seq\":8,\"heartbeat\":{}}"); // 11: last line without a newline
      device.finish();
      List<TelemetryResponse> frames = device.rest();
      assertTrue(frames.stream().noneMatch(TelemetryResponse::hasError), frames.toString());
      assertEquals(List.of(2L, 3L, 4L, 5L, 7L, 9L, 10L), device.lineErrors.stream().map(e -> e.getLine()).toList());
      assertEquals(8, frames.stream().filter(TelemetryResponse::hasAck).mapToLong(f -> f.getAck().getSeq()).max().orElse(0));
    }
    Appliance appliance = story.appliance(alice, id);
    assertEquals(List.of(1L, 6L, 8L), story.journaledSeqs(id));
    assertEquals(3, appliance.getUsage().getReadings());
    assertEquals("IDLE", appliance.getDeviceState());
  }

  @Test
  void eachRefusedLineIsNamedWithItsCode() throws Exception {
    ProvisionedAppliance washer = washer();
    String id = washer.getAppliance().getApplianceId();
    try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      device.awaitAck(0);
      device.send(
          "{\"seq\":1,\"heartbeat\":{}}\n"
              + "{nope\n"
              + "{\"seq\":3}\n"
              + "{\"seq\":4,\"stateChanged\":{\"state\":\"" + "B".repeat(9_000) + "\"}}\n"
              + "{\"seq\":4,\"heartbeat\":{}}\n"
              + "{\"seq\":4,\"heartbeat\":{}}\n"
              + "{\"seq\":5,\"cycleFinished\":{\"cycleId\":\"c-1\"}}\n");
      device.finish();
      device.rest();
      List<String> codes = device.lineErrors.stream().map(e -> e.getLine() + " " + e.getError().getCode()).toList();
      assertEquals(
          List.of(
              "2 telemetry:line.malformed",
              "3 telemetry:reading.invalid",
              "4 telemetry:line.too-large",
              "6 telemetry:seq.not-increasing",
              "7 telemetry:cycle.unknown"),
          codes);
      assertEquals(5, device.lineErrors.get(4).getSeq());
      assertEquals(413, device.lineErrors.get(2).getError().getStatus());
    }
    assertEquals(List.of(1L, 4L), story.journaledSeqs(id));
  }

  @Test
  void aWrongSecretAnotherAppliancesSecretOrNoSecretIsRefusedAndNothingIsStored() throws Exception {
    ProvisionedAppliance washer = washer();
    ProvisionedAppliance other = washer();
    String id = washer.getAppliance().getApplianceId();
    List<String> refused = new ArrayList<>();
    for (String authorization :
        new String[] {
          "Device wrong-secret", "Device " + other.getDeviceSecret(), null, "Bearer " + alice, "Device "
        }) {
      try (TelemetryClient device = TelemetryClient.open(node.port(), id, authorization, "application/x-ndjson", lines(1, 6))) {
        assertEquals(401, device.status.join(), String.valueOf(authorization));
        assertEquals("Device", device.headers.join().get("www-authenticate"));
        String body = device.plainBody.join();
        assertTrue(body.contains("auth:unauthenticated"), body);
        refused.add(authorization);
      }
    }
    assertEquals(5, refused.size());
    try (TelemetryClient device =
        TelemetryClient.open(node.port(), "no-such-washer", "Device " + washer.getDeviceSecret(), "application/x-ndjson", lines(1, 6))) {
      assertEquals(401, device.status.join(), "an unknown appliance looks like a wrong secret");
    }
    try (TelemetryClient device = TelemetryClient.open(node.port(), id, "Device " + washer.getDeviceSecret(), "text/plain", lines(1, 6))) {
      assertEquals(415, device.status.join());
    }
    assertEquals(List.of(), story.journaledSeqs(id));
    assertEquals(0, story.appliance(alice, id).getUsage().getReadings());
    assertEquals(Appliance.Connectivity.NEVER_SEEN, story.appliance(alice, id).getConnectivity());
  }

  private static byte[] lines(long from, long to) throws Exception {
    StringBuilder text = new StringBuilder();
    for (Reading r : ApplianceStories.washerReadings(from, to)) {
      text.append(com.google.protobuf.util.JsonFormat.printer().omittingInsignificantWhitespace().print(r)).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void rotatingTheSecretEndsTheStreamsOfTheOldOne() throws Exception {
    ProvisionedAppliance washer = washer();
    String id = washer.getAppliance().getApplianceId();
    try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      device.awaitAck(0);
      device.sendJson(ApplianceStories.washerReadings(1, 6));
      device.awaitAck(6);
      var rotated = node.postJson("/v1/appliances/" + id + "/secret", alice, "{}");
      assertEquals(200, rotated.statusCode(), rotated.body());
      String newSecret =
          ApplianceStories.parse(rotated, io.rendan.protocol.api.v1.DeviceSecret.newBuilder()).getDeviceSecret();
      device.sendJson(ApplianceStories.washerReadings(7, 12));
      List<TelemetryResponse> rest = device.rest();
      assertEquals("auth:unauthenticated", rest.get(rest.size() - 1).getError().getCode(), rest.toString());

      try (TelemetryClient old = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
        assertEquals(401, old.status.join());
      }
      try (TelemetryClient renewed = TelemetryClient.ndjson(node.port(), id, newSecret)) {
        assertEquals(6, renewed.awaitAck(0));
        renewed.sendJson(ApplianceStories.washerReadings(7, 12));
        assertEquals(12, renewed.awaitAck(12));
      }
    }
    assertEquals(LongStream.rangeClosed(1, 12).boxed().toList(), story.journaledSeqs(id));
  }

  @Test
  void aDeviceOverItsRateIsStoppedWithAnErrorWhileAnotherGoesOn() throws Exception {
    ProvisionedAppliance noisy = washer();
    ProvisionedAppliance quiet = washer();
    String noisyId = noisy.getAppliance().getApplianceId();
    String quietId = quiet.getAppliance().getApplianceId();
    try (TelemetryClient flood = TelemetryClient.ndjson(node.port(), noisyId, noisy.getDeviceSecret());
        TelemetryClient calm = TelemetryClient.ndjson(node.port(), quietId, quiet.getDeviceSecret())) {
      flood.awaitAck(0);
      calm.awaitAck(0);
      StringBuilder burst = new StringBuilder();
      for (int seq = 1; seq <= 1_000; seq++) {
        burst.append("{\"seq\":").append(seq).append(",\"heartbeat\":{}}\n");
      }
      flood.sendChunk(burst.toString().getBytes(StandardCharsets.UTF_8));
      List<TelemetryResponse> floodFrames = flood.rest();
      TelemetryResponse last = floodFrames.get(floodFrames.size() - 1);
      assertEquals("telemetry:rate-limited", last.getError().getCode(), floodFrames.toString());
      assertEquals(429, last.getError().getStatus());
      assertTrue(last.getError().getMessage().contains("reconnect after"));

      calm.sendJson(ApplianceStories.washerReadings(1, 30));
      assertEquals(30, calm.awaitAck(30));
    }
    long stored = story.appliance(alice, noisyId).getAckedSeq();
    assertTrue(stored >= 400 && stored < 1_000, "the burst is stored, the rest is not: " + stored);
    assertEquals(LongStream.rangeClosed(1, stored).boxed().toList(), story.journaledSeqs(noisyId));
    assertEquals(30, story.appliance(alice, quietId).getUsage().getReadings());
  }
}
