package io.rendan.bench;

import io.rendan.bidding.RoundEntity;
import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.BidStatus;
import io.rendan.bidding.RoundEvents.BidsPlaced;
import io.rendan.bidding.RoundEvents.Event;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;

/**
 * The obvious way to take bids, kept as the benchmark's yardstick: a plain sharded
 * event-sourced entity that persists one event per bid and replies once it is stored,
 * as Pekko's samples do. It checks nothing, batches nothing and keeps only a count; its
 * events are the round's own {@link BidsPlaced} (one bid each, same serializer, under
 * {@code NaiveRound|{id}}, untagged so no read model sees them). The load harness
 * measures it beside the real round ({@link RoundEntity}), so "how much better than the
 * obvious implementation" is a ratio from one run. Only admins reach it, and only on a
 * node with the bench routes on: {@code POST /v1/admin/naive-rounds/{roundId}/bids}
 * ({@link BenchRoutes}).
 */
public final class NaivePeer {
  public static final EntityTypeKey<PlaceBid> TYPE = EntityTypeKey.create(PlaceBid.class, "NaiveRound");

  /** Stores the bid and answers how many the naive round holds. Local to a node: the benchmark runs one. */
  public record PlaceBid(String bidId, String meId, int askShareBps, String plan, ActorRef<Integer> replyTo) {}

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  private NaivePeer(ClusterSharding sharding, Duration askTimeout) {
    this.sharding = sharding;
    this.askTimeout = askTimeout;
  }

  public static NaivePeer start(ActorSystem<?> system, Clock clock, Duration askTimeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(TYPE, ctx -> new Round(ctx.getEntityId(), clock)));
    return new NaivePeer(sharding, askTimeout);
  }

  public CompletionStage<Integer> placeBid(String roundId, String bidId, String meId, int askShareBps, String plan) {
    return sharding.entityRefFor(TYPE, roundId).ask(replyTo -> new PlaceBid(bidId, meId, askShareBps, plan, replyTo), askTimeout);
  }

  /** One naive round: a persist per bid, then the reply. */
  static final class Round extends EventSourcedBehaviorWithEnforcedReplies<PlaceBid, Event, Integer> {
    private final String roundId;
    private final Clock clock;

    Round(String roundId, Clock clock) {
      super(PersistenceId.of("NaiveRound", roundId));
      this.roundId = roundId;
      this.clock = clock;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandlerWithReply<PlaceBid, Event, Integer> commandHandler() {
      return newCommandHandlerWithReplyBuilder()
          .forAnyState()
          .onCommand(
              PlaceBid.class,
              (count, c) -> {
                Instant now = clock.instant();
                Bid bid = new Bid(c.bidId(), c.meId(), c.askShareBps(), c.plan(), now, 0, count + 1L, BidStatus.ACTIVE);
                return Effect()
                    .persist(new BidsPlaced(roundId, List.of(bid), now.plus(Duration.ofHours(1)), count + 1, c.askShareBps(), now))
                    .thenReply(c.replyTo(), stored -> stored);
              })
          .build();
    }

    @Override
    public EventHandler<Integer, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((count, event) -> count + 1);
    }
  }
}
