package io.rendan.bidding;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.rendan.vocabulary.CborSerializable;
import io.rendan.bidding.RoundEntity.Bid;
import io.rendan.bidding.RoundEntity.Bidder;
import io.rendan.bidding.RoundEntity.Call;
import io.rendan.bidding.RoundEntity.Status;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a round is told and what it answers: the sharded protocol (every command
 * goes to the {@link RoundInbox}), its replies, and the commands the inbox hands
 * to the {@link RoundJournal}. Messages to and from other nodes travel as CBOR
 * ({@link CborSerializable}); none of them is stored.
 */
public final class RoundProtocol {
  private RoundProtocol() {}

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
  public record Written(RoundState state, boolean idle) implements Command {}

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

  public record Accepted(RoundState round, boolean created) implements Reply {}

  /** A bid is stored (or was already): the bid and what everyone may see of the round. */
  public record BidAccepted(Bid bid, Summary round) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}

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

  /** Whom a command other than a bid answers. */
  static ActorRef<Reply> replyTo(Command command) {
    if (command instanceof WithdrawBid c) return c.replyTo();
    if (command instanceof AwardBid c) return c.replyTo();
    if (command instanceof CancelRound c) return c.replyTo();
    if (command instanceof GetRound c) return c.replyTo();
    if (command instanceof GetSummary c) return c.replyTo();
    if (command instanceof PostCall c) return c.replyTo();
    throw new IllegalArgumentException("no reply for " + command);
  }
}
