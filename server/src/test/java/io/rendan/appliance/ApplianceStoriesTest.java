package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Alert;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.BookReservationRequest;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.GetApplianceRequest;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Reservation;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stories of the appliances issue on a real node, over HTTP, WebSocket and
 * the device stream, each party with its own token: the laundry's operator,
 * students, an outsider, the devices.
 */
@Tag("node")
class ApplianceStoriesTest {
  @TempDir static Path dataDir;
  static TestNode node;
  static ApplianceStories story;
  static String alice;
  static String emcId;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir, Map.of("rendan.appliance.min-heartbeat-window", "1s"));
    story = new ApplianceStories(node);
    alice = node.token("alice"); // operates the laundry ME, which owns the EMC
    emcId = story.emcOwnedBy(alice, "Community Laundry");
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String slot(Instant at) {
    return at.toString();
  }

  private static HttpResponse<String> book(String token, String applianceId, Instant from, Instant to) throws Exception {
    return node.postJson(
        "/v1/appliances/" + applianceId + "/reservations", token, "{\"from\":\"" + slot(from) + "\",\"to\":\"" + slot(to) + "\"}");
  }

  @Test
  void theLaundryProvisionsFortyWashersAndStudentsBookThem() throws Exception {
    Set<String> secrets = new HashSet<>();
    String first = null;
    for (int i = 1; i <= 40; i++) {
      HttpResponse<String> r =
          story.provisionResponse(
              alice,
              emcId,
              "{\"applianceId\":\"dorm-washer-" + i + "\",\"type\":\"WASHER\",\"model\":\"WM-40\",\"location\":\"Dorm A, floor "
                  + (i % 4) + "\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}");
      assertEquals(201, r.statusCode(), r.body());
      assertEquals("/v1/appliances/dorm-washer-" + i, r.headers().firstValue("Location").orElseThrow());
      ProvisionedAppliance p = ApplianceStories.parse(r, ProvisionedAppliance.newBuilder()).build();
      assertEquals(43, p.getDeviceSecret().length(), "32 random bytes, base64url");
      secrets.add(p.getDeviceSecret());
      assertEquals(250, p.getAppliance().getTariff().getAmountMinor());
      assertEquals(Appliance.Connectivity.NEVER_SEEN, p.getAppliance().getConnectivity());
      first = first == null ? p.getAppliance().getApplianceId() : first;
    }
    assertEquals(40, secrets.size());

    // a retried provisioning answers the washer again, but never its secret again
    HttpResponse<String> retry =
        story.provisionResponse(
            alice,
            emcId,
            "{\"applianceId\":\"dorm-washer-1\",\"type\":\"WASHER\",\"model\":\"WM-40\",\"location\":\"Dorm A, floor 1\","
                + "\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}");
    assertEquals(200, retry.statusCode(), retry.body());
    assertEquals("", ApplianceStories.parse(retry, ProvisionedAppliance.newBuilder()).getDeviceSecret());
    // only the owner's operators provision
    String bob = node.token("bob");
    story.emcOwnedBy(bob, "Bob's Bakery");
    HttpResponse<String> intruder =
        story.provisionResponse(bob, emcId, "{\"type\":\"WASHER\",\"model\":\"X\",\"location\":\"Y\",\"tariff\":{\"amountMinor\":1,\"currency\":\"EUR\"}}");
    assertEquals(403, intruder.statusCode(), intruder.body());
    HttpResponse<String> invalid =
        story.provisionResponse(alice, emcId, "{\"type\":\"WASHER\",\"model\":\"X\",\"location\":\"Y\",\"tariff\":{\"amountMinor\":1,\"currency\":\"euro\"}}");
    assertEquals(400, invalid.statusCode());

    // students reserve washer 1 for 19:00-20:00 tomorrow
    String student = node.token("student-1");
    String other = node.token("student-2");
    Instant seven = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(19));
    HttpResponse<String> booked = book(student, first, seven, seven.plus(Duration.ofHours(1)));
    assertEquals(201, booked.statusCode(), booked.body());
    Reservation reservation = ApplianceStories.parse(booked, Reservation.newBuilder()).build();
    assertEquals("student-1", reservation.getUserId());
    assertEquals(Reservation.Status.BOOKED, reservation.getStatus());
    HttpResponse<String> overlap = book(other, first, seven.plus(Duration.ofMinutes(30)), seven.plus(Duration.ofMinutes(90)));
    assertEquals(409, overlap.statusCode());
    assertTrue(overlap.body().contains("appliance:reservation.overlap"), overlap.body());
    assertEquals(201, book(other, first, seven.plus(Duration.ofHours(1)), seven.plus(Duration.ofHours(2))).statusCode());

    // only the student and the laundry's operators cancel; students do not see the washer's details
    String path = "/v1/appliances/" + first + "/reservations/" + reservation.getReservationId();
    HttpResponse<String> notYours = node.delete(path, other);
    assertEquals(403, notYours.statusCode());
    assertTrue(notYours.body().contains("appliance:reservation.not-yours"));
    HttpResponse<String> cancelled = node.delete(path, student);
    assertEquals(200, cancelled.statusCode(), cancelled.body());
    assertEquals(Reservation.Status.CANCELLED, ApplianceStories.parse(cancelled, Reservation.newBuilder()).getStatus());
    assertEquals(403, node.get("/v1/appliances/" + first, student).statusCode());
    assertEquals(200, node.get("/v1/appliances/" + first, node.token("root", "admin")).statusCode());

    Appliance washer = story.appliance(alice, first);
    assertEquals(2, washer.getReservationsCount());
    assertEquals(Reservation.Status.CANCELLED, washer.getReservations(0).getStatus());
    assertEquals(Reservation.Status.BOOKED, washer.getReservations(1).getStatus());
    assertEquals(4, washer.getVersion(), "provisioned, two bookings, one cancellation");
  }

  @Test
  void aWasherThatReportsAFaultTakesNoBookingsUntilItReportsItFixed() throws Exception {
    ProvisionedAppliance washer = story.provision(alice, emcId, "WASHER", 250);
    String id = washer.getAppliance().getApplianceId();
    String student = node.token("student-3");
    Instant from = Instant.now().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.HOURS);
    try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, washer.getDeviceSecret())) {
      device.awaitAck(0);
      device.send("{\"seq\":1,\"fault\":{\"code\":\"E21\",\"message\":\"drain pump blocked\"}}\n");
      device.awaitAck(1);
      HttpResponse<String> refused = book(student, id, from, from.plus(Duration.ofHours(1)));
      assertEquals(409, refused.statusCode());
      assertTrue(refused.body().contains("appliance:faulted"), refused.body());
      Appliance faulted = story.appliance(alice, id);
      assertTrue(faulted.getFaulted());
      assertEquals("fault:E21", faulted.getAlerts(0).getAlertId());

      device.send("{\"seq\":2,\"faultCleared\":{\"code\":\"E21\"}}\n");
      device.awaitAck(2);
      assertEquals(201, book(student, id, from, from.plus(Duration.ofHours(1))).statusCode());
      assertFalse(story.appliance(alice, id).getFaulted());
    }
  }

  @Test
  void aFridgeWithFoodGoingStaleAlertsWhoeverWatchesItOrItsEmc() throws Exception {
    ProvisionedAppliance fridge = story.provision(alice, emcId, "FRIDGE", 0);
    String id = fridge.getAppliance().getApplianceId();
    try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
      ws.sendJson(subscribe("s1", "appliance/" + id));
      assertEquals(1, ws.next().frame().getResponse().getSubscribed().getSeq());
      ws.sendJson(subscribe("s2", "emc/" + emcId));
      assertTrue(ws.next().frame().getResponse().hasSubscribed());

      Instant milkGoesOff = Instant.now().plus(Duration.ofDays(1));
      Instant cheeseKeeps = Instant.now().plus(Duration.ofDays(20));
      try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, fridge.getDeviceSecret())) {
        device.awaitAck(0);
        device.send(
            "{\"seq\":1,\"inventory\":{\"items\":["
                + "{\"itemId\":\"milk-1\",\"name\":\"Milk 1l\",\"quantity\":1,\"bestBefore\":\"" + milkGoesOff + "\"},"
                + "{\"itemId\":\"cheese-1\",\"name\":\"Gouda\",\"quantity\":2,\"bestBefore\":\"" + cheeseKeeps + "\"}]}}\n");
        device.awaitAck(1);
      }

      Push onAppliance = null;
      Push onEmc = null;
      while (onAppliance == null || onEmc == null) {
        Push push = ws.next().frame().getPush();
        if (push.getTopic().equals("appliance/" + id)) {
          onAppliance = push;
        } else if (push.getTopic().equals("emc/" + emcId)
            && push.hasApplianceAlert()
            && push.getApplianceAlert().getApplianceId().equals(id)) { // the EMC has other appliances
          onEmc = push;
        }
      }
      assertEquals(2, onAppliance.getSeq());
      assertEquals("appliance.telemetry-recorded", onAppliance.getEvent());
      assertEquals(2, onAppliance.getAppliance().getInventoryCount());
      assertEquals("stale:milk-1", onAppliance.getAppliance().getAlerts(0).getAlertId());
      assertEquals("appliance.alert-opened", onEmc.getEvent());
      assertEquals(0, onEmc.getSeq(), "not a change of the EMC");
      assertEquals(id, onEmc.getApplianceAlert().getApplianceId());
      assertEquals(Alert.Kind.STALE, onEmc.getApplianceAlert().getAlert().getKind());
      assertEquals("milk-1", onEmc.getApplianceAlert().getAlert().getSubject());
      assertTrue(onEmc.getApplianceAlert().getOpen());

      // the same over the WebSocket: read it; a fridge is not booked by the slot
      ws.sendJson(ClientFrame.newBuilder().setRequestId("g1").setGetAppliance(GetApplianceRequest.newBuilder().setApplianceId(id)).build());
      Response read = ws.next().frame().getResponse();
      assertEquals(Appliance.Type.FRIDGE, read.getAppliance().getType(), read.toString());
      ws.sendJson(
          ClientFrame.newBuilder()
              .setRequestId("b1")
              .setBookReservation(
                  BookReservationRequest.newBuilder()
                      .setApplianceId(id)
                      .setFrom(ApplianceViews.ts(Instant.now().plus(Duration.ofHours(1))))
                      .setTo(ApplianceViews.ts(Instant.now().plus(Duration.ofHours(2)))))
              .build());
      assertEquals("appliance:not-bookable", ws.next().frame().getResponse().getError().getCode());
    }
  }

  @Test
  void anApplianceSilentForLongerThanItsHeartbeatWindowIsShownOfflineWithAnAlert() throws Exception {
    HttpResponse<String> r =
        story.provisionResponse(
            alice,
            emcId,
            "{\"type\":\"DRYER\",\"model\":\"TD-8\",\"location\":\"Dorm B\",\"tariff\":{\"amountMinor\":150,\"currency\":\"EUR\"},"
                + "\"heartbeatSeconds\":1}");
    assertEquals(201, r.statusCode(), r.body());
    ProvisionedAppliance dryer = ApplianceStories.parse(r, ProvisionedAppliance.newBuilder()).build();
    String id = dryer.getAppliance().getApplianceId();
    try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
      ws.sendJson(subscribe("s1", "appliance/" + id));
      assertEquals(1, ws.next().frame().getResponse().getSubscribed().getSeq());
      try (TelemetryClient device = TelemetryClient.ndjson(node.port(), id, dryer.getDeviceSecret())) {
        device.awaitAck(0);
        device.send("{\"seq\":1,\"heartbeat\":{}}\n");
        device.awaitAck(1);
      }
      Push heard = ws.next().frame().getPush();
      assertEquals(Appliance.Connectivity.ONLINE, heard.getAppliance().getConnectivity());
      // then nothing more from the device: the entity's own deadline passes
      Push silent = ws.next().frame().getPush();
      assertEquals("appliance.alerts-changed", silent.getEvent());
      assertEquals(3, silent.getSeq());
      assertEquals(Appliance.Connectivity.OFFLINE, silent.getAppliance().getConnectivity());
      assertEquals(Alert.Kind.OFFLINE, silent.getAppliance().getAlerts(0).getKind());
    }
    assertEquals(Appliance.Connectivity.OFFLINE, story.appliance(alice, id).getConnectivity());
  }

  static ClientFrame subscribe(String requestId, String topic) {
    return ClientFrame.newBuilder().setRequestId(requestId).setSubscribe(Subscribe.newBuilder().setTopic(topic)).build();
  }
}
