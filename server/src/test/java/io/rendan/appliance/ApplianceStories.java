package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Reading;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** Small steps of the appliance stories over HTTP, and a look into the journal, for the node-level tests. */
final class ApplianceStories {
  private final TestNode node;

  ApplianceStories(TestNode node) {
    this.node = node;
  }

  static <T extends Message.Builder> T parse(HttpResponse<String> response, T builder) throws Exception {
    JsonFormat.parser().merge(response.body(), builder);
    return builder;
  }

  /** An ME run by the token's subject, owning a new EMC; answers the EMC id. */
  String emcOwnedBy(String token, String name) throws Exception {
    HttpResponse<String> me = node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[]}");
    assertEquals(201, me.statusCode(), me.body());
    String meId = parse(me, Me.newBuilder()).getMeId();
    HttpResponse<String> emc =
        node.postJson(
            "/v1/emcs",
            token,
            "{\"name\":\"" + name + "\",\"userGroup\":\"dorm students\",\"ownerMeId\":\"" + meId + "\",\"ownerSide\":\"EXPERIENCE\"}");
    assertEquals(201, emc.statusCode(), emc.body());
    return parse(emc, Emc.newBuilder()).getEmcId();
  }

  HttpResponse<String> provisionResponse(String token, String emcId, String json) throws Exception {
    return node.postJson("/v1/emcs/" + emcId + "/appliances", token, json);
  }

  ProvisionedAppliance provision(String token, String emcId, String type, long tariffMinor) throws Exception {
    HttpResponse<String> r =
        provisionResponse(
            token,
            emcId,
            "{\"type\":\"" + type + "\",\"model\":\"WM-40\",\"location\":\"Dorm A\",\"tariff\":{\"amountMinor\":" + tariffMinor
                + ",\"currency\":\"EUR\"}}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, ProvisionedAppliance.newBuilder()).build();
  }

  Appliance appliance(String token, String applianceId) throws Exception {
    HttpResponse<String> r = node.get("/v1/appliances/" + applianceId, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, Appliance.newBuilder()).build();
  }

  /** Every telemetry event of an appliance, decoded from the journal rows. */
  List<ApplianceEvents.TelemetryRecorded> journaledBatches(String applianceId) throws Exception {
    List<ApplianceEvents.TelemetryRecorded> batches = new ArrayList<>();
    ApplianceSerializer serializer = new ApplianceSerializer();
    try (Connection c = node.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" = ? "
                    + "ORDER BY \"sequence_number\"")) {
      s.setString(1, "Appliance|" + applianceId);
      s.setString(2, ApplianceSerializer.TELEMETRY_RECORDED);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          batches.add((ApplianceEvents.TelemetryRecorded) serializer.fromBinary(rs.getBytes(1), ApplianceSerializer.TELEMETRY_RECORDED));
        }
      }
    }
    return batches;
  }

  /** The device sequence numbers stored in the journal, in order, each as often as it is stored. */
  List<Long> journaledSeqs(String applianceId) throws Exception {
    List<Long> seqs = new ArrayList<>();
    for (ApplianceEvents.TelemetryRecorded batch : journaledBatches(applianceId)) {
      batch.readings().forEach(r -> seqs.add(r.seq()));
    }
    return seqs;
  }

  long taggedUsageEvents(String applianceId) throws Exception {
    return node.queryLong(
        "SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON t.\"event_id\" = j.\"ordering\" "
            + "WHERE j.\"persistence_id\" = 'Appliance|" + applianceId + "' AND t.\"tag\" LIKE 'appliance-usage-%'");
  }

  // ---- readings a washer sends ----------------------------------------------------------------

  /** Readings {@code from..to} of a washer running cycle after cycle: six readings per cycle, the fifth finishes it. */
  static List<Reading> washerReadings(long from, long to) {
    List<Reading> readings = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      long cycle = (seq - 1) / 6 + 1;
      Reading.Builder r = Reading.newBuilder().setSeq(seq);
      switch ((int) ((seq - 1) % 6)) {
        case 0 -> r.getStateChangedBuilder().setState("RUNNING");
        case 1 -> r.getCycleStartedBuilder().setCycleId("c-" + cycle).setProgram("cotton-40");
        case 2, 3 -> r.setHeartbeat(io.rendan.protocol.api.v1.Heartbeat.getDefaultInstance());
        case 4 -> r.getCycleFinishedBuilder().setCycleId("c-" + cycle).setEnergyWh(800).setWaterMl(45_000).setDurationSeconds(3_300);
        default -> r.getStateChangedBuilder().setState("IDLE");
      }
      readings.add(r.build());
    }
    return readings;
  }
}
