package io.rendan.painpoint;

import io.rendan.painpoint.PainPointProtocol.Action;
import java.time.Instant;

/**
 * What a {@link PainPointBoard} stores: one event per change, mapped to protobuf by
 * {@link PainPointSerializer} (manifests {@code painpoint.*}).
 */
public final class PainPointEvents {
  private PainPointEvents() {}

  public sealed interface Event permits PainPointPosted, PainPointVoted, PainPointTriaged, PainPointCallOpened, PainPointResolved, PainPointFaultRepeated {
    String emcId();

    String painPointId();

    Instant at();
  }

  /** {@code period}: the month it counts in against its subject's limit. */
  public record PainPointPosted(
      String emcId,
      String painPointId,
      String text,
      String category,
      String applianceId,
      String postedBy,
      boolean bySystem,
      String period,
      Instant at,
      FaultCount fault)
      implements Event {
    /** A post by a user, or by the system without a fault. */
    public PainPointPosted(
        String emcId, String painPointId, String text, String category, String applianceId, String postedBy, boolean bySystem, String period, Instant at) {
      this(emcId, painPointId, text, category, applianceId, postedBy, bySystem, period, at, null);
    }
  }

  /** The fault of a live system pain point was reported again, at device seq {@code seq}. */
  public record PainPointFaultRepeated(String emcId, String painPointId, long seq, Instant at) implements Event {}

  /**
   * The fault a system pain point counts: its code, the device seq of the last
   * report counted (a report at or below it was counted already) and how many.
   */
  public record FaultCount(String code, long lastSeq, int reports) {
    FaultCount repeated(long seq) {
      return new FaultCount(code, seq, reports + 1);
    }
  }

  public record PainPointVoted(String emcId, String painPointId, String subject, String period, Instant at) implements Event {}

  /** Acknowledged, merged into {@code into}, or declined for {@code reason}, by {@code meId}. */
  public record PainPointTriaged(String emcId, String painPointId, Action action, String meId, String into, String reason, Instant at)
      implements Event {}

  public record PainPointCallOpened(String emcId, String painPointId, String roundId, Instant at) implements Event {}

  public record PainPointResolved(String emcId, String painPointId, String roundId, String meId, Instant at) implements Event {}
}
