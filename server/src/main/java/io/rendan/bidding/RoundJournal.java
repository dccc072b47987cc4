package io.rendan.bidding;

import static io.rendan.bidding.RoundEntity.invitationIdFor;
import static io.rendan.bidding.RoundEntity.tag;
import static io.rendan.bidding.RoundProtocol.replyTo;

import io.rendan.vocabulary.BusinessClock;
import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.BidStatus;
import io.rendan.bidding.RoundEntity.Bidder;
import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEntity.ChangePublisher;
import io.rendan.bidding.RoundEntity.Mode;
import io.rendan.bidding.RoundEntity.Settings;
import io.rendan.bidding.RoundEntity.Status;
import io.rendan.bidding.RoundEvents.BidAwarded;
import io.rendan.bidding.RoundEvents.BidWithdrawn;
import io.rendan.bidding.RoundEvents.BidsPlaced;
import io.rendan.bidding.RoundEvents.Event;
import io.rendan.bidding.RoundEvents.RoundCancelled;
import io.rendan.bidding.RoundEvents.RoundClosed;
import io.rendan.bidding.RoundEvents.RoundPosted;
import io.rendan.bidding.RoundProtocol.Accepted;
import io.rendan.bidding.RoundProtocol.Apply;
import io.rendan.bidding.RoundProtocol.AwardBid;
import io.rendan.bidding.RoundProtocol.BidAccepted;
import io.rendan.bidding.RoundProtocol.CancelRound;
import io.rendan.bidding.RoundProtocol.CloseDue;
import io.rendan.bidding.RoundProtocol.Command;
import io.rendan.bidding.RoundProtocol.GetRound;
import io.rendan.bidding.RoundProtocol.JournalCommand;
import io.rendan.bidding.RoundProtocol.PlaceBid;
import io.rendan.bidding.RoundProtocol.PlaceBids;
import io.rendan.bidding.RoundProtocol.PostCall;
import io.rendan.bidding.RoundProtocol.Rejected;
import io.rendan.bidding.RoundProtocol.Reply;
import io.rendan.bidding.RoundProtocol.Summary;
import io.rendan.bidding.RoundProtocol.WithdrawBid;
import io.rendan.bidding.RoundProtocol.Written;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The round's journal, the {@link RoundInbox}'s child: the event-sourced
 * behaviour that applies the rules, one write at a time, and owns the deadline
 * timer, re-armed on recovery. Rejections are replies, never events. One write is
 * one event, so the version (and the seq of pushes on {@code round/{id}}) grows
 * by one per change; every write (or answer without one) is told to the inbox
 * as {@link Written}.
 */
final class RoundJournal extends EventSourcedBehaviorWithEnforcedReplies<JournalCommand, Event, RoundState> {

  /** The journal alone (for tests and for the inbox); {@code inbox} hears of every write. */
  static Behavior<JournalCommand> create(
      String roundId, Settings settings, ChangePublisher publisher, Clock clock, ActorRef<Command> inbox) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new RoundJournal(roundId, settings, publisher, clock, inbox, timers)));
  }

  private final String roundId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;
  private final ActorRef<Command> inbox;
  private final TimerScheduler<JournalCommand> timers;

  private RoundJournal(
      String roundId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      ActorRef<Command> inbox,
      TimerScheduler<JournalCommand> timers) {
    super(
        RoundEntity.persistenceId(roundId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.roundId = roundId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
    this.inbox = inbox;
    this.timers = timers;
  }

  @Override
  public RoundState emptyState() {
    return RoundState.empty(roundId);
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
  public CommandHandlerWithReply<JournalCommand, Event, RoundState> commandHandler() {
    CommandHandlerWithReplyBuilder<JournalCommand, Event, RoundState> builder = newCommandHandlerWithReplyBuilder();
    builder
        .forAnyState()
        .onCommand(PlaceBids.class, this::placeBids)
        .onCommand(CloseDue.class, (state, due) -> closeDue(state, due))
        .onCommand(Apply.class, this::applyCommand);
    return builder.build();
  }

  private ReplyEffect<Event, RoundState> applyCommand(RoundState state, Apply apply) {
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

  private ReplyEffect<Event, RoundState> post(RoundState state, PostCall c) {
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

  private ReplyEffect<Event, RoundState> placeBids(RoundState state, PlaceBids batch) {
    Instant now = clock.instant();
    // Each bid is checked against the round as the bids before it in the batch left
    // it: applying one is O(log n), the bids being persistent.
    RoundState working = state;
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

  private static void answerBids(List<PlaceBid> bids, List<Rejected> outcomes, RoundState stored) {
    Summary summary = stored.summary();
    for (int i = 0; i < bids.size(); i++) {
      PlaceBid bid = bids.get(i);
      Rejected rejected = outcomes.get(i);
      bid.replyTo().tell(rejected != null ? rejected : new BidAccepted(stored.bids().get(bid.bidId()), summary));
    }
  }

  /** A rejection, the bid as it already is (a repeat), or the new bid to store. */
  private Object check(RoundState state, PlaceBid bid, Instant now) {
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
        BidStatus.ACTIVE,
        bidder.emcBidder());
  }

  /** A bid in the last minutes of an open round moves the deadline, so nobody wins by sniping. */
  private Instant softClose(RoundState state, Instant now) {
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

  private ReplyEffect<Event, RoundState> withdraw(RoundState state, WithdrawBid c) {
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
    RoundState after = state.apply(new BidWithdrawn(roundId, c.bidId(), 0, null, clock.instant()));
    OptionalInt best = after.bestAsk();
    BidWithdrawn event =
        new BidWithdrawn(
            roundId, c.bidId(), after.standingCount(), best.isPresent() ? best.getAsInt() : null, clock.instant());
    return write(event, "round.bid-withdrawn", c.replyTo(), s -> new Accepted(s, false));
  }

  private ReplyEffect<Event, RoundState> award(RoundState state, AwardBid c) {
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

  private ReplyEffect<Event, RoundState> cancel(RoundState state, CancelRound c) {
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

  private ReplyEffect<Event, RoundState> closeDue(RoundState state, CloseDue due) {
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

  private ReplyEffect<Event, RoundState> write(
      Event event, String eventName, ActorRef<Reply> replyTo, java.util.function.Function<RoundState, Reply> reply) {
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
  private ReplyEffect<Event, RoundState> answer(ActorRef<Reply> replyTo, Reply reply) {
    return Effect().none().thenRun(s -> inbox.tell(new Written(s, true))).thenReply(replyTo, s -> reply);
  }

  /** The round's own deadline: armed after every change and on recovery while it is open. */
  private void armDeadline(RoundState state) {
    if (state.isPosted() && state.status() == Status.OPEN) {
      timers.startSingleTimer(CloseDue.INSTANCE, CloseDue.INSTANCE, BusinessClock.delayUntil(clock, state.closesAt()));
    } else {
      timers.cancel(CloseDue.INSTANCE);
    }
  }

  @Override
  public EventHandler<RoundState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(RoundState::apply);
  }

  @Override
  public SignalHandler<RoundState> signalHandler() {
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
}
