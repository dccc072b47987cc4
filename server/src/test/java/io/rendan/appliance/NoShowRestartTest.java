package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Reservation;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A booking nobody shows up for is released by the appliance's own timer, even
 * when the node stopped before the grace period ended and nobody asks for the
 * appliance after the restart: appliances are remembered, so they recover by
 * themselves and arm their deadlines again.
 */
@Tag("node")
class NoShowRestartTest {
  private static final Map<String, Object> SETTINGS = Map.of("rendan.appliance.reservation.no-show-grace", "6s");

  @TempDir Path dataDir;

  @Test
  void aNoShowIsReleasedAfterARestartWithoutAnyoneAsking() throws Exception {
    String alice;
    String applianceId;
    String reservationId;
    String student;
    try (TestNode node = TestNode.h2(dataDir, SETTINGS)) {
      ApplianceStories story = new ApplianceStories(node);
      alice = node.token("alice");
      student = node.token("student-1");
      String emcId = story.emcOwnedBy(alice, "Community Laundry");
      applianceId = story.provision(alice, emcId, "WASHER", 250).getAppliance().getApplianceId();
      Instant from = Instant.now().plusSeconds(1);
      HttpResponse<String> booked =
          node.postJson(
              "/v1/appliances/" + applianceId + "/reservations",
              student,
              "{\"from\":\"" + from + "\",\"to\":\"" + from.plus(Duration.ofHours(1)) + "\"}");
      assertEquals(201, booked.statusCode(), booked.body());
      reservationId = ApplianceStories.parse(booked, Reservation.newBuilder()).getReservationId();
      assertEquals(0, releases(node, applianceId), "the node stops before the grace period is over");
    }

    try (TestNode node = TestNode.h2(dataDir, SETTINGS)) {
      String id = applianceId;
      // watch the journal only: a request to the appliance would wake it and prove nothing
      TestNode.await(Duration.ofSeconds(30), "the no-show is released", () -> releases(node, id) == 1);
      assertNotEquals(
          writerOf(node, id, "appliance.reservation-booked"),
          writerOf(node, id, "appliance.reservations-released"),
          "released by the entity recovered on the new node, not by the old one");
      Appliance appliance = new ApplianceStories(node).appliance(alice, applianceId);
      assertEquals(reservationId, appliance.getReservations(0).getReservationId());
      assertEquals(Reservation.Status.NO_SHOW, appliance.getReservations(0).getStatus());
      assertEquals(3, appliance.getVersion());
      // the slot is free again for someone else
      Instant from = Instant.now().plusSeconds(60);
      HttpResponse<String> next =
          node.postJson(
              "/v1/appliances/" + applianceId + "/reservations",
              node.token("student-2"),
              "{\"from\":\"" + from + "\",\"to\":\"" + from.plus(Duration.ofMinutes(30)) + "\"}");
      assertEquals(201, next.statusCode(), next.body());
    }
  }

  /** The journal's writer id of an event: one per incarnation of the entity. */
  private static String writerOf(TestNode node, String applianceId, String manifest) throws Exception {
    try (var c = node.connection();
        var s =
            c.prepareStatement(
                "SELECT \"writer\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" = ?")) {
      s.setString(1, "Appliance|" + applianceId);
      s.setString(2, manifest);
      try (var rs = s.executeQuery()) {
        assertTrue(rs.next(), manifest);
        return rs.getString(1);
      }
    }
  }

  private static long releases(TestNode node, String applianceId) throws Exception {
    return node.queryLong(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Appliance|" + applianceId
            + "' AND \"event_ser_manifest\" = 'appliance.reservations-released'");
  }
}
