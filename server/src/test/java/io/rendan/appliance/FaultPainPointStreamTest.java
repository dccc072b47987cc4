package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.ListPainPointsResponse;
import io.rendan.protocol.api.v1.PainPoint;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Reading;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repeated faults reported over the real device stream open one pain point on
 * the EMC's board by themselves (painpoint/FaultPainPoints, rule of 3 within
 * 24 hours), attributed to the system; a later report adds to it, and a resent
 * report counts nothing twice.
 */
@Tag("node")
class FaultPainPointStreamTest {
  @TempDir static Path dataDir;
  static TestNode node;
  static ApplianceStories story;
  static String alice;
  static String emcId;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir, Map.of());
    story = new ApplianceStories(node);
    alice = node.token("alice");
    emcId = story.emcOwnedBy(alice, "Fault Laundry");
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static Reading fault(long seq, String code) {
    Reading.Builder r = Reading.newBuilder().setSeq(seq);
    r.getFaultBuilder().setCode(code).setMessage("drain pump blocked");
    return r.build();
  }

  private static Reading heartbeat(long seq) {
    return Reading.newBuilder().setSeq(seq).setHeartbeat(io.rendan.protocol.api.v1.Heartbeat.getDefaultInstance()).build();
  }

  private static List<PainPoint> painPoints() throws Exception {
    return ApplianceStories.parse(node.get("/v1/emcs/" + emcId + "/pain-points", alice), ListPainPointsResponse.newBuilder())
        .build()
        .getPainPointsList();
  }

  @Test
  void aFaultRepeatedThreeTimesOpensOneSystemPainPointAndRepeatsAddToIt() throws Exception {
    ProvisionedAppliance dryer = story.provision(alice, emcId, "DRYER", 150);
    String id = dryer.getAppliance().getApplianceId();
    try (TelemetryClient stream = TelemetryClient.ndjson(node.port(), id, dryer.getDeviceSecret())) {
      assertEquals(0, stream.awaitAck(0));
      stream.sendJson(List.of(fault(1, "E21"), heartbeat(2), fault(3, "E21"), fault(4, "E30")));
      assertEquals(4, stream.awaitAck(4));
      // the same batch again, as a device resends after a lost ack: all duplicates
      stream.sendJson(List.of(fault(1, "E21"), heartbeat(2), fault(3, "E21"), fault(4, "E30")));
      stream.sendJson(List.of(fault(5, "E21")));
      assertEquals(5, stream.awaitAck(5));
      TestNode.await(Duration.ofSeconds(20), "the fault rule's pain point", () -> painPoints().size() == 1);
      PainPoint opened = painPoints().get(0);
      assertTrue(opened.getBySystem());
      assertEquals("system", opened.getPostedBy());
      assertEquals("appliance-fault", opened.getCategory());
      assertEquals(id, opened.getApplianceId());
      assertEquals("E21", opened.getFaultCode());
      assertEquals(3, opened.getFaultReports());
      assertTrue(opened.getText().contains("fault E21 3 times within 24 hours"), opened.getText());

      stream.sendJson(List.of(fault(6, "E21")));
      assertEquals(6, stream.awaitAck(6));
      TestNode.await(Duration.ofSeconds(20), "the repeat added", () -> painPoints().get(0).getFaultReports() == 4);
      stream.finish();
    }
    // E30 was reported once: below the rule, no pain point of its own
    assertEquals(1, painPoints().size());
    assertEquals(4, painPoints().get(0).getFaultReports());
    assertEquals(5, node.queryLong("SELECT COUNT(*) FROM rendan_fault_report WHERE appliance_id = '" + id + "'"), "each report kept once");
  }
}
