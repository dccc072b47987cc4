package io.rendan.appliance;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.rendan.http.ApiException;
import io.rendan.protocol.api.v1.Reading;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one device stream as its bytes arrive: frames it ({@link TelemetryFraming}),
 * takes each frame from the device's rate bucket, parses it (JSON or protobuf) and
 * checks it ({@link ReadingChecks}) into items in line order: a reading, a line
 * error, or the end of the stream. One per stream, made by {@link TelemetryIngest};
 * it logs as {@code TelemetryIngest}.
 */
final class TelemetryParser {
  private static final Logger log = LoggerFactory.getLogger(TelemetryIngest.class);
  private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();

  private final String applianceId;
  private final boolean protobuf;
  private final DeviceRateLimits.Bucket bucket;
  private final TelemetryIngest.Settings settings;
  private final int maxInventoryItems;
  private final TelemetryFraming framing;
  private final List<TelemetryFraming.Frame> frames = new ArrayList<>();
  private long lastSeq;
  private boolean stopped;

  TelemetryParser(
      String applianceId, boolean protobuf, DeviceRateLimits.Bucket bucket, TelemetryIngest.Settings settings, int maxInventoryItems) {
    this.applianceId = applianceId;
    this.protobuf = protobuf;
    this.bucket = bucket;
    this.settings = settings;
    this.maxInventoryItems = maxInventoryItems;
    this.framing =
        protobuf ? TelemetryFraming.delimited(settings.maxLineBytes()) : TelemetryFraming.lines(settings.maxLineBytes());
  }

  List<Item> feed(ByteString chunk) {
    if (chunk == TelemetryIngest.CUT) {
      log.debug("telemetry of {}: the connection broke off", applianceId);
      stopped = true;
    }
    if (stopped) {
      return List.of();
    }
    frames.clear();
    framing.feed(chunk, frames);
    return items();
  }

  List<Item> finish() {
    if (stopped) {
      return List.of();
    }
    frames.clear();
    framing.finish(frames);
    return items();
  }

  private List<Item> items() {
    List<Item> items = new ArrayList<>(frames.size());
    for (TelemetryFraming.Frame frame : frames) {
      long now = System.nanoTime();
      if (!bucket.tryTake(now)) {
        stopped = true;
        log.info("telemetry of {}: over {} readings/s, stream ended", applianceId, settings.ratePerSecond());
        items.add(
            new Fatal(
                new ApiException(
                    ApplianceCodes.RATE_LIMITED,
                    "more than "
                        + settings.ratePerSecond()
                        + " readings per second (burst "
                        + settings.burst()
                        + "): reconnect after "
                        + bucket.retryAfterSeconds(now)
                        + " s and resend from the last ack")));
        break;
      }
      if (frame instanceof TelemetryFraming.Oversized o) {
        items.add(
            new Failed(
                o.number(),
                0,
                new ApiException(ApplianceCodes.LINE_TOO_LARGE, "longer than " + settings.maxLineBytes() + " bytes: skipped")));
      } else if (frame instanceof TelemetryFraming.Broken b) {
        stopped = true;
        items.add(new Fatal(new ApiException(ApplianceCodes.LINE_MALFORMED, "message " + b.number() + ": " + b.why())));
        break;
      } else if (frame instanceof TelemetryFraming.Complete c) {
        items.add(parse(c));
      }
    }
    return items;
  }

  private Item parse(TelemetryFraming.Complete frame) {
    Reading.Builder b = Reading.newBuilder();
    try {
      if (protobuf) {
        b.mergeFrom(frame.bytes());
      } else {
        JSON_PARSER.merge(new String(frame.bytes(), StandardCharsets.UTF_8), b);
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return new Failed(frame.number(), 0, new ApiException(ApplianceCodes.LINE_MALFORMED, "not a reading: " + describe(e)));
    }
    ApplianceProtocol.Reading reading;
    try {
      reading = ReadingChecks.reading(b.build(), maxInventoryItems);
    } catch (ApiException e) {
      return new Failed(frame.number(), Math.max(0, b.getSeq()), e);
    }
    if (reading.seq() <= lastSeq) {
      return new Failed(
          frame.number(),
          reading.seq(),
          new ApiException(ApplianceCodes.SEQ_NOT_INCREASING, "seq " + reading.seq() + " is not above " + lastSeq + ", sent before it"));
    }
    lastSeq = reading.seq();
    return new Parsed(frame.number(), reading);
  }

  /** What the parser makes of a frame. */
  sealed interface Item permits Parsed, Failed, Fatal {}

  record Parsed(long line, ApplianceProtocol.Reading reading) implements Item {}

  record Failed(long line, long seq, ApiException error) implements Item {}

  /** The stream cannot go on; what came before it is still stored. */
  record Fatal(ApiException error) implements Item {}

  private static String describe(Exception e) {
    String message = e.getMessage() == null ? "unreadable" : e.getMessage();
    message = message.replaceAll("(?:[a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
    return message.length() > 200 ? message.substring(0, 200) + "..." : message;
  }
}
