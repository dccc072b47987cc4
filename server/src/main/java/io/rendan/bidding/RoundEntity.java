package io.rendan.bidding;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.rendan.BusinessClock;
import io.rendan.CborSerializable;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A bidding round: one call for resources of an EMC, its bids, its deadline and
 * its award. It lives as two actors:
 *
 * <ul>
 *   <li>the {@link Inbox}, the sharded entity, takes every command, answers reads
 *       from the last written state, and keeps bids that arrive while a write is
 *       in flight in a bounded queue: they are written together in the next
 *       write; a full queue answers {@code bidding:round.overloaded} at once, never
 *       silence;
 *   <li>the journal (this event-sourced behaviour, the inbox's child) applies the
 *       rules, one write at a time, and owns the deadline timer, re-armed on
 *       recovery.
 * </ul>
 *
 * Rejections are replies, never events. One write is one event, so the version
 * (and the seq of pushes on {@code round/{id}}) grows by one per change.
 */
public final class RoundEntity
    extends EventSourcedBehaviorWithEnforcedReplies<RoundEntity.JournalCommand, RoundEntity.Event, RoundEntity.State> {

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
      BidStatus status) {

    /** The documented score: the ask weighted by the rating (0..1000, 500 neutral); lower wins. */
    public long score() {
      return scoreOf(askShareBps, rating);
    }

    public static long scoreOf(int askShareBps, int rating) {
      return (long) askShareBps * (1_500 - rating);
    }

    Bid withStatus(BidStatus next) {
      return new Bid(bidId, meId, askShareBps, plan, placedAt, rating, arrival, next);
    }

    boolean sameRequest(PlaceBid other) {
      return meId.equals(other.bidder().meId())
          && askShareBps == other.askShareBps()
          && plan.equals(other.plan());
    }
  }

  /** Who bids, as the API found it: the ME, its capabilities, its rating and the EMCs it is a member of. */
  public record Bidder(String meId, List<String> capabilities, int rating, List<String> memberOf) {}

  static boolean stands(Bid bid) {
    return bid.status() == BidStatus.ACTIVE || bid.status() == BidStatus.AWARDED;
  }

  public static final Comparator<Bid> BEST =
      Comparator.comparingLong(Bid::score).thenComparingLong(Bid::arrival);

  // ---- the sharded protocol -----------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits PostCall, GetRound, GetSummary, PlaceBid, WithdrawBid, AwardBid, CancelRound, Wake, Written, Stop, Idle, Lingered {}

  public record PostCall(
      String emcId, String ownerMeId, Call call, Instant closesAt, String actingMeId, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetRound(ActorRef<Reply> replyTo) implements Command {}

  /**
   * What anyone may see of the round, without its bids: for a watch check, which
   * needs the version only (a round holds up to 100 000 bids, and a reply to
   * another node is serialized whole).
   */
  public record GetSummary(ActorRef<Reply> replyTo) implements Command {}

  public record PlaceBid(String bidId, Bidder bidder, int askShareBps, String plan, ActorRef<Reply> replyTo)
      implements Command {}

  public record WithdrawBid(String bidId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record AwardBid(String bidId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record CancelRound(String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** Brings the round into memory (after a restart) so that its deadline timer runs. */
  public enum Wake implements Command {
    INSTANCE
  }

  /**
   * From the journal: what is now stored; {@code idle} when it has finished the
   * inbox's last command (or has just recovered, having none).
   */
  public record Written(State state, boolean idle) implements Command {}

  /** Sent by sharding to passivate the round. */
  public enum Stop implements Command {
    INSTANCE
  }

  enum Idle implements Command {
    INSTANCE
  }

  /** The inbox's wait for more bids after a write is over. */
  enum Lingered implements Command {
    INSTANCE
  }

  // ---- replies ------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, BidAccepted, Summarized, Rejected {}

  public record Accepted(State round, boolean created) implements Reply {}

  /** A bid is stored (or was already): the bid and what everyone may see of the round. */
  public record BidAccepted(Bid bid, Summary round) implements Reply {}

  public record Rejected(String code, String message) implements Reply {}

  /** The answer to {@link GetSummary}. */
  public record Summarized(Summary round) implements Reply {}

  /** What anyone may see of a round: never a sealed bid. */
  public record Summary(
      String roundId, Status status, Instant closesAt, Integer bestAskBps, int bidCount, long version) {}

  // ---- the journal's commands -----------------------------------------------------------------

  public sealed interface JournalCommand extends CborSerializable permits Apply, PlaceBids, CloseDue {}

  /** One command of the inbox other than bids (named, for its trip through the serializer). */
  public record Apply(
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
          @JsonSubTypes({
            @JsonSubTypes.Type(value = PostCall.class, name = "post-call"),
            @JsonSubTypes.Type(value = GetRound.class, name = "get-round"),
            @JsonSubTypes.Type(value = WithdrawBid.class, name = "withdraw-bid"),
            @JsonSubTypes.Type(value = AwardBid.class, name = "award-bid"),
            @JsonSubTypes.Type(value = CancelRound.class, name = "cancel-round")
          })
          Command command)
      implements JournalCommand {}

  /** Bids that arrived together, checked in order and written as one event. */
  public record PlaceBids(List<PlaceBid> bids) implements JournalCommand {}

  /** From the journal's own deadline timer. */
  public enum CloseDue implements JournalCommand {
    INSTANCE
  }

  // ---- events -------------------------------------------------------------------------------

  public sealed interface Event
      permits RoundPosted, BidsPlaced, BidWithdrawn, RoundClosed, BidAwarded, RoundCancelled {
    String roundId();

    Instant at();
  }

  public record RoundPosted(String roundId, String emcId, String ownerMeId, Call call, Instant closesAt, Instant at)
      implements Event {}

  /**
   * Bids accepted from one batch, in order; {@code closesAt} is the deadline after
   * them. {@code activeBids} and {@code bestAskBps} (null without bids) are what the
   * round shows after them, carried for the open-round directory.
   */
  public record BidsPlaced(
      String roundId, List<Bid> bids, Instant closesAt, int activeBids, Integer bestAskBps, Instant at)
      implements Event {
    public BidsPlaced {
      bids = List.copyOf(bids);
    }
  }

  public record BidWithdrawn(String roundId, String bidId, int activeBids, Integer bestAskBps, Instant at)
      implements Event {}

  /** The deadline passed; {@code awardedBidId} is set when the round awarded itself. */
  public record RoundClosed(String roundId, String awardedBidId, String invitationId, Instant at) implements Event {}

  public record BidAwarded(String roundId, String bidId, String invitationId, Instant at) implements Event {}

  public record RoundCancelled(String roundId, Instant at) implements Event {}

  // ---- state --------------------------------------------------------------------------------

  public record State(
      String roundId,
      String emcId,
      String ownerMeId,
      Call call,
      Status status,
      Instant closesAt,
      Instant postedAt,
      Map<String, Bid> bids,
      String awardedBidId,
      String invitationId,
      long arrivals,
      long version) {

    public State {
      bids = Bids.of(bids); // the same instance when it already is one
    }

    private Bids index() {
      return (Bids) bids;
    }

    static State empty(String roundId) {
      return new State(roundId, null, null, null, null, null, null, Map.of(), null, null, 0, 0);
    }

    public boolean isPosted() {
      return call != null;
    }

    /** Bids that stand: active ones, and the awarded one (it won; it still counts). */
    public List<Bid> activeBids() {
      return bids.values().stream().filter(RoundEntity::stands).toList();
    }

    public int standingCount() {
      return index().standing();
    }

    public OptionalInt bestAsk() {
      return index().bestAsk();
    }

    public Optional<Bid> bestScore() {
      return bids.values().stream().filter(b -> b.status() == BidStatus.ACTIVE).min(BEST);
    }

    public Optional<Bid> activeBidOf(String meId) {
      return Optional.ofNullable(index().activeOf(meId));
    }

    /** What anyone may see: the best ask only in open rounds, or once bidding has ended. */
    public Summary summary() {
      boolean showBest = call != null && (call.mode() == Mode.OPEN || status != Status.OPEN);
      OptionalInt best = bestAsk();
      Integer bestAsk = showBest && best.isPresent() ? best.getAsInt() : null;
      return new Summary(roundId, status, closesAt, bestAsk, standingCount(), version);
    }

    State apply(Event event) {
      long next = version + 1;
      if (event instanceof RoundPosted e) {
        return new State(
            roundId, e.emcId(), e.ownerMeId(), e.call(), Status.OPEN, e.closesAt(), e.at(), Map.of(), null, null, 0, next);
      }
      Bids bs = index();
      if (event instanceof BidsPlaced e) {
        long arrived = arrivals;
        for (Bid bid : e.bids()) {
          // one active bid per ME: a new one replaces the last
          Bid replaced = bs.activeOf(bid.meId());
          if (replaced != null) {
            bs = bs.put(replaced.withStatus(BidStatus.SUPERSEDED));
          }
          bs = bs.put(bid);
          arrived = Math.max(arrived, bid.arrival());
        }
        return new State(roundId, emcId, ownerMeId, call, status, e.closesAt(), postedAt, bs, awardedBidId, invitationId, arrived, next);
      }
      if (event instanceof BidWithdrawn e) {
        Bid bid = bs.get(e.bidId());
        if (bid != null) {
          bs = bs.put(bid.withStatus(BidStatus.WITHDRAWN));
        }
        return new State(roundId, emcId, ownerMeId, call, status, closesAt, postedAt, bs, awardedBidId, invitationId, arrivals, next);
      }
      if (event instanceof RoundClosed e) {
        Status outcome;
        if (e.awardedBidId() != null) {
          Bid winner = bs.get(e.awardedBidId());
          if (winner != null) {
            bs = bs.put(winner.withStatus(BidStatus.AWARDED));
          }
          outcome = Status.AWARDED;
        } else {
          outcome = standingCount() == 0 ? Status.UNSUCCESSFUL : Status.CLOSED;
        }
        return new State(roundId, emcId, ownerMeId, call, outcome, closesAt, postedAt, bs, e.awardedBidId(), e.invitationId(), arrivals, next);
      }
      if (event instanceof BidAwarded e) {
        Bid winner = bs.get(e.bidId());
        if (winner != null) {
          bs = bs.put(winner.withStatus(BidStatus.AWARDED));
        }
        return new State(roundId, emcId, ownerMeId, call, Status.AWARDED, closesAt, postedAt, bs, e.bidId(), e.invitationId(), arrivals, next);
      }
      if (event instanceof RoundCancelled) {
        return new State(roundId, emcId, ownerMeId, call, Status.CANCELLED, closesAt, postedAt, bs, awardedBidId, invitationId, arrivals, next);
      }
      throw new IllegalStateException("unknown event " + event.getClass());
    }
  }

  /**
   * A round's bids, persistent (a change shares all but O(log n) of the old
   * structure, so a write costs the same at 10 or 100 000 bids), with what the
   * rules ask of them kept up to date: each ME's active bid, and the asks of the
   * bids that stand (for the best ask). Iteration order is not meaningful.
   */
  public static final class Bids extends java.util.AbstractMap<String, Bid> {
    static final Bids EMPTY =
        new Bids(org.pcollections.HashTreePMap.empty(), org.pcollections.HashTreePMap.empty(), org.pcollections.TreePMap.empty(), 0);

    private final org.pcollections.PMap<String, Bid> byId;
    private final org.pcollections.PMap<String, String> activeByMe;
    private final org.pcollections.TreePMap<Integer, Integer> standingAsks;
    private final int standing;

    private Bids(
        org.pcollections.PMap<String, Bid> byId,
        org.pcollections.PMap<String, String> activeByMe,
        org.pcollections.TreePMap<Integer, Integer> standingAsks,
        int standing) {
      this.byId = byId;
      this.activeByMe = activeByMe;
      this.standingAsks = standingAsks;
      this.standing = standing;
    }

    static Bids of(Map<String, Bid> bids) {
      if (bids instanceof Bids b) {
        return b;
      }
      Bids result = EMPTY;
      for (Bid bid : bids.values()) {
        result = result.put(bid);
      }
      return result;
    }

    /** This bid, as it is, in place of any bid with its id. */
    Bids put(Bid bid) {
      Bids without = remove(byId.get(bid.bidId()));
      org.pcollections.PMap<String, String> active =
          bid.status() == BidStatus.ACTIVE ? without.activeByMe.plus(bid.meId(), bid.bidId()) : without.activeByMe;
      org.pcollections.TreePMap<Integer, Integer> asks = without.standingAsks;
      int count = without.standing;
      if (stands(bid)) {
        asks = asks.plus(bid.askShareBps(), asks.getOrDefault(bid.askShareBps(), 0) + 1);
        count++;
      }
      return new Bids(without.byId.plus(bid.bidId(), bid), active, asks, count);
    }

    private Bids remove(Bid old) {
      if (old == null) {
        return this;
      }
      org.pcollections.PMap<String, String> active =
          old.bidId().equals(activeByMe.get(old.meId())) ? activeByMe.minus(old.meId()) : activeByMe;
      org.pcollections.TreePMap<Integer, Integer> asks = standingAsks;
      int count = standing;
      if (stands(old)) {
        int n = asks.getOrDefault(old.askShareBps(), 0);
        asks = n <= 1 ? asks.minus(old.askShareBps()) : asks.plus(old.askShareBps(), n - 1);
        count--;
      }
      return new Bids(byId.minus(old.bidId()), active, asks, count);
    }

    Bid activeOf(String meId) {
      String id = activeByMe.get(meId);
      return id == null ? null : byId.get(id);
    }

    OptionalInt bestAsk() {
      return standingAsks.isEmpty() ? OptionalInt.empty() : OptionalInt.of(standingAsks.firstKey());
    }

    int standing() {
      return standing;
    }

    @Override
    public Set<Map.Entry<String, Bid>> entrySet() {
      return byId.entrySet();
    }

    @Override
    public Bid get(Object key) {
      return byId.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return byId.containsKey(key);
    }

    @Override
    public int size() {
      return byId.size();
    }

    @Override
    public java.util.Collection<Bid> values() {
      return byId.values();
    }
  }

  /** Where live changes go; the real one is the cluster-wide topic {@code round/{roundId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State round);
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

  // ---- the journal ----------------------------------------------------------------------------

  /** The journal alone (for tests and for the inbox); {@code inbox} hears of every write. */
  public static Behavior<JournalCommand> journal(
      String roundId, Settings settings, ChangePublisher publisher, Clock clock, ActorRef<Command> inbox) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new RoundEntity(roundId, settings, publisher, clock, inbox, timers)));
  }

  private final String roundId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;
  private final ActorRef<Command> inbox;
  private final TimerScheduler<JournalCommand> timers;

  private RoundEntity(
      String roundId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      ActorRef<Command> inbox,
      TimerScheduler<JournalCommand> timers) {
    super(
        persistenceId(roundId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.roundId = roundId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
    this.inbox = inbox;
    this.timers = timers;
  }

  @Override
  public State emptyState() {
    return State.empty(roundId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tag(roundId, settings.tagSlices()));
  }

  @Override
  public CommandHandlerWithReply<JournalCommand, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<JournalCommand, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder
        .forAnyState()
        .onCommand(PlaceBids.class, this::placeBids)
        .onCommand(CloseDue.class, (state, due) -> closeDue(state, due))
        .onCommand(Apply.class, this::applyCommand);
    return builder.build();
  }

  private ReplyEffect<Event, State> applyCommand(State state, Apply apply) {
    Command command = apply.command();
    if (command instanceof PostCall c) {
      return post(state, c);
    }
    if (!state.isPosted()) {
      return answer(replyTo(command), new Rejected(BiddingCodes.ROUND_NOT_FOUND, "no round " + roundId));
    }
    if (command instanceof WithdrawBid c) {
      return withdraw(state, c);
    }
    if (command instanceof AwardBid c) {
      return award(state, c);
    }
    if (command instanceof CancelRound c) {
      return cancel(state, c);
    }
    if (command instanceof GetRound c) {
      return answer(c.replyTo(), new Accepted(state, false));
    }
    throw new IllegalArgumentException("not a journal command: " + command);
  }

  private ReplyEffect<Event, State> post(State state, PostCall c) {
    if (state.isPosted()) {
      boolean same =
          state.emcId().equals(c.emcId())
              && state.ownerMeId().equals(c.ownerMeId())
              && state.call().equals(c.call())
              && state.postedAt() != null;
      return same
          ? answer(c.replyTo(), new Accepted(state, false))
          : answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_EXISTS, "a round with id " + roundId + " exists"));
    }
    if (!c.actingMeId().equals(c.ownerMeId())) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.NOT_OWNER, "only the EMC's owner posts calls"));
    }
    RoundPosted event = new RoundPosted(roundId, c.emcId(), c.ownerMeId(), c.call(), c.closesAt(), clock.instant());
    return write(event, "round.posted", c.replyTo(), s -> new Accepted(s, true));
  }

  private ReplyEffect<Event, State> placeBids(State state, PlaceBids batch) {
    Instant now = clock.instant();
    // Each bid is checked against the round as the bids before it in the batch left
    // it: applying one is O(log n), the bids being persistent.
    State working = state;
    List<Bid> accepted = new ArrayList<>();
    List<Rejected> outcomes = new ArrayList<>(); // per bid: its rejection, or null when it stands
    for (PlaceBid bid : batch.bids()) {
      Object outcome = check(working, bid, now);
      if (outcome instanceof Rejected r) {
        outcomes.add(r);
      } else {
        Bid checked = (Bid) outcome;
        if (!working.bids().containsKey(checked.bidId())) {
          accepted.add(checked);
          working = working.apply(new BidsPlaced(roundId, List.of(checked), softClose(working, now), 0, null, now));
        }
        outcomes.add(null); // new, or the same bid again: answered with the bid as stored
      }
    }
    List<PlaceBid> bids = batch.bids();
    if (accepted.isEmpty()) {
      return Effect()
          .none()
          .thenRun(
              s -> {
                inbox.tell(new Written(s, true));
                answerBids(bids, outcomes, s);
              })
          .thenNoReply();
    }
    OptionalInt best = working.bestAsk();
    BidsPlaced event =
        new BidsPlaced(
            roundId,
            accepted,
            working.closesAt(),
            working.standingCount(),
            best.isPresent() ? best.getAsInt() : null,
            now);
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              // the inbox first: a read sent right after this answer sees the bid
              inbox.tell(new Written(s, true));
              answerBids(bids, outcomes, s);
              publisher.published("round.bids-placed", s);
              armDeadline(s);
            })
        .thenNoReply();
  }

  private static void answerBids(List<PlaceBid> bids, List<Rejected> outcomes, State stored) {
    Summary summary = stored.summary();
    for (int i = 0; i < bids.size(); i++) {
      PlaceBid bid = bids.get(i);
      Rejected rejected = outcomes.get(i);
      bid.replyTo().tell(rejected != null ? rejected : new BidAccepted(stored.bids().get(bid.bidId()), summary));
    }
  }

  /** A rejection, the bid as it already is (a repeat), or the new bid to store. */
  private Object check(State state, PlaceBid bid, Instant now) {
    if (!state.isPosted()) {
      return new Rejected(BiddingCodes.ROUND_NOT_FOUND, "no round " + roundId);
    }
    Bid existing = state.bids().get(bid.bidId());
    if (existing != null) {
      return existing.sameRequest(bid)
          ? existing
          : new Rejected(BiddingCodes.BID_CONFLICT, "bid " + bid.bidId() + " was placed with other terms");
    }
    if (state.status() != Status.OPEN || !now.isBefore(state.closesAt())) {
      return new Rejected(BiddingCodes.ROUND_CLOSED, "the round is closed");
    }
    Call call = state.call();
    Bidder bidder = bid.bidder();
    if (bidder.meId().equals(state.ownerMeId()) || bidder.memberOf().contains(state.emcId())) {
      return new Rejected(BiddingCodes.NOT_ELIGIBLE, bidder.meId() + " is already a member of the EMC");
    }
    if (!bidder.capabilities().contains(call.capability())) {
      return new Rejected(BiddingCodes.NOT_ELIGIBLE, bidder.meId() + " lacks the capability " + call.capability());
    }
    if (bidder.rating() < call.minRating()) {
      return new Rejected(
          BiddingCodes.NOT_ELIGIBLE, "a rating of at least " + call.minRating() + " is required; " + bidder.rating() + " is below");
    }
    if (bid.askShareBps() > call.maxShareBps()) {
      return new Rejected(BiddingCodes.ASK_ABOVE_MAX, "the call gives at most " + call.maxShareBps() + " bps");
    }
    OptionalInt best = state.bestAsk();
    if (call.mode() == Mode.OPEN && best.isPresent() && bid.askShareBps() > best.getAsInt() - call.minStepBps()) {
      return new Rejected(
          BiddingCodes.ASK_NOT_BETTER,
          "the best ask is " + best.getAsInt() + " bps; a bid must ask at most " + (best.getAsInt() - call.minStepBps()));
    }
    if (state.bids().size() >= settings.maxBids()) {
      return new Rejected(BiddingCodes.ROUND_FULL, "the round holds at most " + settings.maxBids() + " bids");
    }
    return new Bid(
        bid.bidId(),
        bidder.meId(),
        bid.askShareBps(),
        bid.plan(),
        now,
        bidder.rating(),
        state.arrivals() + 1,
        BidStatus.ACTIVE);
  }

  /** A bid in the last minutes of an open round moves the deadline, so nobody wins by sniping. */
  private Instant softClose(State state, Instant now) {
    Instant closesAt = state.closesAt();
    if (state.call().mode() != Mode.OPEN) {
      return closesAt;
    }
    if (Duration.between(now, closesAt).compareTo(settings.softCloseWindow()) >= 0) {
      return closesAt;
    }
    Instant extended = now.plus(settings.softCloseExtension());
    return extended.isAfter(closesAt) ? extended : closesAt;
  }

  private ReplyEffect<Event, State> withdraw(State state, WithdrawBid c) {
    Bid bid = state.bids().get(c.bidId());
    if (bid == null) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.BID_NOT_FOUND, "no bid " + c.bidId()));
    }
    if (!bid.meId().equals(c.actingMeId())) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.NOT_BIDDER, "only the bidder withdraws its bid"));
    }
    if (bid.status() == BidStatus.WITHDRAWN) {
      return answer(c.replyTo(), new Accepted(state, false));
    }
    if (state.status() != Status.OPEN || !clock.instant().isBefore(state.closesAt())) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_CLOSED, "bids are withdrawn only while the round is open"));
    }
    if (bid.status() != BidStatus.ACTIVE) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.BID_NOT_ACTIVE, "the bid is " + bid.status()));
    }
    State after = state.apply(new BidWithdrawn(roundId, c.bidId(), 0, null, clock.instant()));
    OptionalInt best = after.bestAsk();
    BidWithdrawn event =
        new BidWithdrawn(
            roundId, c.bidId(), after.standingCount(), best.isPresent() ? best.getAsInt() : null, clock.instant());
    return write(event, "round.bid-withdrawn", c.replyTo(), s -> new Accepted(s, false));
  }

  private ReplyEffect<Event, State> award(State state, AwardBid c) {
    if (!c.actingMeId().equals(state.ownerMeId())) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.NOT_OWNER, "only the EMC's owner awards"));
    }
    switch (state.status()) {
      case OPEN:
        return answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_OPEN, "the round is open until " + state.closesAt()));
      case AWARDED:
        return c.bidId().equals(state.awardedBidId())
            ? answer(c.replyTo(), new Accepted(state, false))
            : answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_FINISHED, "the round is already awarded"));
      case UNSUCCESSFUL:
      case CANCELLED:
        return answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_FINISHED, "the round is " + state.status()));
      case CLOSED:
        break;
    }
    Bid bid = state.bids().get(c.bidId());
    if (bid == null) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.BID_NOT_FOUND, "no bid " + c.bidId()));
    }
    if (bid.status() != BidStatus.ACTIVE) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.BID_NOT_ACTIVE, "the bid is " + bid.status()));
    }
    return write(
        new BidAwarded(roundId, bid.bidId(), invitationIdFor(roundId), clock.instant()),
        "round.bid-awarded",
        c.replyTo(),
        s -> new Accepted(s, false));
  }

  private ReplyEffect<Event, State> cancel(State state, CancelRound c) {
    if (!c.actingMeId().equals(state.ownerMeId())) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.NOT_OWNER, "only the EMC's owner cancels"));
    }
    if (state.status() == Status.CANCELLED) {
      return answer(c.replyTo(), new Accepted(state, false));
    }
    if (state.status().isFinal()) {
      return answer(c.replyTo(), new Rejected(BiddingCodes.ROUND_FINISHED, "the round is " + state.status()));
    }
    return write(new RoundCancelled(roundId, clock.instant()), "round.cancelled", c.replyTo(), s -> new Accepted(s, false));
  }

  private ReplyEffect<Event, State> closeDue(State state, CloseDue due) {
    Instant now = clock.instant();
    if (!state.isPosted() || state.status() != Status.OPEN) {
      return Effect().noReply();
    }
    if (now.isBefore(state.closesAt())) {
      armDeadline(state); // a soft close moved it
      return Effect().noReply();
    }
    Optional<Bid> winner = state.call().autoAward() ? state.bestScore() : Optional.empty();
    RoundClosed event =
        new RoundClosed(
            roundId,
            winner.map(Bid::bidId).orElse(null),
            winner.isPresent() ? invitationIdFor(roundId) : null,
            now);
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              publisher.published("round.closed", s);
              inbox.tell(new Written(s, false));
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> write(
      Event event, String eventName, ActorRef<Reply> replyTo, java.util.function.Function<State, Reply> reply) {
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              publisher.published(eventName, s);
              armDeadline(s);
              inbox.tell(new Written(s, true));
            })
        .thenReply(replyTo, reply::apply);
  }

  /** Answers without writing; the inbox hears that its command is done. */
  private ReplyEffect<Event, State> answer(ActorRef<Reply> replyTo, Reply reply) {
    return Effect().none().thenRun(s -> inbox.tell(new Written(s, true))).thenReply(replyTo, s -> reply);
  }

  private static ActorRef<Reply> replyTo(Command command) {
    if (command instanceof WithdrawBid c) return c.replyTo();
    if (command instanceof AwardBid c) return c.replyTo();
    if (command instanceof CancelRound c) return c.replyTo();
    if (command instanceof GetRound c) return c.replyTo();
    if (command instanceof GetSummary c) return c.replyTo();
    if (command instanceof PostCall c) return c.replyTo();
    throw new IllegalArgumentException("no reply for " + command);
  }

  /** The round's own deadline: armed after every change and on recovery while it is open. */
  private void armDeadline(State state) {
    if (state.isPosted() && state.status() == Status.OPEN) {
      timers.startSingleTimer(CloseDue.INSTANCE, CloseDue.INSTANCE, BusinessClock.delayUntil(clock, state.closesAt()));
    } else {
      timers.cancel(CloseDue.INSTANCE);
    }
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              armDeadline(state);
              // also after a restart on a failed write: what was in flight is lost (its
              // senders time out), and the inbox must not wait for it
              inbox.tell(new Written(state, true));
            })
        .build();
  }

  // ---- the inbox ------------------------------------------------------------------------------

  /** The sharded entity: one per round. */
  public static Behavior<Command> create(
      String roundId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> new Inbox(ctx, roundId, settings, publisher, clock, shard));
  }

  static final class Inbox extends AbstractBehavior<Command> {
    private final Settings settings;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final ActorRef<JournalCommand> journal;
    private final ArrayDeque<PlaceBid> bids = new ArrayDeque<>();
    private final ArrayDeque<Command> others = new ArrayDeque<>();
    /** Reads that came while the round was recovering. */
    private final List<Command> early = new ArrayList<>();
    private State written;
    private boolean inFlight;
    /** Waiting after a write for more bids to join the next one (see {@link #onWritten}). */
    private boolean lingering;

    Inbox(
        ActorContext<Command> ctx,
        String roundId,
        Settings settings,
        ChangePublisher publisher,
        Clock clock,
        ActorRef<ClusterSharding.ShardCommand> shard) {
      super(ctx);
      this.settings = settings;
      this.shard = shard;
      this.journal = ctx.spawn(journal(roundId, settings, publisher, clock, ctx.getSelf()), "journal");
    }

    @Override
    public Receive<Command> createReceive() {
      return newReceiveBuilder()
          .onMessage(PlaceBid.class, this::onBid)
          .onMessage(GetRound.class, this::onRead)
          .onMessage(GetSummary.class, this::onRead)
          .onMessage(Written.class, this::onWritten)
          .onMessage(Wake.class, w -> this)
          .onMessageEquals(Idle.INSTANCE, this::onIdle)
          .onMessageEquals(
              Lingered.INSTANCE,
              () -> {
                lingering = false;
                flush();
                return this;
              })
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .onMessage(Command.class, this::onOther)
          .build();
    }

    private Behavior<Command> onBid(PlaceBid bid) {
      if (bids.size() >= settings.maxQueued()) {
        bid.replyTo().tell(overloaded());
        return this;
      }
      bids.add(bid);
      flush();
      return this;
    }

    private Behavior<Command> onOther(Command command) {
      if (others.size() >= settings.maxQueued()) {
        Objects.requireNonNull(RoundEntity.replyTo(command)).tell(overloaded());
        return this;
      }
      others.add(command);
      flush();
      return this;
    }

    private Behavior<Command> onRead(Command read) {
      if (written == null) {
        early.add(read); // still recovering
      } else {
        answerRead(read);
      }
      return this;
    }

    /** Reads are answered from what is stored, without waiting for writes in flight. */
    private void answerRead(Command read) {
      if (!written.isPosted()) {
        Objects.requireNonNull(RoundEntity.replyTo(read)).tell(notFound(written.roundId()));
      } else if (read instanceof GetSummary s) {
        s.replyTo().tell(new Summarized(written.summary()));
      } else if (read instanceof GetRound g) {
        g.replyTo().tell(new Accepted(written, false));
      }
    }

    private Behavior<Command> onWritten(Written w) {
      written = w.state();
      if (w.idle()) {
        inFlight = false;
        // A busy round: bids are waiting, but fewer than a full batch. Wait a
        // little (rendan.bidding.write-linger) so that the next write carries
        // more of them: each write costs about as much as its first bid. A round
        // that was idle writes its first bid at once (flush from onBid).
        if (!settings.writeLinger().isZero() && !bids.isEmpty() && bids.size() < settings.maxBatch() && others.isEmpty()) {
          lingering = true;
          getContext().scheduleOnce(settings.writeLinger(), getContext().getSelf(), Lingered.INSTANCE);
        }
      }
      for (Command read : early) {
        answerRead(read);
      }
      early.clear();
      flush();
      if (mayLeaveMemory()) {
        getContext().setReceiveTimeout(settings.idlePassivation(), Idle.INSTANCE);
      } else {
        getContext().cancelReceiveTimeout();
      }
      return this;
    }

    /**
     * Only an open round needs to be in memory (for its deadline timer): a closed
     * or finished one, or an id nobody posted, leaves after a quiet while.
     */
    private boolean mayLeaveMemory() {
      return written != null && written.status() != Status.OPEN && bids.isEmpty() && others.isEmpty() && !inFlight;
    }

    private Behavior<Command> onIdle() {
      if (mayLeaveMemory()) {
        shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
      }
      return this;
    }

    /** At most one write in flight; bids that waited meanwhile go together. */
    private void flush() {
      if (inFlight || written == null) {
        return;
      }
      if (lingering && others.isEmpty() && bids.size() < settings.maxBatch()) {
        return; // the linger ends with Lingered, or a full batch ends it now
      }
      if (!others.isEmpty()) {
        journal.tell(new Apply(others.poll()));
        inFlight = true;
      } else if (!bids.isEmpty()) {
        List<PlaceBid> batch = new ArrayList<>(Math.min(bids.size(), settings.maxBatch()));
        while (!bids.isEmpty() && batch.size() < settings.maxBatch()) {
          batch.add(bids.poll());
        }
        journal.tell(new PlaceBids(batch));
        inFlight = true;
        lingering = false;
      }
    }

    private Rejected overloaded() {
      return new Rejected(BiddingCodes.ROUND_OVERLOADED, "the round is taking too many bids at once; retry shortly");
    }

    private static Rejected notFound(String roundId) {
      return new Rejected(BiddingCodes.ROUND_NOT_FOUND, "no round " + roundId);
    }
  }
}
