package io.rendan.bidding;

import io.rendan.bidding.RoundProtocol.Command;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * A bidding round: one call for resources of an EMC, its bids, its deadline and
 * its award. It lives as two actors:
 *
 * <ul>
 *   <li>the {@link RoundInbox}, the sharded entity, takes every command, answers reads
 *       from the last written state, and keeps bids that arrive while a write is
 *       in flight in a bounded queue: they are written together in the next
 *       write; a full queue answers {@code bidding:round.overloaded} at once, never
 *       silence;
 *   <li>the {@link RoundJournal} (the event-sourced behaviour, the inbox's child) applies the
 *       rules, one write at a time, and owns the deadline timer, re-armed on
 *       recovery.
 * </ul>
 *
 * Rejections are replies, never events. One write is one event, so the version
 * (and the seq of pushes on {@code round/{id}}) grows by one per change.
 *
 * <p>This class is the entry point: the shard region ({@link #init}), the values a
 * round is made of (its call, its bids), its settings and ids. Its protocol is in
 * {@link RoundProtocol}, its events in {@link RoundEvents}, its state in
 * {@link RoundState} (bids in a {@link BidIndex}).
 */
public final class RoundEntity {
  private RoundEntity() {}

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Round");

  public enum Mode {
    SEALED,
    OPEN
  }

  public enum Status {
    OPEN,
    CLOSED,
    AWARDED,
    UNSUCCESSFUL,
    CANCELLED;

    public boolean isFinal() {
      return this == AWARDED || this == UNSUCCESSFUL || this == CANCELLED;
    }
  }

  public enum BidStatus {
    ACTIVE,
    WITHDRAWN,
    SUPERSEDED,
    AWARDED
  }

  public record Call(
      String capability,
      Side side,
      String role,
      String description,
      int maxShareBps,
      Mode mode,
      int minStepBps,
      int minRating,
      boolean autoAward,
      Target target,
      int missedPeriodLimit,
      String replacesMeId,
      String painPointId) {

    /** A call not opened from a pain point. */
    public Call(
        String capability,
        Side side,
        String role,
        String description,
        int maxShareBps,
        Mode mode,
        int minStepBps,
        int minRating,
        boolean autoAward,
        Target target,
        int missedPeriodLimit,
        String replacesMeId) {
      this(capability, side, role, description, maxShareBps, mode, minStepBps, minRating, autoAward, target, missedPeriodLimit, replacesMeId, null);
    }

    Call withPainPoint(String id) {
      return new Call(capability, side, role, description, maxShareBps, mode, minStepBps, minRating, autoAward, target, missedPeriodLimit, replacesMeId, id);
    }
  }

  /** A bid; {@code arrival} orders bids of the round, so that ties go to the earlier. */
  public record Bid(
      String bidId,
      String meId,
      int askShareBps,
      String plan,
      Instant placedAt,
      int rating,
      long arrival,
      BidStatus status,
      boolean emcBidder) {

    /** A bid of an ME. */
    public Bid(String bidId, String meId, int askShareBps, String plan, Instant placedAt, int rating, long arrival, BidStatus status) {
      this(bidId, meId, askShareBps, plan, placedAt, rating, arrival, status, false);
    }

    /** The documented score: the ask weighted by the rating (0..1000, 500 neutral); lower wins. */
    public long score() {
      return scoreOf(askShareBps, rating);
    }

    public static long scoreOf(int askShareBps, int rating) {
      return (long) askShareBps * (1_500 - rating);
    }

    Bid withStatus(BidStatus next) {
      return new Bid(bidId, meId, askShareBps, plan, placedAt, rating, arrival, next, emcBidder);
    }

    boolean sameRequest(RoundProtocol.PlaceBid other) {
      return meId.equals(other.bidder().meId())
          && emcBidder == other.bidder().emcBidder()
          && askShareBps == other.askShareBps()
          && plan.equals(other.plan());
    }
  }

  /**
   * Who bids, as the API found it: the ME, its capabilities, its rating and the
   * EMCs it is a member of; or, {@code emcBidder}, an EMC bidding as one unit
   * ({@code meId} its id, its members' capabilities, its unit rating).
   */
  public record Bidder(String meId, List<String> capabilities, int rating, List<String> memberOf, boolean emcBidder) {
    public Bidder(String meId, List<String> capabilities, int rating, List<String> memberOf) {
      this(meId, capabilities, rating, memberOf, false);
    }
  }

  static boolean stands(Bid bid) {
    return bid.status() == BidStatus.ACTIVE || bid.status() == BidStatus.AWARDED;
  }

  public static final Comparator<Bid> BEST =
      Comparator.comparingLong(Bid::score).thenComparingLong(Bid::arrival);

  /** Where live changes go; the real one is the cluster-wide topic {@code round/{roundId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, RoundState round);
  }

  public record Settings(
      int snapshotEvery,
      Duration backoffMin,
      Duration backoffMax,
      int tagSlices,
      Duration softCloseWindow,
      Duration softCloseExtension,
      int maxBids,
      int maxQueued,
      int maxBatch,
      Duration idlePassivation,
      Duration writeLinger) {}

  /** The EMC invitation an award becomes: one per round, so a redelivery cannot invite twice. */
  public static String invitationIdFor(String roundId) {
    return "award-" + roundId;
  }

  public static PersistenceId persistenceId(String roundId) {
    return PersistenceId.of(TYPE_KEY.name(), roundId);
  }

  public static String tag(String roundId, int slices) {
    return "round-" + Math.floorMod(roundId.hashCode(), slices);
  }

  /**
   * Starts the round shard region on this node. Open rounds keep their deadline
   * timer in memory: they leave only when finished and idle, by their own request.
   */
  public static void init(ActorSystem<?> system, Settings settings, ChangePublisher publisher, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, publisher, clock, ctx.getShard()))
                .withStopMessage(RoundProtocol.Stop.INSTANCE)
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** The sharded entity: one per round. */
  public static Behavior<Command> create(
      String roundId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> new RoundInbox(ctx, roundId, settings, publisher, clock, shard));
  }
}
