package io.rendan.appliance;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.rendan.vocabulary.CborSerializable;
import io.rendan.appliance.ApplianceState.*;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What {@link ApplianceEntity} is told and answers: the device's readings, the
 * commands, and the replies. A namespace, implemented by nothing.
 */
public interface ApplianceProtocol {

  // ---- readings -------------------------------------------------------------------------------

  /** One reading of the device, validated by the ingest. {@code deviceAt} may be null. */
  public record Reading(long seq, Instant deviceAt, Body body) {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = StateChanged.class, name = "state"),
    @JsonSubTypes.Type(value = CycleStarted.class, name = "cycle-started"),
    @JsonSubTypes.Type(value = CycleFinished.class, name = "cycle-finished"),
    @JsonSubTypes.Type(value = FaultReported.class, name = "fault"),
    @JsonSubTypes.Type(value = FaultCleared.class, name = "fault-cleared"),
    @JsonSubTypes.Type(value = InventoryReported.class, name = "inventory"),
    @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat")
  })
  public sealed interface Body
      permits StateChanged, CycleStarted, CycleFinished, FaultReported, FaultCleared, InventoryReported, Heartbeat {}

  public record StateChanged(String state) implements Body {}

  public record CycleStarted(String cycleId, String reservationId, String program, boolean service) implements Body {}

  public record CycleFinished(String cycleId, long energyWh, long waterMl, long durationSeconds) implements Body {}

  public record FaultReported(String code, String message) implements Body {}

  /** An empty code clears every fault. */
  public record FaultCleared(String code) implements Body {}

  /** Everything inside now; replaces the previous report. */
  public record InventoryReported(List<Item> items) implements Body {
    public InventoryReported {
      items = List.copyOf(items);
    }
  }

  public record Heartbeat() implements Body {}

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits ProvisionAppliance,
          GetAppliance,
          RotateDeviceSecret,
          AuthenticateDevice,
          RecordTelemetry,
          BookReservation,
          CancelReservation,
          Tick {}

  /** {@code secretHash}: SHA-256 of the new device secret, base64; the entity never sees the secret. */
  public record ProvisionAppliance(
      Provisioning provisioning, String secretHash, String provisionedBy, ActorRef<Reply> replyTo) implements Command {}

  public record GetAppliance(ActorRef<Reply> replyTo) implements Command {}

  public record RotateDeviceSecret(String secretHash, String rotatedBy, ActorRef<Reply> replyTo) implements Command {}

  /** Answered {@link DeviceAuthenticated} when the hash is the stored one (compared in constant time). */
  public record AuthenticateDevice(String secretHash, ActorRef<Reply> replyTo) implements Command {}

  /**
   * One batch of a device's stream, in the order sent, strictly increasing in
   * seq. {@code secretVersion} is the one the stream authenticated with: after a
   * rotation, streams opened with the old secret are refused.
   */
  public record RecordTelemetry(int secretVersion, List<Reading> readings, ActorRef<Reply> replyTo) implements Command {
    public RecordTelemetry {
      readings = List.copyOf(readings);
    }
  }

  public record BookReservation(String reservationId, String userId, Instant from, Instant to, ActorRef<Reply> replyTo)
      implements Command {}

  /** By the user who booked it ({@code byOperator == false}) or by an operator of the EMC's owner. */
  public record CancelReservation(String reservationId, String cancelledBy, boolean byOperator, ActorRef<Reply> replyTo)
      implements Command {}

  /** From the entity's own timer: handle whatever deadline is due. */
  public enum Tick implements Command {
    INSTANCE
  }

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected, DeviceAuthenticated, Recorded {}

  public record Accepted(State appliance, boolean created) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}

  public record DeviceAuthenticated(long ackedSeq, int secretVersion) implements Reply {}

  /** A reading refused by a rule of the entity; nothing of it was stored. */
  public record Refusal(long seq, String code, String message) {}

  /** What happened to a batch: {@code ackedSeq} is the highest seq now stored. */
  public record Recorded(long ackedSeq, int stored, int duplicates, List<Refusal> refusals) implements Reply {
    public Recorded {
      refusals = List.copyOf(refusals);
    }
  }
}
