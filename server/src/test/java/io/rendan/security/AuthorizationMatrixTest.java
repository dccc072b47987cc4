package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.auth.Jwt;
import io.rendan.http.Endpoint;
import io.rendan.NodeRoutes;
import io.rendan.protocol.api.v1.*;
import io.rendan.ws.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every declared route ({@link NodeRoutes#TABLE}) and every WebSocket operation
 * (the fields of {@code ClientFrame.body}) against a real node, with callers
 * who must not get through: no token, an expired one, one signed with another
 * key, one with {@code alg: none}, a device secret as a bearer, and a valid
 * token of a subject unrelated to the objects (created by their owners). Each
 * is refused, answers none of the objects' private data, and stores nothing.
 * A route or operation without a case here fails the test: a new one cannot be
 * forgotten.
 */
@Tag("node")
class AuthorizationMatrixTest {
  /** In no refusal: the sealed bid's plan and the device secrets. */
  private static final String SECRET_PLAN = "secret-plan-of-carol-7731";

  @TempDir static Path dir;
  static TestNode node;
  static String alice, carol, dave, mallory;
  static String aliceMe, carolMe, daveMe, malloryMe, emcId, invitationId, roundId, bidId, applianceId, otherApplianceId;
  static String deviceSecret, otherDeviceSecret, reservationId;
  /** dave's EMC, holding a seat of alice's other EMC {@code nestId}. */
  static String unitEmcId, nestId;
  static List<String> secrets = new ArrayList<>();

  /** What the unrelated caller may get. */
  enum Unrelated {
    /** 401, 403 or 404. */
    REFUSED,
    /** The caller acts for itself, with the victim's ids: any 4xx (a conflict is fine), nothing stored. */
    OWN,
    /** Open to anyone signed in by design (a round without its bids, an ME's public profile): 200, no private data. */
    VIEW
  }

  record Case(String path, String body, Unrelated unrelated) {}

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dir, Map.of("rendan.emc.emc-members", true));
    alice = node.token("alice");
    carol = node.token("carol");
    dave = node.token("dave");
    mallory = node.token("mallory");
    aliceMe = register(alice, "Laundry Experience");
    carolMe = register(carol, "Firmware Shop");
    daveMe = register(dave, "Dryer Service");
    malloryMe = register(mallory, "Mallory Works");
    emcId = id(ok(node.postJson("/v1/emcs", alice, "{\"name\":\"Community Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + aliceMe + "\",\"ownerSide\":\"EXPERIENCE\"}")), Emc.newBuilder()).getEmcId();
    String carolInvitation = id(ok(node.postJson("/v1/emcs/" + emcId + "/invitations", alice, invitation(carolMe))), Invitation.newBuilder()).getInvitationId();
    // carol bids before she joins: a member of the EMC may not bid on its rounds, and whether
    // her ME already knew of her membership when she bid was a race
    roundId =
        id(ok(node.postJson(
                "/v1/emcs/" + emcId + "/calls",
                alice,
                "{\"call\":{\"capability\":\"iot-programming\",\"side\":\"SOLUTION\",\"role\":\"firmware\",\"description\":\"washer firmware\","
                    + "\"maxShareBps\":2000,\"mode\":\"SEALED\",\"target\":{\"metric\":\"CYCLES\",\"amount\":\"10\"}},\"closesInSeconds\":3600}")),
            Round.newBuilder()).getRoundId();
    bidId = "carol-bid-1";
    ok(node.postJson("/v1/rounds/" + roundId + "/bids", carol, "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + carolMe + "\",\"askShareBps\":900,\"plan\":\"" + SECRET_PLAN + "\"}"));
    ok(node.postJson("/v1/emcs/" + emcId + "/invitations/" + carolInvitation + "/accept", carol, "{}"));
    invitationId = id(ok(node.postJson("/v1/emcs/" + emcId + "/invitations", alice, invitation(daveMe))), Invitation.newBuilder()).getInvitationId();
    ok(node.postJson("/v1/emcs/" + emcId + "/members/" + carolMe + "/terms", alice, "{\"terms\":{\"shareBps\":1200,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"10\"}}}"));
    ProvisionedAppliance a = id(ok(node.postJson("/v1/emcs/" + emcId + "/appliances", alice, appliance())), ProvisionedAppliance.newBuilder()).build();
    applianceId = a.getAppliance().getApplianceId();
    deviceSecret = a.getDeviceSecret();
    ProvisionedAppliance b = id(ok(node.postJson("/v1/emcs/" + emcId + "/appliances", alice, appliance())), ProvisionedAppliance.newBuilder()).build();
    otherApplianceId = b.getAppliance().getApplianceId();
    otherDeviceSecret = b.getDeviceSecret();
    secrets.addAll(List.of(SECRET_PLAN, deviceSecret, otherDeviceSecret));
    reservationId =
        id(ok(node.postJson("/v1/appliances/" + applianceId + "/reservations", node.token("uma"), slot())), Reservation.newBuilder())
            .getReservationId();
    ok(node.postJson("/v1/emcs/" + emcId + "/pain-points", node.token("uma"), "{\"painPointId\":\"pp-1\",\"text\":\"Washer 3 eats socks\",\"category\":\"washers\"}"));
    unitEmcId = id(ok(node.postJson("/v1/emcs", dave, "{\"name\":\"Dryer Co-op\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + daveMe + "\",\"ownerSide\":\"SOLUTION\"}")), Emc.newBuilder()).getEmcId();
    nestId = id(ok(node.postJson("/v1/emcs", alice, "{\"name\":\"Campus Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + aliceMe + "\",\"ownerSide\":\"EXPERIENCE\"}")), Emc.newBuilder()).getEmcId();
    ok(node.postJson("/v1/emcs/" + nestId + "/invitations", alice, "{\"invitationId\":\"unit-seat\",\"memberKind\":\"emc\",\"meId\":\"" + unitEmcId + "\",\"side\":\"SOLUTION\",\"role\":\"dryers\",\"terms\":{\"shareBps\":1000,\"target\":{\"metric\":\"REPORTED\",\"amount\":\"10\"}}}"));
    ok(node.postJson("/v1/emcs/" + nestId + "/invitations/unit-seat/accept", dave, "{}"));
    // deliveries (memberships) write on their own: wait until the journal is still
    long last = -1;
    int still = 0;
    while (still < 3) {
      long rows = node.journalRows();
      still = rows == last ? still + 1 : 0;
      last = rows;
      Thread.sleep(500);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  /** The unrelated caller's attempt on each route, against the objects above. */
  static Map<String, Case> cases() {
    Map<String, Case> c = new LinkedHashMap<>();
    c.put("POST /v1/mes", new Case("/v1/mes", "{\"meId\":\"" + aliceMe + "\",\"name\":\"Taken Over\",\"kind\":\"INTERNAL\"}", Unrelated.OWN));
    c.put("GET /v1/mes/{meId}", new Case("/v1/mes/" + aliceMe, null, Unrelated.VIEW));
    c.put("PUT /v1/mes/{meId}/capabilities", new Case("/v1/mes/" + aliceMe + "/capabilities", "{\"capabilities\":[\"hacking\"]}", Unrelated.REFUSED));
    c.put("POST /v1/mes/{meId}/operators", new Case("/v1/mes/" + aliceMe + "/operators", "{\"subject\":\"mallory\"}", Unrelated.REFUSED));
    c.put("DELETE /v1/mes/{meId}/operators/{subject}", new Case("/v1/mes/" + aliceMe + "/operators/alice", null, Unrelated.REFUSED));
    c.put("GET /v1/mes/{meId}/ledger", new Case("/v1/mes/" + carolMe + "/ledger", null, Unrelated.REFUSED));
    c.put("GET /v1/mes/{meId}/statement", new Case("/v1/mes/" + carolMe + "/statement?period=2026-01", null, Unrelated.REFUSED));
    c.put("GET /v1/emcs/{emcId}/statement", new Case("/v1/emcs/" + emcId + "/statement?period=2026-01", null, Unrelated.REFUSED));
    c.put("GET /v1/admin/books", new Case("/v1/admin/books", null, Unrelated.REFUSED));
    c.put("POST /v1/emcs", new Case("/v1/emcs", "{\"name\":\"Hijack\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + aliceMe + "\",\"ownerSide\":\"EXPERIENCE\"}", Unrelated.REFUSED));
    c.put("GET /v1/emcs/{emcId}", new Case("/v1/emcs/" + emcId, null, Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/invitations", new Case("/v1/emcs/" + emcId + "/invitations", invitation(malloryMe), Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/invitations/{invitationId}/accept", new Case("/v1/emcs/" + emcId + "/invitations/" + invitationId + "/accept", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/invitations/{invitationId}/decline", new Case("/v1/emcs/" + emcId + "/invitations/" + invitationId + "/decline", "{}", Unrelated.REFUSED));
    c.put("DELETE /v1/emcs/{emcId}/members/{meId}", new Case("/v1/emcs/" + emcId + "/members/" + carolMe, null, Unrelated.REFUSED));
    c.put("DELETE /v1/emcs/{emcId}/members/{meId}/removal", new Case("/v1/emcs/" + emcId + "/members/" + carolMe + "/removal", null, Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/members/{meId}/terms", new Case("/v1/emcs/" + emcId + "/members/" + carolMe + "/terms", "{\"terms\":{\"shareBps\":9000,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}}}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/members/{meId}/terms/accept", new Case("/v1/emcs/" + emcId + "/members/" + carolMe + "/terms/accept", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/dissolve", new Case("/v1/emcs/" + emcId + "/dissolve", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/owner", new Case("/v1/emcs/" + emcId + "/owner", "{\"meId\":\"" + carolMe + "\"}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/revenue", new Case("/v1/emcs/" + emcId + "/revenue", "{\"revenueId\":\"m-1\",\"amountMinor\":\"100\",\"currency\":\"EUR\",\"source\":\"x\"}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/periods/{period}/reports", new Case("/v1/emcs/" + emcId + "/periods/2026-01/reports", "{\"meId\":\"" + carolMe + "\",\"value\":\"5\"}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/periods/{period}/close", new Case("/v1/emcs/" + emcId + "/periods/2026-01/close", "{}", Unrelated.REFUSED));
    // help cases: the ids need not exist for the refusal (the caller operates neither the helper nor the helped member)
    c.put("POST /v1/emcs/{emcId}/help/{caseId}/pledges", new Case("/v1/emcs/" + emcId + "/help/case-1/pledges", "{\"helperMeId\":\"" + carolMe + "\",\"kind\":\"KNOWLEDGE\",\"description\":\"x\"}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/accept", new Case("/v1/emcs/" + emcId + "/help/case-1/pledges/p-1/accept", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/decline", new Case("/v1/emcs/" + emcId + "/help/case-1/pledges/p-1/decline", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/help/{caseId}/pledges/{pledgeId}/deliver", new Case("/v1/emcs/" + emcId + "/help/case-1/pledges/p-1/deliver", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/help/{caseId}/leave", new Case("/v1/emcs/" + emcId + "/help/case-1/leave", "{}", Unrelated.REFUSED));
    c.put("GET /v1/charter", new Case("/v1/charter", null, Unrelated.VIEW));
    c.put("PUT /v1/charter", new Case("/v1/charter", "{\"clauses\":{\"replaceOnlyAfterFailedHelp\":true}}", Unrelated.REFUSED));
    c.put("GET /v1/emcs/{emcId}/charter", new Case("/v1/emcs/" + emcId + "/charter", null, Unrelated.REFUSED));
    c.put("PUT /v1/emcs/{emcId}/charter", new Case("/v1/emcs/" + emcId + "/charter", "{\"clauses\":{\"minShareBps\":1}}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/calls", new Case("/v1/emcs/" + emcId + "/calls", "{\"call\":{\"capability\":\"x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"maxShareBps\":100,\"mode\":\"SEALED\",\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}},\"closesInSeconds\":600}", Unrelated.REFUSED));
    c.put("GET /v1/rounds", new Case("/v1/rounds", null, Unrelated.VIEW));
    c.put("POST /v1/emcs/{emcId}/pain-points", new Case("/v1/emcs/" + emcId + "/pain-points", "{\"painPointId\":\"pp-1\",\"text\":\"taken over\",\"category\":\"washers\"}", Unrelated.OWN));
    c.put("GET /v1/emcs/{emcId}/pain-points", new Case("/v1/emcs/" + emcId + "/pain-points", null, Unrelated.VIEW));
    c.put("GET /v1/emcs/{emcId}/pain-points/{painPointId}", new Case("/v1/emcs/" + emcId + "/pain-points/pp-1", null, Unrelated.VIEW));
    c.put("POST /v1/emcs/{emcId}/pain-points/{painPointId}/votes", new Case("/v1/emcs/" + emcId + "/pain-points/no-such/votes", "{}", Unrelated.OWN));
    c.put("POST /v1/emcs/{emcId}/pain-points/{painPointId}/triage", new Case("/v1/emcs/" + emcId + "/pain-points/pp-1/triage", "{\"action\":\"DECLINE\",\"meId\":\"" + aliceMe + "\",\"reason\":\"no\"}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/pain-points/{painPointId}/call", new Case("/v1/emcs/" + emcId + "/pain-points/pp-1/call", "{\"call\":{\"capability\":\"x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"maxShareBps\":100,\"mode\":\"SEALED\",\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}},\"closesInSeconds\":600}", Unrelated.REFUSED));
    c.put("GET /v1/rounds/{roundId}/prospectus", new Case("/v1/rounds/" + roundId + "/prospectus?askBps=100", null, Unrelated.VIEW));
    c.put("GET /v1/rounds/{roundId}", new Case("/v1/rounds/" + roundId + "?asMe=" + carolMe, null, Unrelated.REFUSED));
    c.put("POST /v1/rounds/{roundId}/bids", new Case("/v1/rounds/" + roundId + "/bids", "{\"bidId\":\"m-bid\",\"meId\":\"" + carolMe + "\",\"askShareBps\":100,\"plan\":\"x\"}", Unrelated.REFUSED));
    c.put("DELETE /v1/rounds/{roundId}/bids/{bidId}", new Case("/v1/rounds/" + roundId + "/bids/" + bidId, null, Unrelated.REFUSED));
    c.put("POST /v1/rounds/{roundId}/award", new Case("/v1/rounds/" + roundId + "/award", "{\"bidId\":\"" + bidId + "\"}", Unrelated.REFUSED));
    c.put("POST /v1/admin/naive-rounds/{roundId}/bids", new Case("/v1/admin/naive-rounds/nr-1/bids", "{\"bidId\":\"n-1\",\"meId\":\"" + carolMe + "\",\"askShareBps\":100}", Unrelated.REFUSED));
    c.put("POST /v1/rounds/{roundId}/cancel", new Case("/v1/rounds/" + roundId + "/cancel", "{}", Unrelated.REFUSED));
    c.put("POST /v1/emcs/{emcId}/appliances", new Case("/v1/emcs/" + emcId + "/appliances", appliance(), Unrelated.REFUSED));
    c.put("GET /v1/emcs/{emcId}/appliances", new Case("/v1/emcs/" + emcId + "/appliances", null, Unrelated.REFUSED));
    c.put("GET /v1/appliances/{applianceId}", new Case("/v1/appliances/" + applianceId, null, Unrelated.REFUSED));
    c.put("POST /v1/appliances/{applianceId}/secret", new Case("/v1/appliances/" + applianceId + "/secret", "{}", Unrelated.REFUSED));
    c.put("POST /v1/appliances/{applianceId}/reservations", new Case("/v1/appliances/" + applianceId + "/reservations", "{\"reservationId\":\"" + reservationId + "\"," + slot().substring(1), Unrelated.OWN));
    c.put("DELETE /v1/appliances/{applianceId}/reservations/{reservationId}", new Case("/v1/appliances/" + applianceId + "/reservations/" + reservationId, null, Unrelated.REFUSED));
    // the socket itself: its operations are the cases of webSocketOperations
    c.put("GET /v1/ws", new Case("/v1/ws", null, null));
    c.put("POST /v1/admin/sink/{streamId}/telemetry", new Case("/v1/admin/sink/s-1/telemetry", "{\"seq\":1}\n", Unrelated.REFUSED));
    c.put("POST /v1/appliances/{applianceId}/telemetry", new Case("/v1/appliances/" + applianceId + "/telemetry", "{\"seq\":1}\n", Unrelated.REFUSED));
    c.put("GET /health/alive", new Case("/health/alive", null, null));
    c.put("GET /health/ready", new Case("/health/ready", null, null));
    c.put("GET /metrics", new Case("/metrics", null, null));
    c.put("GET /v1/openapi.json", new Case("/v1/openapi.json", null, null));
    c.put("GET /", new Case("/", null, null));
    c.put("GET /console/{file...}", new Case("/console/js/app.js", null, null));
    c.put("POST /v1/dev/tokens", new Case("/v1/dev/tokens", "{\"subject\":\"someone\"}", null));
    return c;
  }

  @Test
  void everyDeclaredRouteHasACaseAndEveryCaseARoute() {
    Set<String> declared = new TreeSet<>();
    NodeRoutes.TABLE.endpoints().forEach(e -> declared.add(e.toString()));
    Set<String> covered = new TreeSet<>(cases().keySet());
    assertEquals(declared, covered, "add a case to AuthorizationMatrixTest for every route in a routes class' ENDPOINTS");
  }

  @Test
  void withoutAValidTokenEveryRouteIsRefused() throws Exception {
    Map<String, String> bad = badCredentials();
    Map<String, Case> cases = cases();
    long rows = node.journalRows();
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      if (e.access() == Endpoint.Access.PUBLIC) {
        continue;
      }
      Case c = cases.get(e.toString());
      for (var credential : bad.entrySet()) {
        if (e.access() == Endpoint.Access.DEVICE && credential.getKey().equals("a device secret")) {
          continue; // its own credential: see aDeviceSecretOpensOnlyItsOwnAppliancesStream
        }
        HttpResponse<String> r = send(e.method(), c.path(), credential.getValue(), c.body());
        assertEquals(401, r.statusCode(), e + " with " + credential.getKey() + ": " + r.body());
        assertTrue(r.body().contains("auth:unauthenticated"), e + " with " + credential.getKey() + ": " + r.body());
        assertNoSecrets(e + " with " + credential.getKey(), r.body());
        assertEquals(rows, node.journalRows(), e + " with " + credential.getKey() + " stored something");
      }
    }
  }

  @Test
  void anUnrelatedSubjectGetsNothingOfOthersObjects() throws Exception {
    Map<String, Case> cases = cases();
    long rows = node.journalRows();
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      Case c = cases.get(e.toString());
      if (c.unrelated() == null) {
        continue;
      }
      String authorization = e.access() == Endpoint.Access.DEVICE ? "Bearer " + mallory : "Bearer " + mallory;
      HttpResponse<String> r = send(e.method(), c.path(), authorization, c.body());
      String what = e + " as an unrelated subject: " + r.statusCode() + " " + r.body();
      switch (e.access() == Endpoint.Access.DEVICE ? Unrelated.REFUSED : c.unrelated()) {
        case REFUSED -> assertTrue(Set.of(401, 403, 404).contains(r.statusCode()), what);
        case OWN -> assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, what);
        case VIEW -> assertEquals(200, r.statusCode(), what);
      }
      assertNoSecrets(what, r.body());
      assertEquals(rows, node.journalRows(), what + ": stored something");
    }
  }

  @Test
  void adminRoutesRefuseOperatorsWithoutTheRole() throws Exception {
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      if (e.access() == Endpoint.Access.ADMIN) {
        Case c = cases().get(e.toString());
        assertEquals(403, send(e.method(), c.path(), "Bearer " + alice, c.body()).statusCode(), e.toString());
        assertEquals(200, send(e.method(), c.path(), "Bearer " + node.token("root", "admin"), c.body()).statusCode(), e.toString());
      }
    }
  }

  @Test
  void publicRoutesAnswerWithoutATokenAndShowNoIds() throws Exception {
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      if (e.access() != Endpoint.Access.PUBLIC) {
        continue;
      }
      Case c = cases().get(e.toString());
      HttpResponse<String> r = send(e.method(), c.path(), null, c.body());
      assertEquals(200, r.statusCode(), e + ": " + r.body());
      assertNoSecrets(e.toString(), r.body());
      for (String id : List.of(aliceMe, emcId, roundId, applianceId)) {
        assertFalse(r.body().contains(id), e + " shows an id");
      }
    }
  }

  @Test
  void aDeviceSecretOpensOnlyItsOwnAppliancesStream() throws Exception {
    long rows = node.journalRows();
    String path = "/v1/appliances/" + applianceId + "/telemetry";
    for (String authorization : List.of("Device " + otherDeviceSecret, "Bearer " + alice, "Device ", "Device " + deviceSecret + "x")) {
      HttpResponse<String> r = send("POST", path, authorization, "{\"seq\":1,\"state\":\"IDLE\"}\n");
      assertEquals(401, r.statusCode(), authorization + ": " + r.body());
      assertNoSecrets(authorization, r.body());
    }
    assertEquals(401, send("POST", path, null, "{\"seq\":1}\n").statusCode());
    assertEquals(rows, node.journalRows());
  }

  @Test
  void theWebSocketHandshakeRefusesEveryBadCredential() throws Exception {
    for (var credential : badCredentials().entrySet()) {
      var builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
      if (credential.getValue() != null) {
        builder.header("Authorization", credential.getValue());
      }
      var attempt = builder.buildAsync(node.wsUri(), new java.net.http.WebSocket.Listener() {});
      var failure = assertThrows(Exception.class, () -> attempt.get(10, TimeUnit.SECONDS), credential.getKey());
      var handshake = (java.net.http.WebSocketHandshakeException) failure.getCause();
      assertEquals(401, handshake.getResponse().statusCode(), credential.getKey());
    }
    // the browser way: the token as a subprotocol
    var forged = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("rendan.v1", "bearer." + forgedToken());
    assertThrows(Exception.class, () -> forged.buildAsync(node.wsUri(), new java.net.http.WebSocket.Listener() {}).get(10, TimeUnit.SECONDS));
  }

  /** What the unrelated subject sends on its own socket, per operation. */
  static Map<String, Message> operations() {
    Map<String, Message> o = new LinkedHashMap<>();
    o.put("subscribe", Subscribe.newBuilder().setTopic("me/" + aliceMe).build());
    o.put("unsubscribe", Unsubscribe.newBuilder().setTopic("emc/" + emcId).build());
    o.put("register_me", RegisterMeRequest.newBuilder().setMeId(aliceMe).setName("Taken Over").setKind(Me.Kind.INTERNAL).build());
    o.put("get_me", GetMeRequest.newBuilder().setMeId(aliceMe).build());
    o.put("change_capabilities", ChangeCapabilitiesRequest.newBuilder().setMeId(aliceMe).addCapabilities("hacking").build());
    o.put("add_operator", AddOperatorRequest.newBuilder().setMeId(aliceMe).setSubject("mallory").build());
    o.put("remove_operator", RemoveOperatorRequest.newBuilder().setMeId(aliceMe).setSubject("alice").build());
    o.put("start_emc", StartEmcRequest.newBuilder().setName("Hijack").setUserGroup("dorm").setOwnerMeId(aliceMe).setOwnerSide(Member.Side.EXPERIENCE).build());
    o.put("get_emc", GetEmcRequest.newBuilder().setEmcId(emcId).build());
    o.put("invite_member", InviteMemberRequest.newBuilder().setEmcId(emcId).setMeId(malloryMe).setSide(Member.Side.SOLUTION).setRole("r").setTerms(terms(100)).build());
    o.put("accept_invitation", AnswerInvitationRequest.newBuilder().setEmcId(emcId).setInvitationId(invitationId).build());
    o.put("decline_invitation", AnswerInvitationRequest.newBuilder().setEmcId(emcId).setInvitationId(invitationId).build());
    o.put("remove_member", RemoveMemberRequest.newBuilder().setEmcId(emcId).setMeId(carolMe).build());
    o.put("cancel_removal", RemoveMemberRequest.newBuilder().setEmcId(emcId).setMeId(carolMe).build());
    o.put("propose_terms", ProposeTermsRequest.newBuilder().setEmcId(emcId).setMeId(carolMe).setTerms(terms(9000)).build());
    o.put("accept_terms", AcceptTermsRequest.newBuilder().setEmcId(emcId).setMeId(carolMe).build());
    o.put("dissolve_emc", DissolveEmcRequest.newBuilder().setEmcId(emcId).build());
    o.put("transfer_ownership", TransferOwnershipRequest.newBuilder().setEmcId(emcId).setMeId(carolMe).build());
    o.put("post_call", PostCallRequest.newBuilder().setEmcId(emcId).setCall(Call.newBuilder().setCapability("x").setSide(Member.Side.SOLUTION).setRole("r").setMaxShareBps(100).setMode(Call.Mode.SEALED).setTarget(terms(1).getTarget())).setClosesInSeconds(600).build());
    o.put("get_round", GetRoundRequest.newBuilder().setRoundId(roundId).setAsMe(carolMe).build());
    o.put("list_rounds", ListRoundsRequest.getDefaultInstance());
    o.put("post_pain_point", io.rendan.protocol.api.v1.PostPainPointRequest.newBuilder().setEmcId(emcId).setPainPointId("pp-1").setText("taken over").setCategory("washers").build());
    o.put("vote_pain_point", io.rendan.protocol.api.v1.VotePainPointRequest.newBuilder().setEmcId(emcId).setPainPointId("no-such").build());
    o.put("triage_pain_point", io.rendan.protocol.api.v1.TriagePainPointRequest.newBuilder().setEmcId(emcId).setPainPointId("pp-1").setAction(io.rendan.protocol.api.v1.TriagePainPointRequest.Action.DECLINE).setMeId(aliceMe).setReason("no").build());
    o.put("get_pain_point", io.rendan.protocol.api.v1.GetPainPointRequest.newBuilder().setEmcId(emcId).setPainPointId("pp-1").build());
    o.put("list_pain_points", io.rendan.protocol.api.v1.ListPainPointsRequest.newBuilder().setEmcId(emcId).build());
    o.put("open_pain_point_call", io.rendan.protocol.api.v1.OpenPainPointCallRequest.newBuilder().setEmcId(emcId).setPainPointId("pp-1").setCall(Call.newBuilder().setCapability("x").setSide(Member.Side.SOLUTION).setRole("r").setMaxShareBps(100).setMode(Call.Mode.SEALED).setTarget(terms(1).getTarget())).setClosesInSeconds(600).build());
    o.put("get_prospectus", io.rendan.protocol.api.v1.GetProspectusRequest.newBuilder().setRoundId(roundId).setAskBps(100).build());
    o.put("place_bid", PlaceBidRequest.newBuilder().setRoundId(roundId).setBidId("m-bid").setMeId(carolMe).setAskShareBps(100).setPlan("x").build());
    o.put("withdraw_bid", WithdrawBidRequest.newBuilder().setRoundId(roundId).setBidId(bidId).build());
    o.put("award_bid", AwardBidRequest.newBuilder().setRoundId(roundId).setBidId(bidId).build());
    o.put("cancel_round", CancelRoundRequest.newBuilder().setRoundId(roundId).build());
    o.put("provision_appliance", ProvisionApplianceRequest.newBuilder().setEmcId(emcId).setType(Appliance.Type.WASHER).setModel("m").setLocation("l").setTariff(Tariff.newBuilder().setAmountMinor(100).setCurrency("EUR")).build());
    o.put("list_appliances", ListAppliancesRequest.newBuilder().setEmcId(emcId).build());
    o.put("get_appliance", GetApplianceRequest.newBuilder().setApplianceId(applianceId).build());
    o.put("rotate_device_secret", RotateDeviceSecretRequest.newBuilder().setApplianceId(applianceId).build());
    o.put("book_reservation", BookReservationRequest.newBuilder().setApplianceId(applianceId).setReservationId(reservationId).setFrom(ts(Instant.now().plus(1, ChronoUnit.HOURS))).setTo(ts(Instant.now().plus(2, ChronoUnit.HOURS))).build());
    o.put("pledge_help", PledgeHelpRequest.newBuilder().setEmcId(emcId).setCaseId("case-1").setHelperMeId(carolMe).setKind(Pledge.Kind.KNOWLEDGE).setDescription("x").build());
    o.put("answer_pledge", AnswerPledgeRequest.newBuilder().setEmcId(emcId).setCaseId("case-1").setPledgeId("p-1").setAccept(true).build());
    o.put("deliver_help", DeliverHelpRequest.newBuilder().setEmcId(emcId).setCaseId("case-1").setPledgeId("p-1").build());
    o.put("agree_to_leave", AgreeToLeaveRequest.newBuilder().setEmcId(emcId).setCaseId("case-1").build());
    // the charter: anyone signed in reads the organisation's; only admins set it; the EMC's as its routes
    io.rendan.protocol.api.v1.Clauses strict = io.rendan.protocol.api.v1.Clauses.newBuilder().setMinShareBps(100).setReplaceOnlyAfterFailedHelp(true).build();
    o.put("get_charter", io.rendan.protocol.api.v1.GetCharterRequest.getDefaultInstance());
    o.put("set_charter", io.rendan.protocol.api.v1.SetCharterRequest.newBuilder().setClauses(strict).build());
    o.put("get_emc_charter", io.rendan.protocol.api.v1.GetEmcCharterRequest.newBuilder().setEmcId(emcId).build());
    o.put("adopt_emc_charter", io.rendan.protocol.api.v1.AdoptEmcCharterRequest.newBuilder().setEmcId(emcId).setClauses(strict).build());
    o.put("cancel_reservation", CancelReservationRequest.newBuilder().setApplianceId(applianceId).setReservationId(reservationId).build());
    return o;
  }

  /** Operations open to anyone signed in, or acting for the caller itself. */
  private static final Map<String, Unrelated> NOT_REFUSED =
      Map.ofEntries(
          Map.entry("get_me", Unrelated.VIEW),
          Map.entry("list_rounds", Unrelated.VIEW),
          Map.entry("get_prospectus", Unrelated.VIEW),
          Map.entry("get_pain_point", Unrelated.VIEW),
          Map.entry("list_pain_points", Unrelated.VIEW),
          Map.entry("post_pain_point", Unrelated.OWN),
          Map.entry("vote_pain_point", Unrelated.OWN),
          Map.entry("unsubscribe", Unrelated.VIEW),
          Map.entry("register_me", Unrelated.OWN),
          Map.entry("book_reservation", Unrelated.OWN),
          Map.entry("get_charter", Unrelated.VIEW));

  @Test
  void everyWebSocketOperationHasACase() {
    Set<String> ops = new TreeSet<>();
    for (FieldDescriptor f : ClientFrame.getDescriptor().getOneofs().get(0).getFields()) {
      ops.add(f.getName());
    }
    assertEquals(ops, new TreeSet<>(operations().keySet()), "add a case to AuthorizationMatrixTest for every ClientFrame operation");
  }

  @Test
  void everyWebSocketOperationRefusesAnUnrelatedSubject() throws Exception {
    long rows = node.journalRows();
    try (WsClient ws = WsClient.connect(node.wsUri(), mallory)) {
      for (var op : operations().entrySet()) {
        FieldDescriptor field = ClientFrame.getDescriptor().findFieldByName(op.getKey());
        ClientFrame frame = ClientFrame.newBuilder().setRequestId(op.getKey()).setField(field, op.getValue()).build();
        ws.sendBinary(frame);
        Response response = ws.next().frame().getResponse();
        String what = op.getKey() + " as an unrelated subject: " + JsonFormat.printer().print(response);
        assertEquals(op.getKey(), response.getRequestId(), what);
        switch (NOT_REFUSED.getOrDefault(op.getKey(), Unrelated.REFUSED)) {
          case REFUSED -> assertTrue(response.hasError() && Set.of(401, 403, 404).contains(response.getError().getStatus()), what);
          case OWN -> assertTrue(response.hasError() && response.getError().getStatus() / 100 == 4, what);
          case VIEW -> assertFalse(response.hasError(), what);
        }
        assertNoSecrets(what, JsonFormat.printer().print(response) + response.toString());
        assertEquals(rows, node.journalRows(), what + ": stored something");
      }
    }
  }

  /** An EMC bids as one unit only through its owner: over HTTP and WebSocket, an unrelated subject is refused. */
  @Test
  void anEmcBidsAsOneUnitOnlyThroughItsOwner() throws Exception {
    long rows = node.journalRows();
    HttpResponse<String> r =
        send(
            "POST",
            "/v1/rounds/" + roundId + "/bids",
            "Bearer " + mallory,
            "{\"bidId\":\"m-unit\",\"meId\":\"" + emcId + "\",\"bidderKind\":\"emc\",\"askShareBps\":100,\"plan\":\"x\"}");
    assertEquals(403, r.statusCode(), r.body());
    assertNoSecrets("an EMC's bid by an unrelated subject", r.body());
    try (WsClient ws = WsClient.connect(node.wsUri(), mallory)) {
      ws.sendBinary(
          ClientFrame.newBuilder()
              .setRequestId("unit")
              .setPlaceBid(
                  PlaceBidRequest.newBuilder().setRoundId(roundId).setBidId("m-unit").setMeId(emcId).setBidderKind("emc").setAskShareBps(100))
              .build());
      Response response = ws.next().frame().getResponse();
      assertTrue(response.hasError() && response.getError().getStatus() == 403, response.toString());
    }
    assertEquals(rows, node.journalRows(), "an EMC's bid by an unrelated subject stored something");
  }

  /**
   * A seat held by an EMC reports its period value only through that EMC's owner:
   * an unrelated subject, a member of the outer EMC and the outer EMC's owner are
   * refused and store nothing; the inner EMC's owner's operator is heard.
   */
  @Test
  void aSeatHeldByAnEmcReportsItsValueOnlyThroughItsOwner() throws Exception {
    long rows = node.journalRows();
    String path = "/v1/emcs/" + nestId + "/periods/" + YearMonth.now(ZoneOffset.UTC) + "/reports";
    String body = "{\"meId\":\"" + unitEmcId + "\",\"value\":\"12\"}";
    for (String other : List.of(mallory, carol, alice)) {
      HttpResponse<String> r = send("POST", path, "Bearer " + other, body);
      assertEquals(403, r.statusCode(), r.body());
      assertNoSecrets("a seat's report by another subject", r.body());
    }
    assertEquals(rows, node.journalRows(), "a refused report for an EMC's seat stored something");
    HttpResponse<String> heard = send("POST", path, "Bearer " + dave, body);
    assertEquals(200, heard.statusCode(), heard.body());
    assertEquals(rows + 1, node.journalRows(), "the seat's report is one event");
  }

  @Test
  void subscriptionsToTopicsTheCallerMayNotSeeAreRefused() throws Exception {
    try (WsClient ws = WsClient.connect(node.wsUri(), mallory)) {
      for (String topic : List.of("me/" + aliceMe, "me/" + carolMe, "emc/" + emcId, "appliance/" + applianceId, "me/no-such-me")) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId(topic).setSubscribe(Subscribe.newBuilder().setTopic(topic)).build());
        Response response = ws.next().frame().getResponse();
        assertTrue(response.hasError() && Set.of(403, 404).contains(response.getError().getStatus()), topic + ": " + response);
      }
      // a round is public by design: its pushes never carry bids
      ws.sendJson(ClientFrame.newBuilder().setRequestId("r").setSubscribe(Subscribe.newBuilder().setTopic("round/" + roundId)).build());
      assertTrue(ws.next().frame().getResponse().hasSubscribed());
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Authorization header values that must never get through. */
  static Map<String, String> badCredentials() throws Exception {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("no token", null);
    Jwt same = new Jwt(TestNode.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ZERO, Clock.systemUTC());
    bad.put("an expired token", "Bearer " + same.issue("alice", List.of("admin"), Duration.ofHours(-1)));
    bad.put("a token signed with another key", "Bearer " + forgedToken());
    bad.put("a token with alg none", "Bearer " + algNone());
    bad.put("a device secret as a bearer", "Bearer " + deviceSecret);
    bad.put("a device secret", "Device " + deviceSecret);
    return bad;
  }

  static String forgedToken() {
    Jwt other = new Jwt("another-secret-of-32-bytes-or-more-0000".getBytes(StandardCharsets.UTF_8), Duration.ZERO, Clock.systemUTC());
    return other.issue("alice", List.of("admin"), Duration.ofHours(1));
  }

  static String algNone() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long exp = Instant.now().plusSeconds(3600).getEpochSecond();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + b64.encodeToString(("{\"sub\":\"alice\",\"roles\":[\"admin\"],\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8))
        + ".";
  }

  static void assertNoSecrets(String what, String body) {
    for (String secret : secrets) {
      assertFalse(body.contains(secret), what + " shows a secret");
    }
    assertFalse(body.matches("(?s).*(Exception|\\tat [a-z]).*"), what + " shows an exception");
  }

  static HttpResponse<String> send(String method, String path, String authorization, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path)).timeout(Duration.ofSeconds(15));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", path.endsWith("/telemetry") ? "application/x-ndjson" : "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return node.send(b.build());
  }

  static String register(String token, String name) throws Exception {
    return id(ok(node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[\"iot-programming\"]}")), Me.newBuilder()).getMeId();
  }

  static String invitation(String meId) {
    return "{\"meId\":\"" + meId + "\",\"side\":\"SOLUTION\",\"role\":\"partner\",\"terms\":{\"shareBps\":1000,\"target\":{\"metric\":\"CYCLES\",\"amount\":\"10\"}}}";
  }

  static String appliance() {
    return "{\"type\":\"WASHER\",\"model\":\"WM-40\",\"location\":\"Dorm A\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}";
  }

  static String slot() {
    Instant from = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    return "{\"from\":\"" + from + "\",\"to\":\"" + from.plus(1, ChronoUnit.HOURS) + "\"}";
  }

  static Terms terms(int shareBps) {
    return Terms.newBuilder().setShareBps(shareBps).setTarget(Target.newBuilder().setMetric(Target.Metric.CYCLES).setAmount(1)).build();
  }

  static Timestamp ts(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).build();
  }

  static HttpResponse<String> ok(HttpResponse<String> r) {
    if (r.statusCode() / 100 != 2) {
      fail(r.request().method() + " " + r.request().uri() + ": " + r.statusCode() + " " + r.body());
    }
    return r;
  }

  static <B extends Message.Builder> B id(HttpResponse<String> r, B builder) throws Exception {
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), builder);
    return builder;
  }
}
