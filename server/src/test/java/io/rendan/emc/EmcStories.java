package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Me;
import java.net.http.HttpResponse;

/** Small steps of the EMC stories, over HTTP, shared by the node-level tests. */
final class EmcStories {
  private final TestNode node;

  EmcStories(TestNode node) {
    this.node = node;
  }

  static <T extends Message.Builder> T parse(HttpResponse<String> response, T builder) throws Exception {
    JsonFormat.parser().merge(response.body(), builder);
    return builder;
  }

  String registerMe(String token, String name, String... capabilities) throws Exception {
    StringBuilder caps = new StringBuilder();
    for (String c : capabilities) {
      caps.append(caps.length() == 0 ? "" : ",").append('"').append(c).append('"');
    }
    HttpResponse<String> r =
        node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[" + caps + "]}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Me.newBuilder()).getMeId();
  }

  Emc startEmc(String token, String ownerMeId, String side) throws Exception {
    HttpResponse<String> r =
        node.postJson(
            "/v1/emcs",
            token,
            "{\"name\":\"Community Laundry\",\"userGroup\":\"dorm students\",\"ownerMeId\":\"" + ownerMeId + "\",\"ownerSide\":\"" + side + "\"}");
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Emc.newBuilder()).build();
  }

  HttpResponse<String> inviteResponse(String token, String emcId, String meId, String side, int shareBps, String metric, long amount)
      throws Exception {
    return node.postJson(
        "/v1/emcs/" + emcId + "/invitations",
        token,
        "{\"meId\":\"" + meId + "\",\"side\":\"" + side + "\",\"role\":\"" + side.toLowerCase() + " partner\","
            + "\"terms\":{\"shareBps\":" + shareBps + ",\"target\":{\"metric\":\"" + metric + "\",\"amount\":\"" + amount + "\"}}}");
  }

  Invitation invite(String token, String emcId, String meId, String side, int shareBps, String metric, long amount)
      throws Exception {
    HttpResponse<String> r = inviteResponse(token, emcId, meId, side, shareBps, metric, amount);
    assertEquals(201, r.statusCode(), r.body());
    return parse(r, Invitation.newBuilder()).build();
  }

  HttpResponse<String> accept(String token, String emcId, String invitationId) throws Exception {
    return node.postJson("/v1/emcs/" + emcId + "/invitations/" + invitationId + "/accept", token, "{}");
  }

  Emc emc(String token, String emcId) throws Exception {
    HttpResponse<String> r = node.get("/v1/emcs/" + emcId, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, Emc.newBuilder()).build();
  }

  Me me(String token, String meId) throws Exception {
    HttpResponse<String> r = node.get("/v1/mes/" + meId, token);
    assertEquals(200, r.statusCode(), r.body());
    return parse(r, Me.newBuilder()).build();
  }
}
