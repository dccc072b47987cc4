package io.rendan.appliance;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** Stable codes of the appliance's and the telemetry stream's rejections; each with its HTTP status (CODES). */
public final class ApplianceCodes {
  public static final String NOT_FOUND = "appliance:not-found";
  public static final String ALREADY_EXISTS = "appliance:already-exists";
  public static final String FAULTED = "appliance:faulted";
  public static final String NOT_BOOKABLE = "appliance:not-bookable";
  public static final String RESERVATION_OVERLAP = "appliance:reservation.overlap";
  public static final String RESERVATION_LIMIT = "appliance:reservation.limit";
  public static final String RESERVATION_CONFLICT = "appliance:reservation.conflict";
  public static final String RESERVATION_NOT_FOUND = "appliance:reservation.not-found";
  public static final String RESERVATION_NOT_YOURS = "appliance:reservation.not-yours";
  public static final String RESERVATION_NOT_CANCELLABLE = "appliance:reservation.not-cancellable";

  public static final String LINE_MALFORMED = "telemetry:line.malformed";
  public static final String LINE_TOO_LARGE = "telemetry:line.too-large";
  public static final String READING_INVALID = "telemetry:reading.invalid";
  public static final String SEQ_NOT_INCREASING = "telemetry:seq.not-increasing";
  /** A seq further above the highest stored one than rendan.appliance.ingest.max-seq-jump. */
  public static final String SEQ_JUMP = "telemetry:seq.jump";
  public static final String CYCLE_UNKNOWN = "telemetry:cycle.unknown";
  public static final String CYCLE_CONFLICT = "telemetry:cycle.conflict";
  public static final String RATE_LIMITED = "telemetry:rate-limited";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(NOT_FOUND, 404),
          ErrorCode.of(ALREADY_EXISTS, 409),
          ErrorCode.of(FAULTED, 409),
          ErrorCode.of(NOT_BOOKABLE, 409),
          ErrorCode.of(RESERVATION_OVERLAP, 409),
          ErrorCode.of(RESERVATION_LIMIT, 409),
          ErrorCode.of(RESERVATION_CONFLICT, 409),
          ErrorCode.of(RESERVATION_NOT_FOUND, 404),
          ErrorCode.of(RESERVATION_NOT_YOURS, 403),
          ErrorCode.of(RESERVATION_NOT_CANCELLABLE, 409),
          ErrorCode.of(LINE_MALFORMED, 400),
          ErrorCode.of(LINE_TOO_LARGE, 413),
          ErrorCode.of(READING_INVALID, 400),
          ErrorCode.of(SEQ_NOT_INCREASING, 409),
          ErrorCode.of(SEQ_JUMP, 409),
          ErrorCode.of(CYCLE_UNKNOWN, 409),
          ErrorCode.of(CYCLE_CONFLICT, 409),
          ErrorCode.of(RATE_LIMITED, 429));

  private ApplianceCodes() {}
}
