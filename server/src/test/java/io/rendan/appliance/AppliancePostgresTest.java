package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.testkit.TestPostgres;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Appliances on the production path: a real PostgreSQL server that the test
 * starts itself. A washer streams in protobuf, its stream is cut and resumed,
 * the node restarts: every reading is stored once, every paid cycle is the
 * EMC's revenue once, and the appliance comes back as it was.
 */
@Tag("postgres")
class AppliancePostgresTest {
  static TestPostgres postgres;
  static String url;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = TestPostgres.start();
    url = postgres.url();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    postgres.close();
  }

  @Test
  void aWasherStreamsIntoPostgresAndItsCyclesBecomeRevenueOnceAcrossACutAndARestart() throws Exception {
    String alice;
    String emcId;
    String id;
    String secret;
    Appliance before;
    try (TestNode node = TestNode.postgres(url, "postgres", "postgres")) {
      ApplianceStories story = new ApplianceStories(node);
      alice = node.token("alice");
      emcId = story.emcOwnedBy(alice, "Community Laundry");
      ProvisionedAppliance washer = story.provision(alice, emcId, "WASHER", 250);
      id = washer.getAppliance().getApplianceId();
      secret = washer.getDeviceSecret();

      try (TelemetryClient first = TelemetryClient.open(node.port(), id, "Device " + secret, "application/x-protobuf")) {
        assertEquals(0, first.awaitAck(0));
        first.sendProtobuf(ApplianceStories.washerReadings(1, 30));
        assertEquals(30, first.awaitAck(30));
        first.sendProtobuf(ApplianceStories.washerReadings(31, 40));
        first.cut();
      }
      try (TelemetryClient second = TelemetryClient.open(node.port(), id, "Device " + secret, "application/x-protobuf")) {
        long stored = second.awaitAck(0);
        assertTrue(stored >= 30 && stored <= 40, "what the first stream stored before the cut: " + stored);
        // the device resends from its last ack (30): up to ten of them are stored already
        second.sendProtobuf(ApplianceStories.washerReadings(31, 60));
        assertEquals(60, second.awaitAck(60));
        second.finish();
        assertTrue(second.lineErrors.isEmpty(), second.lineErrors.toString());
      }
      assertEquals(LongStream.rangeClosed(1, 60).boxed().toList(), story.journaledSeqs(id));
      awaitRevenue(node, alice, emcId, 10);
      before = story.appliance(alice, id);
      assertEquals(60, before.getAckedSeq());
      assertEquals(10, before.getUsage().getMeteredCycles());
    }

    try (TestNode node = TestNode.postgres(url, "postgres", "postgres")) {
      ApplianceStories story = new ApplianceStories(node);
      Appliance after = story.appliance(alice, id);
      assertEquals(before.getAckedSeq(), after.getAckedSeq());
      assertEquals(before.getUsage(), after.getUsage());
      assertEquals(before.getDeviceState(), after.getDeviceState());
      // the restarted node takes the stream up where it stopped, and a resend is not counted again
      try (TelemetryClient third = TelemetryClient.open(node.port(), id, "Device " + secret, "application/x-protobuf")) {
        assertEquals(60, third.awaitAck(0));
        third.sendProtobuf(ApplianceStories.washerReadings(55, 66));
        assertEquals(66, third.awaitAck(66));
        third.finish();
      }
      assertEquals(LongStream.rangeClosed(1, 66).boxed().toList(), story.journaledSeqs(id));
      awaitRevenue(node, alice, emcId, 11);
      // the revenue delivery does not run twice after the restart either
      EmcStatement statement = statement(node, alice, emcId);
      assertEquals(11 * 250, statement.getRevenueMinor());
      assertEquals(11, statement.getRevenueCount());
    }
  }

  private static void awaitRevenue(TestNode node, String token, String emcId, long cycles) throws Exception {
    TestNode.await(Duration.ofSeconds(30), cycles + " cycles reach the EMC's revenue", () -> statement(node, token, emcId).getRevenueCount() >= cycles);
    assertEquals(cycles, statement(node, token, emcId).getRevenueCount());
  }

  private static EmcStatement statement(TestNode node, String token, String emcId) throws Exception {
    String period = YearMonth.now(ZoneOffset.UTC).toString();
    return ApplianceStories.parse(node.get("/v1/emcs/" + emcId + "/statement?period=" + period, token), EmcStatement.newBuilder()).build();
  }
}
