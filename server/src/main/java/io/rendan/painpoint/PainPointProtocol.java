package io.rendan.painpoint;

import io.rendan.vocabulary.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/** What a {@link PainPointBoard} is asked and what it answers. */
public final class PainPointProtocol {
  private PainPointProtocol() {}

  public enum Action {
    ACKNOWLEDGE,
    MERGE,
    DECLINE
  }

  public sealed interface Command extends CborSerializable permits PostPainPoint, VotePainPoint, TriagePainPoint, OpenCall, ResolveByRound, ReportFault, GetBoard {}

  /** {@code subject}: who posts ({@link PainPointBoard#SYSTEM} with {@code bySystem}, which no limit counts). */
  public record PostPainPoint(
      String painPointId, String text, String category, String applianceId, String subject, boolean bySystem, ActorRef<Reply> replyTo)
      implements Command {}

  public record VotePainPoint(String painPointId, String subject, ActorRef<Reply> replyTo) implements Command {}

  /** {@code meId}: the experience-side ME the caller was found to act for. */
  public record TriagePainPoint(String painPointId, Action action, String meId, String into, String reason, ActorRef<Reply> replyTo)
      implements Command {}

  /** The owner's call for resources {@code roundId} answers the pain point (the round is posted first). */
  public record OpenCall(String painPointId, String roundId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the resolution delivery (at least once) when {@code meId} joined the EMC
   * by the award of {@code roundId}: the pain point that call answers is resolved.
   * Nothing changes when no pain point is in that call (any other award) or it is
   * resolved already.
   */
  public record ResolveByRound(String roundId, String meId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Sent by the fault delivery ({@link FaultPainPoints}, at least once) for every
   * report of fault {@code code} by {@code applianceId}, device seq {@code seq}:
   * {@code reportsInWindow} reports of that code within the rule's window, and
   * whether that many open a pain point ({@link FaultRule}). A report adds to the
   * live system pain point of that appliance and code; without one it opens one
   * when {@code opens}; a seq counted before changes nothing.
   */
  public record ReportFault(
      String applianceId, String code, String message, long seq, int reportsInWindow, boolean opens, String windowText, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetBoard(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  /** The board as it now is, the pain point the command was about, and whether this command changed it. */
  public record Accepted(PainPointState board, String painPointId, boolean changed) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}
}
