package io.rendan.me;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.Error;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ME routes of a real node on a real port, as curl users and apps call them. */
@Tag("node")
class MeHttpTest {
  @TempDir static Path dataDir;
  static TestNode node;
  static String alice;
  static String bob;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir);
    alice = node.token("alice");
    bob = node.token("bob");
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  static Me me(HttpResponse<String> response) throws Exception {
    Me.Builder b = Me.newBuilder();
    JsonFormat.parser().merge(response.body(), b);
    return b.build();
  }

  static Error error(HttpResponse<String> response) throws Exception {
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    Error.Builder b = Error.newBuilder();
    JsonFormat.parser().merge(response.body(), b);
    Error e = b.build();
    assertEquals(response.statusCode(), e.getStatus(), "status in body matches the HTTP status");
    assertFalse(response.body().contains("\tat "), "no stack trace in a response");
    assertFalse(response.body().contains("Exception"), "no exception names in a response");
    return e;
  }

  static String register(String token, String name, String... capabilities) throws Exception {
    StringBuilder caps = new StringBuilder();
    for (String c : capabilities) {
      caps.append(caps.length() == 0 ? "" : ",").append('"').append(c).append('"');
    }
    HttpResponse<String> r =
        node.postJson(
            "/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[" + caps + "]}");
    assertEquals(201, r.statusCode(), r.body());
    return me(r).getMeId();
  }

  @Test
  void registeredMeCanBeReadAndItsCapabilitiesChanged() throws Exception {
    HttpResponse<String> created =
        node.postJson(
            "/v1/mes",
            alice,
            "{\"name\":\"Washer Works\",\"kind\":\"INTERNAL\",\"capabilities\":[\"refrigerators\",\"marketing\"]}");
    assertEquals(201, created.statusCode(), created.body());
    Me me = me(created);
    assertEquals("/v1/mes/" + me.getMeId(), created.headers().firstValue("Location").orElseThrow());
    assertEquals("Washer Works", me.getName());
    assertEquals(Me.Kind.INTERNAL, me.getKind());
    assertEquals(java.util.List.of("marketing", "refrigerators"), me.getCapabilitiesList());
    assertEquals(java.util.List.of("alice"), me.getOperatorsList());
    assertEquals(1, me.getVersion());

    HttpResponse<String> read = node.get("/v1/mes/" + me.getMeId(), bob);
    assertEquals(200, read.statusCode());
    assertEquals(me, me(read));

    HttpResponse<String> changed =
        node.putJson("/v1/mes/" + me.getMeId() + "/capabilities", alice, "{\"capabilities\":[\"logistics\"]}");
    assertEquals(200, changed.statusCode(), changed.body());
    assertEquals(java.util.List.of("logistics"), me(changed).getCapabilitiesList());
    assertEquals(2, me(changed).getVersion());
    assertEquals(me(changed), me(node.get("/v1/mes/" + me.getMeId(), alice)));
  }

  @Test
  void retriedRegistrationWithTheSameIdIsIdempotentAndAnotherOneConflicts() throws Exception {
    String id = "me-" + UUID.randomUUID();
    String body = "{\"meId\":\"" + id + "\",\"name\":\"Oven Makers\",\"kind\":\"EXTERNAL_PARTNER\"}";
    HttpResponse<String> first = node.postJson("/v1/mes", alice, body);
    HttpResponse<String> again = node.postJson("/v1/mes", alice, body);
    assertEquals(201, first.statusCode());
    assertEquals(200, again.statusCode());
    assertEquals(me(first), me(again));

    long rows = node.journalRows();
    HttpResponse<String> other =
        node.postJson("/v1/mes", bob, "{\"meId\":\"" + id + "\",\"name\":\"Someone Else\",\"kind\":\"INTERNAL\"}");
    assertEquals(409, other.statusCode());
    assertEquals("me:already-exists", error(other).getCode());
    assertEquals(rows, node.journalRows());
  }

  @Test
  void onlyAnOperatorChangesAnMe() throws Exception {
    String id = register(alice, "Campus Marketing", "marketing");
    long rows = node.journalRows();
    HttpResponse<String> r = node.putJson("/v1/mes/" + id + "/capabilities", bob, "{\"capabilities\":[\"x\"]}");
    assertEquals(403, r.statusCode());
    assertEquals("auth:forbidden", error(r).getCode());
    assertEquals(rows, node.journalRows(), "nothing stored");
    assertEquals(java.util.List.of("marketing"), me(node.get("/v1/mes/" + id, alice)).getCapabilitiesList());
  }

  @Test
  void anAddedOperatorMayActAndTheLastOperatorCannotBeRemoved() throws Exception {
    String id = register(alice, "Fridge Fleet");
    HttpResponse<String> added = node.postJson("/v1/mes/" + id + "/operators", alice, "{\"subject\":\"bob\"}");
    assertEquals(200, added.statusCode(), added.body());
    assertEquals(java.util.List.of("alice", "bob"), me(added).getOperatorsList());
    assertEquals(200, node.putJson("/v1/mes/" + id + "/capabilities", bob, "{\"capabilities\":[\"fridges\"]}").statusCode());

    assertEquals(200, node.delete("/v1/mes/" + id + "/operators/alice", bob).statusCode());
    HttpResponse<String> last = node.delete("/v1/mes/" + id + "/operators/bob", bob);
    assertEquals(409, last.statusCode());
    assertEquals("me:operator.last", error(last).getCode());
    assertEquals(403, node.putJson("/v1/mes/" + id + "/capabilities", alice, "{\"capabilities\":[]}").statusCode());
  }

  @Test
  void protobufIsAcceptedAndReturnedWhenAskedFor() throws Exception {
    RegisterMeRequest request =
        RegisterMeRequest.newBuilder().setName("Binary Bakers").setKind(Me.Kind.INTERNAL).addCapabilities("ovens").build();
    HttpResponse<byte[]> r =
        node.http()
            .send(
                node.request("/v1/mes", alice)
                    .header("Content-Type", "application/x-protobuf")
                    .header("Accept", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(201, r.statusCode());
    assertEquals("application/x-protobuf", r.headers().firstValue("Content-Type").orElse(""));
    Me me = Me.parseFrom(r.body());
    assertEquals("Binary Bakers", me.getName());
    assertEquals(me, me(node.get("/v1/mes/" + me.getMeId(), alice)));
  }

  @Test
  void badInputGetsAClearStatusAndCodeAndStoresNothing() throws Exception {
    String id = register(alice, "Target");
    long rows = node.journalRows();

    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":"), 400, "request:malformed");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"A\",\"kind\":\"INTERNAL\",\"capabilities\":{\"a\":1}}"), 400, "request:malformed");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"A\",\"kind\":\"MAYBE\"}"), 400, "request:malformed");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"A\",\"kind\":\"INTERNAL\",\"color\":\"red\"}"), 400, "request:malformed");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"A\"}"), 400, "request:invalid");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"  \",\"kind\":\"INTERNAL\"}"), 400, "request:invalid");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"A\",\"kind\":\"INTERNAL\",\"capabilities\":[\"Not A Word\"]}"), 400, "request:invalid");
    assertRefused(node.postJson("/v1/mes", alice, "{\"meId\":\"../etc\",\"name\":\"A\",\"kind\":\"INTERNAL\"}"), 400, "request:invalid");
    assertRefused(node.putJson("/v1/mes/" + id + "/capabilities", alice, "{\"meId\":\"other\",\"capabilities\":[]}"), 400, "request:invalid");
    assertRefused(node.putJson("/v1/mes/no-such-me/capabilities", alice, "{\"capabilities\":[]}"), 404, "me:not-found");
    assertRefused(node.get("/v1/mes/no-such-me", alice), 404, "me:not-found");
    assertRefused(node.postJson("/v1/mes", alice, "{\"name\":\"" + "x".repeat(70_000) + "\",\"kind\":\"INTERNAL\"}"), 413, "request:too-large");
    assertRefused(
        node.send(node.request("/v1/mes", alice).header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hi")).build()),
        415,
        "request:unsupported-media-type");
    assertRefused(node.get("/v1/nothing-here", alice), 404, "route:not-found");
    assertRefused(node.delete("/v1/mes/" + id, alice), 405, "route:method-not-allowed");

    assertEquals(rows, node.journalRows(), "nothing was stored");
  }

  @Test
  void missingOrWrongTokensAreRefusedWith401() throws Exception {
    long rows = node.journalRows();
    String body = "{\"name\":\"A\",\"kind\":\"INTERNAL\"}";
    HttpResponse<String> none = node.postJson("/v1/mes", null, body);
    assertRefused(none, 401, "auth:unauthenticated");
    assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));

    String forged = alice.substring(0, alice.lastIndexOf('.') + 1) + "AAAA" + alice.substring(alice.lastIndexOf('.') + 5);
    assertRefused(node.postJson("/v1/mes", forged, body), 401, "auth:unauthenticated");
    assertRefused(node.postJson("/v1/mes", "not-a-token", body), 401, "auth:unauthenticated");
    HttpResponse<String> basic =
        node.send(node.request("/v1/mes/x", null).header("Authorization", "Basic YWxpY2U6cHc=").GET().build());
    assertRefused(basic, 401, "auth:unauthenticated");
    assertFalse(none.body().contains(alice));
    assertEquals(rows, node.journalRows());
  }

  @Test
  void devModeIssuesTokensThatTheApiAccepts() throws Exception {
    HttpResponse<String> r = node.postJson("/v1/dev/tokens", null, "{\"subject\":\"carol\",\"roles\":[\"admin\"]}");
    assertEquals(200, r.statusCode(), r.body());
    String token = r.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    String id = register(token, "Carol Co");
    assertEquals(java.util.List.of("carol"), me(node.get("/v1/mes/" + id, token)).getOperatorsList());
    assertRefused(node.postJson("/v1/dev/tokens", null, "{\"subject\":\"\"}"), 400, "request:invalid");
  }

  @Test
  void healthRoutesAnswer() throws Exception {
    HttpResponse<String> alive = node.get("/health/alive", null);
    assertEquals(200, alive.statusCode());
    // readiness may lag the start: a shard region registers with its coordinator a moment later
    TestNode.await(
        java.time.Duration.ofSeconds(30), "the node says it is ready", () -> node.get("/health/ready", null).statusCode() == 200);
    HttpResponse<String> ready = node.get("/health/ready", null);
    assertEquals(200, ready.statusCode(), ready.body());
    assertTrue(ready.body().contains("\"ready\""), ready.body());
  }

  static void assertRefused(HttpResponse<String> response, int status, String code) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals(code, error(response).getCode(), response.body());
  }

  @Test
  void jsonOfAnMeIsTheCanonicalProtobufMapping() throws Exception {
    String id = register(alice, "Mapping Check", "dietitian");
    String body = node.get("/v1/mes/" + id, alice).body();
    assertEquals(HttpCodec.toJson(me(node.get("/v1/mes/" + id, alice))), body);
    assertTrue(body.contains("\"meId\":\"" + id + "\""));
    assertTrue(body.contains("\"kind\":\"INTERNAL\""));
  }
}
