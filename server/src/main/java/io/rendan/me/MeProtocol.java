package io.rendan.me;

import io.rendan.vocabulary.CborSerializable;
import io.rendan.me.MeEntity.Credit;
import io.rendan.me.MeEntity.HelpNote;
import io.rendan.me.MeEntity.Kind;
import io.rendan.me.MeEntity.Membership;
import io.rendan.me.MeEntity.State;
import io.rendan.me.MeEntity.TargetOutcome;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an ME entity is told and answers: the commands and the replies. A
 * namespace, implemented by nothing; what the entity stores is in
 * {@link MeEntity}.
 */
public interface MeProtocol {

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits RegisterMe, GetMe, ChangeCapabilities, AddOperator, RemoveOperator, RecordMembership, RecordCredit, RecordTargetResult, RecordHelp {}

  public record RegisterMe(String name, Kind kind, List<String> capabilities, String caller, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetMe(ActorRef<Reply> replyTo) implements Command {}

  public record ChangeCapabilities(List<String> capabilities, String caller, ActorRef<Reply> replyTo)
      implements Command {}

  public record AddOperator(String subject, String caller, ActorRef<Reply> replyTo) implements Command {}

  public record RemoveOperator(String subject, String caller, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the EMC membership delivery (at least once, in order per EMC): the
   * ME's membership in {@code emcId} as of the EMC's event {@code emcSeq}.
   * Applied once: a message with an {@code emcSeq} already seen changes nothing.
   */
  public record RecordMembership(Membership membership, ActorRef<Reply> replyTo) implements Command {}

  /**
   * A part of an EMC's revenue for this ME, sent by the EMC delivery at least
   * once; applied once, by the same per-EMC cursor as memberships.
   */
  public record RecordCredit(Credit credit, ActorRef<Reply> replyTo) implements Command {}

  /** The ME's result in a closed period of an EMC, delivered like a credit. */
  public record RecordTargetResult(TargetOutcome outcome, ActorRef<Reply> replyTo) implements Command {}

  /** A step of a help case that concerns this ME, delivered like a credit; applied once by the same cursor. */
  public record RecordHelp(HelpNote note, ActorRef<Reply> replyTo) implements Command {}

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  /** The command took effect (or had already): the ME as it now is. */
  public record Accepted(State me, boolean created) implements Reply {}

  /** A business rule refused the command; nothing was stored. */
  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}
}
