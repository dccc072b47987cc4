package io.rendan.emc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.MemberLeft;
import io.rendan.emc.EmcMembership.Member;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.protocol.persistence.v1.EmcRemovalCancelled;
import io.rendan.protocol.persistence.v1.EmcRemovalScheduled;
import io.rendan.protocol.persistence.v1.StoredScheduledRemoval;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Removal with notice (the charter's removal-notice clause): the owner's
 * removal of a member that has missed no target is stored at once as a
 * scheduled removal, effective after the notice in business time; the owner
 * may cancel it until then. When due, the entity's own timer (re-armed after
 * every change and on recovery, {@link EmcEntity}) removes the member with the
 * same event as an immediate removal ({@link MemberLeft}, removed), so the
 * ledger and the memberships learn of it the same way.
 */
public final class RemovalNotice {
  private RemovalNotice() {}

  /** The notice the charter in force asks of a removal, and its versions. */
  public record Notice(Duration notice, int charterVersion, int emcCharterVersion) {}

  /** A removal not yet in effect; the charter versions in force when it was scheduled. */
  public record Scheduled(String meId, String byMeId, Instant effectiveAt, int charterVersion, int emcCharterVersion, Instant at) {}

  public record RemovalScheduled(String emcId, Scheduled removal) implements Event {
    @Override
    public Instant at() {
      return removal.at();
    }
  }

  public record RemovalCancelled(String emcId, String meId, String byMeId, Instant at) implements Event {}

  /** The owner ({@code actingMeId}) removes {@code meId} after {@code notice}. */
  public record ScheduleRemoval(String meId, Duration notice, int charterVersion, int emcCharterVersion, String actingMeId, ActorRef<Reply> replyTo)
      implements EmcProtocol.Command {}

  public record CancelRemoval(String meId, String actingMeId, ActorRef<Reply> replyTo) implements EmcProtocol.Command {}

  /** From the entity's own timer: scheduled removals that are due take effect. */
  public enum RemovalsDue implements EmcProtocol.Command {
    INSTANCE
  }

  static final String SCHEDULED = "emc.removal-scheduled";
  static final String CANCELLED = "emc.removal-cancelled";
  static final Set<String> MANIFESTS = Set.of(SCHEDULED, CANCELLED);

  // ---- state ------------------------------------------------------------------------------------

  /** The scheduled removals after {@code event}; {@code removals} unchanged when the event does not touch them. */
  static Map<String, Scheduled> apply(Map<String, Scheduled> removals, Event event) {
    if (event instanceof RemovalScheduled e) {
      Map<String, Scheduled> next = new TreeMap<>(removals);
      next.put(e.removal().meId(), e.removal());
      return next;
    }
    String gone = null;
    if (event instanceof RemovalCancelled e) {
      gone = e.meId();
    } else if (event instanceof MemberLeft e) {
      gone = e.meId();
    } else if (event instanceof EmcEvents.SeatReplaced e) {
      gone = e.oldMeId();
    } else if (event instanceof EmcEvents.EmcDissolved) {
      return Map.of();
    }
    if (gone == null || !removals.containsKey(gone)) {
      return removals;
    }
    Map<String, Scheduled> next = new TreeMap<>(removals);
    next.remove(gone);
    return next;
  }

  /** When the next scheduled removal is due, to arm the timer for. */
  static Optional<Instant> nextDue(EmcState state) {
    return state.removals().values().stream().map(Scheduled::effectiveAt).min(Comparator.naturalOrder());
  }

  // ---- rules ------------------------------------------------------------------------------------

  static ReplyEffect<Event, EmcState> schedule(EmcEntity entity, EmcState state, String emcId, ScheduleRemoval cmd, Clock clock) {
    Member member = state.members().get(cmd.meId());
    if (member == null) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member");
    }
    if (member.owner()) {
      return entity.reject(cmd.replyTo(), EmcCodes.OWNER_CANNOT_LEAVE, "the owner cannot leave: dissolve the EMC or transfer ownership first");
    }
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    if (state.removals().containsKey(cmd.meId())) {
      return entity.effect().reply(cmd.replyTo(), new Accepted(state, false)); // a repeat: the notice runs from the first
    }
    Instant now = clock.instant();
    Scheduled removal = new Scheduled(cmd.meId(), cmd.actingMeId(), now.plus(cmd.notice()), cmd.charterVersion(), cmd.emcCharterVersion(), now);
    return entity.persistTellingMember(new RemovalScheduled(emcId, removal), SCHEDULED, cmd.meId(), cmd.replyTo(), true);
  }

  static ReplyEffect<Event, EmcState> cancel(EmcEntity entity, EmcState state, String emcId, CancelRemoval cmd, Clock clock) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    if (!state.removals().containsKey(cmd.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.REMOVAL_NOT_SCHEDULED, "no removal of " + cmd.meId() + " is scheduled");
    }
    return entity.persistTellingMember(
        new RemovalCancelled(emcId, cmd.meId(), cmd.actingMeId(), clock.instant()), CANCELLED, cmd.meId(), cmd.replyTo(), false);
  }

  /** The first due removal, if any: the member leaves as if removed now. */
  static Optional<MemberLeft> due(EmcState state, String emcId, Instant now) {
    return state.removals().values().stream()
        .filter(r -> !now.isBefore(r.effectiveAt()) && state.members().containsKey(r.meId()))
        .min(Comparator.comparing(Scheduled::effectiveAt))
        .map(r -> new MemberLeft(emcId, r.meId(), true, now));
  }

  // ---- stored form ------------------------------------------------------------------------------

  static String manifest(Object o) {
    if (o instanceof RemovalScheduled) return SCHEDULED;
    if (o instanceof RemovalCancelled) return CANCELLED;
    return null;
  }

  static byte[] toBinary(Object o) {
    if (o instanceof RemovalScheduled e) {
      return EmcRemovalScheduled.newBuilder().setEmcId(e.emcId()).setRemoval(stored(e.removal())).build().toByteArray();
    }
    RemovalCancelled e = (RemovalCancelled) o;
    return EmcRemovalCancelled.newBuilder().setEmcId(e.emcId()).setMeId(e.meId()).setByMeId(e.byMeId()).setAt(ts(e.at())).build().toByteArray();
  }

  static Event fromBinary(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
    if (SCHEDULED.equals(manifest)) {
      EmcRemovalScheduled p = EmcRemovalScheduled.parseFrom(bytes);
      return new RemovalScheduled(p.getEmcId(), scheduled(p.getRemoval()));
    }
    EmcRemovalCancelled p = EmcRemovalCancelled.parseFrom(bytes);
    return new RemovalCancelled(p.getEmcId(), p.getMeId(), p.getByMeId(), instant(p.getAt()));
  }

  static StoredScheduledRemoval stored(Scheduled r) {
    return StoredScheduledRemoval.newBuilder()
        .setMeId(r.meId())
        .setByMeId(r.byMeId())
        .setEffectiveAt(ts(r.effectiveAt()))
        .setCharterVersion(r.charterVersion())
        .setEmcCharterVersion(r.emcCharterVersion())
        .setAt(ts(r.at()))
        .build();
  }

  static Scheduled scheduled(StoredScheduledRemoval p) {
    return new Scheduled(p.getMeId(), p.getByMeId(), instant(p.getEffectiveAt()), p.getCharterVersion(), p.getEmcCharterVersion(), instant(p.getAt()));
  }

  private static Timestamp ts(Instant t) {
    return io.rendan.vocabulary.Timestamps.of(t);
  }

  private static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
