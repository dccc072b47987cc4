package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.TestNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node dies after the EMC stored "member joined" and before the ME stored its
 * membership (and before the delivery stored its progress). The journal is put
 * in exactly that state, the node starts again, and EMC and ME agree: the
 * membership is there once.
 */
@Tag("node")
class MembershipCrashTest {
  @TempDir Path dataDir;

  @Test
  void afterACrashBetweenEmcAndMeBothAgreeAndNothingIsDuplicated() throws Exception {
    String alice;
    String bob;
    String laundry;
    String washers;
    String emcId;
    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      alice = node.token("alice");
      bob = node.token("bob");
      laundry = story.registerMe(alice, "Dorm Laundry");
      washers = story.registerMe(bob, "Washer Works");
      emcId = story.startEmc(alice, laundry, "EXPERIENCE").getEmcId();
      var invitation = story.invite(alice, emcId, washers, "SOLUTION", 3_000, "REVENUE", 1);
      assertEquals(200, story.accept(bob, emcId, invitation.getInvitationId()).statusCode());
      String me = washers;
      TestNode.await(Duration.ofSeconds(10), "the membership is delivered", () -> story.me(bob, me).getMembershipsCount() == 1);
      assertEquals(1, membershipRows(node, washers));
    }

    // Rewind to the moment of the crash: the ME never stored what it was told (its
    // last event, so no gap is left), and the delivery never stored its offset.
    try (Connection c = TestNode.connection(configOf(dataDir))) {
      c.setAutoCommit(true);
      try (PreparedStatement last =
          c.prepareStatement(
              "SELECT \"sequence_number\", \"event_ser_manifest\" FROM \"event_journal\" WHERE \"persistence_id\" = ? "
                  + "ORDER BY \"sequence_number\" DESC LIMIT 1")) {
        last.setString(1, "Me|" + washers);
        try (ResultSet rs = last.executeQuery()) {
          assertTrue(rs.next());
          assertEquals("me.membership-recorded", rs.getString(2));
          try (PreparedStatement delete =
              c.prepareStatement("DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
            delete.setString(1, "Me|" + washers);
            delete.setLong(2, rs.getLong(1));
            assertEquals(1, delete.executeUpdate());
          }
        }
      }
      try (PreparedStatement offsets =
          c.prepareStatement("DELETE FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?")) {
        offsets.setString(1, MembershipDelivery.NAME);
        assertTrue(offsets.executeUpdate() > 0);
      }
    }

    try (TestNode node = TestNode.h2(dataDir)) {
      EmcStories story = new EmcStories(node);
      String me = washers;
      TestNode.await(
          Duration.ofSeconds(15), "the membership is delivered again", () -> story.me(bob, me).getMembershipsCount() == 1);
      assertEquals(emcId, story.me(bob, washers).getMemberships(0).getEmcId());
      assertTrue(story.emc(alice, emcId).getMembersList().stream().anyMatch(m -> m.getMeId().equals(me)));
      // The owner was told about its EMC again too, and ignored it: once each.
      assertEquals(1, membershipRows(node, washers));
      assertEquals(1, membershipRows(node, laundry));
    }
  }

  private static long membershipRows(TestNode node, String meId) throws Exception {
    return node.queryLong(
        "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Me|" + meId
            + "' AND \"event_ser_manifest\" = 'me.membership-recorded'");
  }

  private static com.typesafe.config.Config configOf(Path dataDir) {
    return io.rendan.RendanNode.loadConfig(
        com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of("rendan.data-dir", dataDir.toString(), "rendan.db.url", "")));
  }
}
