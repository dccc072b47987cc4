package io.rendan.emc;

import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.emc.EmcProtocol.AcceptInvitation;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.Command;
import io.rendan.emc.EmcProtocol.InviteMember;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.emc.EmcProtocol.StartEmc;
import io.rendan.testkit.EntityTestKit;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * The EMC entity as its tests start it, over {@link EntityTestKit}: the same
 * settings (but for what a test varies), the same owner and name, an
 * invitation accepted in one step.
 */
final class EmcEntityFixture {
  static final String OWNER = "laundry";
  static final Duration INVITATION_TTL = Duration.ofDays(7);

  private EmcEntityFixture() {}

  /** Fast restarts, four tag slices, EUR and 90 days of revenue ids, as the node's defaults but for the two given. */
  static EmcSettings settings(int snapshotEvery, int maxMembers) {
    return new EmcSettings(snapshotEvery, Duration.ofMillis(200), Duration.ofSeconds(5), 4, maxMembers, "EUR", Duration.ofDays(90));
  }

  /** The entity {@code emcId}, not started yet, every message checked for serialization. */
  static EventSourcedBehaviorTestKit<Command, Event, EmcState> entity(
      ActorTestKit testKit, String emcId, EmcSettings settings, EmcEntity.ChangePublisher publisher, Clock clock) {
    return EntityTestKit.entity(testKit, EmcEntity.create(emcId, settings, publisher, clock));
  }

  /** "Community Laundry", owned by {@link #OWNER} on the experience side, started by alice. */
  static EmcState start(EventSourcedBehaviorTestKit<Command, Event, EmcState> emc) {
    return emc.<Reply>runCommand(r -> new StartEmc("Community Laundry", "dorm students", OWNER, Side.EXPERIENCE, "alice", r))
        .replyOfType(Accepted.class)
        .emc();
  }

  /** {@code meId} invited by the owner on the solution side and accepting at once. */
  static EmcState join(
      EventSourcedBehaviorTestKit<Command, Event, EmcState> emc, String invitationId, String meId, String role, Terms terms) {
    emc.<Reply>runCommand(r -> new InviteMember(invitationId, meId, Side.SOLUTION, role, terms, INVITATION_TTL, OWNER, r)).replyOfType(Accepted.class);
    return emc.<Reply>runCommand(r -> new AcceptInvitation(invitationId, meId, r)).replyOfType(Accepted.class).emc();
  }
}
