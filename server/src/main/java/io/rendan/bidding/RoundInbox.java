package io.rendan.bidding;

import io.rendan.bidding.RoundEntity.ChangePublisher;
import io.rendan.bidding.RoundEntity.Settings;
import io.rendan.bidding.RoundEntity.Status;
import io.rendan.bidding.RoundProtocol.Accepted;
import io.rendan.bidding.RoundProtocol.Apply;
import io.rendan.bidding.RoundProtocol.Command;
import io.rendan.bidding.RoundProtocol.GetRound;
import io.rendan.bidding.RoundProtocol.GetSummary;
import io.rendan.bidding.RoundProtocol.Idle;
import io.rendan.bidding.RoundProtocol.JournalCommand;
import io.rendan.bidding.RoundProtocol.Lingered;
import io.rendan.bidding.RoundProtocol.PlaceBid;
import io.rendan.bidding.RoundProtocol.PlaceBids;
import io.rendan.bidding.RoundProtocol.Rejected;
import io.rendan.bidding.RoundProtocol.Stop;
import io.rendan.bidding.RoundProtocol.Summarized;
import io.rendan.bidding.RoundProtocol.Wake;
import io.rendan.bidding.RoundProtocol.Written;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The sharded entity of a round: takes every command, answers reads from the
 * last written state, and keeps bids that arrive while a write is in flight in a
 * bounded queue: they are written together in the next write (after waiting up to
 * {@code rendan.bidding.write-linger} for more); a full queue answers
 * {@code bidding:round.overloaded} at once, never silence. At most one write is in
 * flight, in its child the {@link RoundJournal}.
 */
final class RoundInbox extends AbstractBehavior<Command> {
  private final Settings settings;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ActorRef<JournalCommand> journal;
  private final ArrayDeque<PlaceBid> bids = new ArrayDeque<>();
  private final ArrayDeque<Command> others = new ArrayDeque<>();
  /** Reads that came while the round was recovering. */
  private final List<Command> early = new ArrayList<>();
  private RoundState written;
  private boolean inFlight;
  /** Waiting after a write for more bids to join the next one (see {@link #onWritten}). */
  private boolean lingering;
  /** Told to stop (hand-off, passivation) while a write was in flight: stops once it is stored. */
  private boolean stopping;

  RoundInbox(
      ActorContext<Command> ctx,
      String roundId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(ctx);
    this.settings = settings;
    this.shard = shard;
    this.journal = ctx.spawn(RoundJournal.create(roundId, settings, publisher, clock, ctx.getSelf()), "journal");
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
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onMessage(Command.class, this::onOther)
        .build();
  }

  /**
   * The shard stops the round (hand-off to another node, passivation): at once
   * when no write is in flight, otherwise once it is stored. Stopping with a
   * write in flight stopped the journal with it, and the write could still land
   * after the round had started on its next node and read the journal there:
   * two incarnations writing one sequence number (a duplicate key, which also
   * failed the other rounds' writes of the same batch), the new one not knowing
   * the bid. What waits in the queues is not written and gets no answer: the
   * node that asked sends it again, to the round's next home ({@code Asks.askAgain}).
   */
  private Behavior<Command> onStop() {
    if (!inFlight) {
      return Behaviors.stopped();
    }
    stopping = true;
    bids.clear();
    others.clear();
    lingering = false;
    return this;
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
      Objects.requireNonNull(RoundProtocol.replyTo(command)).tell(overloaded());
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
      Objects.requireNonNull(RoundProtocol.replyTo(read)).tell(notFound(written.roundId()));
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
    if (stopping && !inFlight) {
      return Behaviors.stopped();
    }
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
    if (inFlight || written == null || stopping) {
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
