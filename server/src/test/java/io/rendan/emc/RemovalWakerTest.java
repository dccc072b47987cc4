package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A removal with notice that falls due while its EMC is not in memory: the node
 * goes down during the notice, and after the restart nothing asks about the EMC,
 * yet the member is removed, because the removal waker pokes the EMC.
 */
@Tag("node")
class RemovalWakerTest {
  @TempDir Path dataDir;

  @Test
  void aRemovalDueWhileItsEmcIsNotRunningTakesEffectWithoutAnyClient() throws Exception {
    // business time 10 times as fast, continuous over the restart: 300 s of notice are 30 s
    Map<String, Object> settings =
        Map.of("rendan.clock.speed", 10, "rendan.clock.origin", Instant.now().toString(), "rendan.emc.removal-wake-interval", "1s");
    String emcId;
    String washers;
    try (TestNode node = TestNode.h2(dataDir, settings)) {
      String alice = node.token("alice");
      String bob = node.token("bob");
      ok(node.putJson("/v1/charter", node.token("root", "admin"), "{\"clauses\":{\"removalNoticeSeconds\":\"300\",\"replaceOnlyAfterFailedHelp\":true}}"), 200);
      String laundry = registerMe(node, alice, "Dorm Laundry");
      washers = registerMe(node, bob, "Washer Works");
      emcId = parse(ok(node.postJson("/v1/emcs", alice, "{\"name\":\"Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"" + laundry + "\",\"ownerSide\":\"EXPERIENCE\"}"), 201), Emc.newBuilder()).getEmcId();
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations", alice,
          "{\"invitationId\":\"w\",\"meId\":\"" + washers + "\",\"side\":\"SOLUTION\",\"role\":\"washers\",\"terms\":{\"shareBps\":3000,\"target\":{\"metric\":\"REVENUE\",\"amount\":\"1\"}}}"), 201);
      ok(node.postJson("/v1/emcs/" + emcId + "/invitations/w/accept", bob, "{}"), 200);
      String member = washers;
      String emc = emcId;
      // memberships lag their EMC by a projection: the ME knows it before the test reads it as the witness
      TestNode.await(Duration.ofSeconds(20), "the ME knows its membership", () -> memberOf(node, bob, member, emc));
      Emc scheduled = parse(ok(node.delete("/v1/emcs/" + emcId + "/members/" + washers, alice), 202), Emc.newBuilder()).build();
      assertEquals(washers, scheduled.getScheduledRemovals(0).getMeId());
      TestNode.await(Duration.ofSeconds(20), "the due removal is recorded", () -> node.queryLong("SELECT COUNT(*) FROM rendan_removal_due") == 1);
      Emc before = parse(ok(node.get("/v1/emcs/" + emcId, alice), 200), Emc.newBuilder()).build();
      assertTrue(before.getMembersList().stream().anyMatch(m -> m.getMeId().equals(member)), "still a member during its notice when the node goes down");
      assertEquals(1, before.getScheduledRemovalsCount());
    }
    try (TestNode node = TestNode.h2(dataDir, settings)) {
      String bob = node.token("bob");
      // only the ME is read (its memberships, told by a projection): nothing asks about the EMC
      TestNode.await(Duration.ofSeconds(120), "the member is removed once due", () -> !memberOf(node, bob, washers, emcId));
      TestNode.await(Duration.ofSeconds(20), "the row goes with the removal", () -> node.queryLong("SELECT COUNT(*) FROM rendan_removal_due") == 0);
      Emc after = parse(ok(node.get("/v1/emcs/" + emcId, node.token("alice")), 200), Emc.newBuilder()).build();
      assertTrue(after.getMembersList().stream().noneMatch(m -> m.getMeId().equals(washers)), after.toString());
      assertEquals(0, after.getScheduledRemovalsCount());
    }
  }

  private static boolean memberOf(TestNode node, String token, String meId, String emcId) throws Exception {
    Me me = parse(ok(node.get("/v1/mes/" + meId, token), 200), Me.newBuilder()).build();
    return me.getMembershipsList().stream().anyMatch(m -> m.getEmcId().equals(emcId));
  }

  private static String registerMe(TestNode node, String token, String name) throws Exception {
    return parse(ok(node.postJson("/v1/mes", token, "{\"name\":\"" + name + "\",\"kind\":\"INTERNAL\"}"), 201), Me.newBuilder()).getMeId();
  }

  private static HttpResponse<String> ok(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    return r;
  }

  private static <T extends Message.Builder> T parse(HttpResponse<String> r, T builder) throws Exception {
    JsonFormat.parser().merge(r.body(), builder);
    return builder;
  }
}
