package io.rendan.charter;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Charter;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.EmcCharter;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/** The charter on a real node: versions set by admins, an EMC's stricter values, and a refusal for each clause. */
@Tag("node")
class CharterStoryTest {
  @TempDir Path dataDir;

  @Test
  void everyClauseRefusesWhatItForbidsAndNamesItself() throws Exception {
    // a business clock 5 times as fast, so that a round of the least 10 s closes in 2
    try (TestNode node = TestNode.h2(dataDir, java.util.Map.of("rendan.clock.speed", 5, "rendan.clock.origin", java.time.Instant.now().toString()))) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String admin = node.token("root", "admin");
      Charter initial = parse(node.get("/v1/charter", bob), Charter.newBuilder()).build();
      assertEquals(0, initial.getVersion());
      assertEquals(10_000, initial.getClauses().getMaxOwnerShareBps());

      String laundry = registerMe(node, alice, "Dorm Laundry");
      String washers = registerMe(node, bob, "Washer Works");
      String emcId = parse(ok(node.postJson("/v1/emcs", alice, "{\"name\":\"Community Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + laundry + "\",\"ownerSide\":\"EXPERIENCE\"}"), 201), Emc.newBuilder()).getEmcId();
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations", alice, invitation("w", washers, 3_000)), 201);
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations/w/accept", bob, "{}"), 200);

      // only admins set it; each change is a new version
      assertEquals(403, node.putJson("/v1/charter", alice, "{\"clauses\":{\"minShareBps\":500}}").statusCode());
      assertEquals(400, node.putJson("/v1/charter", admin, "{\"clauses\":{\"minShareBps\":20000}}").statusCode());
      Charter v1 =
          parse(
                  ok(node.putJson(
                      "/v1/charter",
                      admin,
                      "{\"clauses\":{\"minShareBps\":500,\"removalNoticeSeconds\":\"2592000\",\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true}}"), 200),
                  Charter.newBuilder())
              .build();
      assertEquals(1, v1.getVersion());
      assertEquals("root", v1.getAdoptedBy());

      // charter:min-share
      assertRefused(node.postJson("/v1/emcs/" + emcId + "/invitations", alice, invitation("x", registerMe(node, node.token("carol"), "Tiny"), 400)), "charter:min-share");
      assertRefused(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":100,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), "charter:min-share");

      // charter:removal-notice: washers missed no target, so its removal is scheduled 30 days ahead, and the owner may cancel it
      assertEquals(403, node.delete("/v1/emcs/" + emcId + "/members/" + washers + "/removal", bob).statusCode(), "only the owner cancels");
      Emc scheduled = parse(ok(node.delete("/v1/emcs/" + emcId + "/members/" + washers, alice), 202), Emc.newBuilder()).build();
      assertEquals(washers, scheduled.getScheduledRemovals(0).getMeId());
      assertEquals(1, scheduled.getScheduledRemovals(0).getCharterVersion());
      assertTrue(scheduled.getMembersList().stream().anyMatch(m -> m.getMeId().equals(washers)), "a member during its notice");
      assertTrue(
          scheduled.getScheduledRemovals(0).getEffectiveAt().getSeconds() - scheduled.getScheduledRemovals(0).getScheduledAt().getSeconds() == 2_592_000,
          scheduled.toString());
      Emc cancelled = parse(ok(node.delete("/v1/emcs/" + emcId + "/members/" + washers + "/removal", alice), 200), Emc.newBuilder()).build();
      assertEquals(0, cancelled.getScheduledRemovalsCount());
      assertEquals(404, node.delete("/v1/emcs/" + emcId + "/members/" + washers + "/removal", alice).statusCode(), "nothing left to cancel");
      // the same over WebSocket: the owner schedules the removal and cancels it
      try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
        var removal = io.rendan.protocol.api.v1.RemoveMemberRequest.newBuilder().setEmcId(emcId).setMeId(washers).build();
        ws.sendJson(ClientFrame.newBuilder().setRequestId("remove").setRemoveMember(removal).build());
        assertEquals(washers, ws.next().frame().getResponse().getEmc().getScheduledRemovals(0).getMeId());
        ws.sendJson(ClientFrame.newBuilder().setRequestId("cancel").setCancelRemoval(removal).build());
        assertEquals(0, ws.next().frame().getResponse().getEmc().getScheduledRemovalsCount());
        ws.sendJson(ClientFrame.newBuilder().setRequestId("again").setCancelRemoval(removal).build());
        assertEquals("emc:removal.not-scheduled", ws.next().frame().getResponse().getError().getCode(), "nothing left to cancel");
      }

      // an EMC adopts stricter values, never looser
      assertRefused(node.putJson("/v1/emcs/" + emcId + "/charter", alice, "{\"clauses\":{\"minShareBps\":100,\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true,\"removalNoticeSeconds\":\"2592000\"}}"), "charter:looser");
      assertEquals(403, node.putJson("/v1/emcs/" + emcId + "/charter", bob, "{\"clauses\":{\"minShareBps\":900}}").statusCode(), "only the owner");
      EmcCharter adopted =
          parse(
                  ok(node.putJson(
                      "/v1/emcs/" + emcId + "/charter",
                      alice,
                      "{\"clauses\":{\"minShareBps\":1000,\"maxOwnerShareBps\":7500,\"removalNoticeSeconds\":\"2592000\",\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true}}"), 200),
                  EmcCharter.newBuilder())
              .build();
      assertEquals(1, adopted.getVersion());
      assertEquals(1, adopted.getOrgVersion());
      assertEquals(1_000, adopted.getInForce().getMinShareBps());
      assertEquals(1_000, parse(node.get("/v1/emcs/" + emcId + "/charter", bob), EmcCharter.newBuilder()).getInForce().getMinShareBps(), "members see it");
      assertRefused(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":900,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), "charter:min-share");

      // charter:max-owner-share: a cut to 2 000 would leave the owner 8 000 of at most 7 500; a raise is fine
      assertRefused(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":2000,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), "charter:max-owner-share");
      ok(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":3500,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), 200);

      // charter:terms-interval: a second version of the organisation's charter asks for 60 days between changes
      Charter v2 =
          parse(
                  ok(node.putJson(
                      "/v1/charter",
                      admin,
                      "{\"clauses\":{\"minShareBps\":500,\"removalNoticeSeconds\":\"2592000\",\"minTermsIntervalSeconds\":\"5184000\",\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true}}"), 200),
                  Charter.newBuilder())
              .build();
      assertEquals(2, v2.getVersion());
      assertRefused(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":3600,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), "charter:terms-interval");
      assertEquals(2, parse(node.get("/v1/charter", bob), Charter.newBuilder()).getVersion());
      // each contract shows the versions in force when it took effect: a new charter version rewrites none
      EmcCharter contracts = parse(node.get("/v1/emcs/" + emcId + "/charter", bob), EmcCharter.newBuilder()).build();
      assertEquals(2, contracts.getOrgVersion());
      assertEquals(0, contracts.getContractsList().stream().filter(c -> c.getMeId().equals(washers)).findFirst().orElseThrow().getOrgVersion(), "washers joined under the default");

      // charter:self-award: alice's operators run the bidder too
      String second = registerMe(node, alice, "Laundry Two", "washers");
      HttpResponse<String> posted =
          node.postJson(
              "/v1/emcs/" + emcId + "/calls",
              alice,
              "{\"closesInSeconds\":10,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"spare washers\",\"maxShareBps\":1500,\"mode\":\"SEALED\",\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}");
      Round round = parse(ok(posted, 201), Round.newBuilder()).build();
      ok(node.postJson("/v1/rounds/" + round.getRoundId() + "/bids", alice, "{\"bidId\":\"self\",\"meId\":\"" + second + "\",\"askShareBps\":1200,\"plan\":\"ours\"}"), 200);
      TestNode.await(Duration.ofSeconds(20), "the round closes", () -> node.get("/v1/rounds/" + round.getRoundId(), alice).body().contains("\"CLOSED\""));
      assertRefused(node.postJson("/v1/rounds/" + round.getRoundId() + "/award", alice, "{\"bidId\":\"self\"}"), "charter:self-award");
      // a round that awards itself at close never meets such a bidder: its bid is refused as it comes in
      Round auto =
          parse(
                  ok(node.postJson(
                      "/v1/emcs/" + emcId + "/calls",
                      alice,
                      "{\"closesInSeconds\":10,\"call\":{\"capability\":\"washers\",\"side\":\"SOLUTION\",\"role\":\"more washers\",\"maxShareBps\":1500,\"mode\":\"SEALED\",\"autoAward\":true,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), 201),
                  Round.newBuilder())
              .build();
      assertRefused(node.postJson("/v1/rounds/" + auto.getRoundId() + "/bids", alice, "{\"bidId\":\"self\",\"meId\":\"" + second + "\",\"askShareBps\":1200,\"plan\":\"ours\"}"), "charter:self-award");
      // again, now checked against what the node kept of the round's posting
      assertRefused(node.postJson("/v1/rounds/" + auto.getRoundId() + "/bids", alice, "{\"bidId\":\"self-2\",\"meId\":\"" + second + "\",\"askShareBps\":1100,\"plan\":\"ours\"}"), "charter:self-award");

      // a removal with a short notice: the member sees it scheduled over its WebSocket at once, then in effect
      ok(node.putJson("/v1/charter", admin, "{\"clauses\":{\"minShareBps\":500,\"removalNoticeSeconds\":\"10\",\"minTermsIntervalSeconds\":\"5184000\",\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true}}"), 200);
      ok(node.putJson("/v1/emcs/" + emcId + "/charter", alice, "{\"clauses\":{\"minShareBps\":1000,\"maxOwnerShareBps\":7500,\"removalNoticeSeconds\":\"10\",\"minTermsIntervalSeconds\":\"5184000\",\"replaceOnlyAfterFailedHelp\":true,\"noSelfAward\":true}}"), 200);
      try (WsClient ws = WsClient.connect(node.wsUri(), bob)) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId("sub").setSubscribe(Subscribe.newBuilder().setTopic("emc/" + emcId)).build());
        assertTrue(ws.next().frame().getResponse().hasSubscribed());
        ws.sendJson(ClientFrame.newBuilder().setRequestId("sub-me").setSubscribe(Subscribe.newBuilder().setTopic("me/" + washers)).build());
        assertTrue(ws.next().frame().getResponse().hasSubscribed());
        Emc soon = parse(ok(node.delete("/v1/emcs/" + emcId + "/members/" + washers, alice), 202), Emc.newBuilder()).build();
        assertEquals(3, soon.getScheduledRemovals(0).getCharterVersion());
        java.util.List<String> pushed = new java.util.ArrayList<>();
        while (!pushed.contains("emc/" + emcId + " emc.member-removed")) {
          var frame = ws.next().frame();
          if (frame.hasPush()) {
            pushed.add(frame.getPush().getTopic() + " " + frame.getPush().getEvent());
            if (frame.getPush().getTopic().startsWith("me/") && frame.getPush().getEvent().startsWith("emc.")) {
              assertEquals(0, frame.getPush().getSeq(), "not a change of the ME");
              assertEquals(washers, frame.getPush().getEmc().getScheduledRemovals(0).getMeId());
            }
          }
        }
        int scheduledAt = pushed.indexOf("emc/" + emcId + " emc.removal-scheduled");
        assertTrue(scheduledAt >= 0 && scheduledAt < pushed.indexOf("emc/" + emcId + " emc.member-removed"), pushed.toString());
        assertTrue(pushed.contains("me/" + washers + " emc.removal-scheduled"), "the member learns at once, on its own topic: " + pushed);
      }
      Emc after = parse(node.get("/v1/emcs/" + emcId, alice), Emc.newBuilder()).build();
      assertTrue(after.getMembersList().stream().noneMatch(m -> m.getMeId().equals(washers)), "removed once the notice ran out");
      assertEquals(0, after.getScheduledRemovalsCount());
    }
  }

  @Test
  void aContractKeepsTheCharterItWasMadeUnderUntilItsNextChange() throws Exception {
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      String admin = node.token("root", "admin");
      ok(node.putJson("/v1/charter", admin, "{\"clauses\":{\"minShareBps\":500,\"replaceOnlyAfterFailedHelp\":true}}"), 200);
      String laundry = registerMe(node, alice, "Dorm Laundry");
      String washers = registerMe(node, bob, "Washer Works");
      String emcId = parse(ok(node.postJson("/v1/emcs", alice, "{\"name\":\"Community Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + laundry + "\",\"ownerSide\":\"EXPERIENCE\"}"), 201), Emc.newBuilder()).getEmcId();
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations", alice, invitation("w", washers, 3_000)), 201);
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations/w/accept", bob, "{}"), 200);
      assertContract(node, alice, emcId, washers, 1, 1, 0);

      // the organisation's charter changes and the EMC adopts stricter values: the contract in force is not rewritten
      ok(node.putJson("/v1/charter", admin, "{\"clauses\":{\"minShareBps\":600,\"replaceOnlyAfterFailedHelp\":true}}"), 200);
      ok(node.putJson("/v1/emcs/" + emcId + "/charter", alice, "{\"clauses\":{\"minShareBps\":1000,\"replaceOnlyAfterFailedHelp\":true}}"), 200);
      assertContract(node, bob, emcId, washers, 1, 1, 0);

      // the member's next change of terms is made under the versions in force then, and its push says so at once
      try (WsClient ws = WsClient.connect(node.wsUri(), bob)) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId("sub").setSubscribe(Subscribe.newBuilder().setTopic("emc/" + emcId)).build());
        assertTrue(ws.next().frame().getResponse().hasSubscribed());
        ok(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms", alice, "{\"terms\":{\"shareBps\":3500,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), 200);
        ok(node.postJson("/v1/emcs/" + emcId + "/members/" + washers + "/terms/accept", bob, "{}"), 200);
        io.rendan.protocol.api.v1.Push amended = null;
        while (amended == null) {
          var frame = ws.next().frame();
          if (frame.hasPush() && frame.getPush().getEvent().equals("emc.contract-amended")) {
            amended = frame.getPush();
          }
        }
        io.rendan.protocol.api.v1.Contract pushed =
            amended.getEmc().getMembersList().stream().filter(m -> m.getMeId().equals(washers)).findFirst().orElseThrow().getContract();
        assertEquals(java.util.List.of(2, 2, 1), java.util.List.of(pushed.getVersion(), pushed.getCharterVersion(), pushed.getEmcCharterVersion()));
      }
      assertContract(node, alice, emcId, washers, 2, 2, 1);
      EmcCharter charter = parse(node.get("/v1/emcs/" + emcId + "/charter", bob), EmcCharter.newBuilder()).build();
      assertEquals(
          java.util.List.of("1:1/0", "2:2/1"),
          charter.getContractsList().stream()
              .filter(c -> c.getMeId().equals(washers))
              .map(c -> c.getContractVersion() + ":" + c.getOrgVersion() + "/" + c.getEmcVersion())
              .toList(),
          "every contract version with the charter it was made under");

      // the charter over WebSocket: what HTTP offers, with the same checks
      try (WsClient ws = WsClient.connect(node.wsUri(), bob)) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId("get").setGetCharter(io.rendan.protocol.api.v1.GetCharterRequest.getDefaultInstance()).build());
        assertEquals(2, ws.next().frame().getResponse().getCharter().getVersion());
        ws.sendJson(ClientFrame.newBuilder().setRequestId("set").setSetCharter(setCharter(700)).build());
        assertEquals("auth:forbidden", ws.next().frame().getResponse().getError().getCode(), "only admins set it");
        ws.sendJson(
            ClientFrame.newBuilder().setRequestId("emc").setGetEmcCharter(io.rendan.protocol.api.v1.GetEmcCharterRequest.newBuilder().setEmcId(emcId)).build());
        EmcCharter seen = ws.next().frame().getResponse().getEmcCharter();
        assertEquals(java.util.List.of(1, 2, 1_000), java.util.List.of(seen.getVersion(), seen.getOrgVersion(), seen.getInForce().getMinShareBps()));
        ws.sendJson(ClientFrame.newBuilder().setRequestId("adopt").setAdoptEmcCharter(adopt(emcId, 1_200)).build());
        assertEquals("emc:not-owner", ws.next().frame().getResponse().getError().getCode(), "only the owner adopts");
      }
      try (WsClient ws = WsClient.connect(node.wsUri(), node.token("root", "admin"))) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId("set").setSetCharter(setCharter(700)).build());
        Charter v3 = ws.next().frame().getResponse().getCharter();
        assertEquals(java.util.List.of(3, 700, "root"), java.util.List.of(v3.getVersion(), v3.getClauses().getMinShareBps(), v3.getAdoptedBy()));
      }
      try (WsClient ws = WsClient.connect(node.wsUri(), alice)) {
        ws.sendJson(ClientFrame.newBuilder().setRequestId("looser").setAdoptEmcCharter(adopt(emcId, 600)).build());
        assertEquals("charter:looser", ws.next().frame().getResponse().getError().getCode());
        ws.sendJson(ClientFrame.newBuilder().setRequestId("adopt").setAdoptEmcCharter(adopt(emcId, 1_200)).build());
        EmcCharter adopted = ws.next().frame().getResponse().getEmcCharter();
        assertEquals(java.util.List.of(2, 3, 1_200), java.util.List.of(adopted.getVersion(), adopted.getOrgVersion(), adopted.getInForce().getMinShareBps()));
      }
      assertEquals(3, parse(node.get("/v1/charter", bob), Charter.newBuilder()).getVersion(), "the same charter as over HTTP");
    }
  }

  private static io.rendan.protocol.api.v1.SetCharterRequest setCharter(int minShareBps) {
    return io.rendan.protocol.api.v1.SetCharterRequest.newBuilder()
        .setClauses(io.rendan.protocol.api.v1.Clauses.newBuilder().setMinShareBps(minShareBps).setReplaceOnlyAfterFailedHelp(true))
        .build();
  }

  private static io.rendan.protocol.api.v1.AdoptEmcCharterRequest adopt(String emcId, int minShareBps) {
    return io.rendan.protocol.api.v1.AdoptEmcCharterRequest.newBuilder()
        .setEmcId(emcId)
        .setClauses(io.rendan.protocol.api.v1.Clauses.newBuilder().setMinShareBps(minShareBps).setReplaceOnlyAfterFailedHelp(true))
        .build();
  }

  private static void assertContract(TestNode node, String token, String emcId, String meId, int version, int charterVersion, int emcCharterVersion)
      throws Exception {
    Emc emc = parse(ok(node.get("/v1/emcs/" + emcId, token), 200), Emc.newBuilder()).build();
    io.rendan.protocol.api.v1.Contract c = emc.getMembersList().stream().filter(m -> m.getMeId().equals(meId)).findFirst().orElseThrow().getContract();
    assertEquals(java.util.List.of(version, charterVersion, emcCharterVersion), java.util.List.of(c.getVersion(), c.getCharterVersion(), c.getEmcCharterVersion()), c.toString());
  }

  private static void assertRefused(HttpResponse<String> r, String code) {
    assertEquals(409, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"" + code + "\""), r.body());
  }

  private static HttpResponse<String> ok(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    return r;
  }

  private static String invitation(String id, String meId, int bps) {
    return "{\"invitationId\":\"" + id + "\",\"meId\":\"" + meId + "\",\"side\":\"SOLUTION\",\"role\":\"washers\","
        + "\"terms\":{\"shareBps\":" + bps + ",\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}";
  }

  private static String registerMe(TestNode node, String token, String name, String... capabilities) throws Exception {
    String caps = capabilities.length == 0 ? "" : "\"" + String.join("\",\"", capabilities) + "\"";
    return parse(ok(node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\",\"capabilities\":[" + caps + "]}"), 201), Me.newBuilder()).getMeId();
  }

  private static <T extends Message.Builder> T parse(HttpResponse<String> r, T builder) throws Exception {
    JsonFormat.parser().merge(r.body(), builder);
    return builder;
  }
}
