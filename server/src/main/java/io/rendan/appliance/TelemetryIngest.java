package io.rendan.appliance;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.appliance.ApplianceProtocol.Recorded;
import io.rendan.appliance.ApplianceProtocol.Refusal;
import io.rendan.http.ApiException;
import io.rendan.http.ConnectionDrain;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.InventoryItem;
import io.rendan.protocol.api.v1.LineError;
import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.TelemetryAck;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/appliances/{applianceId}/telemetry}: one long-lived chunked
 * request per device, authenticated by its device secret, carrying readings as
 * JSON lines or length-delimited protobuf; the response streams acks in the
 * same encoding.
 *
 * <p>Readings are framed and parsed as the bytes arrive; those that arrive
 * while a write of the stream is in flight (or within the linger) are stored
 * together, as one event, and acked once that write is durable. One write per
 * stream is in flight at a time, so acks come in order and a slow database
 * slows the device (TCP backpressure) instead of piling readings up here. A
 * line that cannot be read or breaks a rule gets a line error and nothing of
 * it is stored; a device that sends faster than its rate gets an error and
 * the stream ends, leaving every other device alone.
 */
public final class TelemetryIngest {
  private static final Logger log = LoggerFactory.getLogger(TelemetryIngest.class);
  public static final ContentType NDJSON =
      ContentTypes.create(MediaTypes.customWithFixedCharset("application", "x-ndjson", HttpCharsets.UTF_8, java.util.Map.of(), false));
  private static final Set<String> JSON_LINES_TYPES = Set.of("x-ndjson", "ndjson", "jsonl", "x-jsonlines", "json");
  private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
  private static final Pattern STATE = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");
  private static final Pattern CODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
  private static final int MAX_TEXT = 200;
  private static final long MAX_QUANTITY = 1_000_000_000L;
  private static final String SCHEME = "Device ";
  /** Stands for the end of a request body that broke off (the device lost its connection). */
  private static final ByteString CUT = ByteString.fromArrayUnsafe(new byte[0]);

  /** From {@code rendan.appliance.ingest}. */
  public record Settings(int maxLineBytes, int maxBatch, Duration linger, double ratePerSecond, int burst) {}

  private final ApplianceApi api;
  private final HttpCodec codec;
  private final Settings settings;
  private final int maxInventoryItems;
  private final DeviceRateLimits rates;
  private final ConnectionDrain drain;

  public TelemetryIngest(ActorSystem<?> system, ApplianceApi api, HttpCodec codec, ApplianceConfig config) {
    this.api = api;
    this.codec = codec;
    this.settings = config.ingest();
    this.maxInventoryItems = config.limits().maxInventoryItems();
    this.rates = new DeviceRateLimits(settings.ratePerSecond(), settings.burst());
    this.drain = ConnectionDrain.get(system);
    Duration sweep = Duration.ofMinutes(1);
    system.scheduler().scheduleWithFixedDelay(sweep, sweep, rates::sweep, system.executionContext());
  }

  /** Answers one device stream: an error before anything is read, or the stream of acks. */
  public CompletionStage<HttpResponse> open(String applianceId, Optional<String> authorization, HttpRequest request) {
    Optional<Boolean> encoding = encoding(request);
    if (encoding.isEmpty()) {
      return CompletableFuture.completedFuture(refusal(request, unsupportedMediaType()));
    }
    boolean protobuf = encoding.get();
    String secret = authorization.filter(h -> h.regionMatches(true, 0, SCHEME, 0, SCHEME.length())).map(h -> h.substring(SCHEME.length()).trim()).orElse("");
    if (secret.isEmpty()) {
      return CompletableFuture.completedFuture(
          refusal(request, new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, "an Authorization: Device <secret> header is required")));
    }
    return api.authenticateDevice(applianceId, secret)
        .thenApply(
            device ->
                stream(
                    applianceId,
                    device.ackedSeq(),
                    request,
                    protobuf,
                    readings -> api.record(applianceId, device.secretVersion(), readings)))
        .exceptionally(
            failure -> {
              ApiException e = ErrorCodes.fromThrowable(failure);
              if (e.status() >= 500) {
                log.warn("telemetry of {} not opened: {}", applianceId, failure.toString());
              } else {
                log.debug("telemetry of {} refused: {}", applianceId, e.getMessage());
              }
              return refusal(request, e);
            });
  }

  /**
   * A stream that the caller has authorized itself, read, framed, rate-limited,
   * parsed and checked exactly as a device's, into {@code store} from seq 0: the
   * benchmark's telemetry sink ({@code bench/BenchRoutes}).
   */
  public HttpResponse openStream(String streamName, HttpRequest request, Store store) {
    Optional<Boolean> encoding = encoding(request);
    if (encoding.isEmpty()) {
      return refusal(request, unsupportedMediaType());
    }
    return stream(streamName, 0, request, encoding.get(), store);
  }

  /** True for length-delimited protobuf, false for JSON lines, empty for anything else. */
  private static Optional<Boolean> encoding(HttpRequest request) {
    ContentType contentType = request.entity().getContentType();
    if (HttpCodec.isProtobuf(contentType)) {
      return Optional.of(true);
    }
    boolean jsonLines =
        contentType.mediaType().mainType().equals("application") && JSON_LINES_TYPES.contains(contentType.mediaType().subType());
    return jsonLines ? Optional.of(false) : Optional.empty();
  }

  private static ApiException unsupportedMediaType() {
    return new ApiException(
        ErrorCodes.REQUEST_UNSUPPORTED_MEDIA_TYPE,
        "send application/x-ndjson (JSON lines) or application/x-protobuf (length-delimited)");
  }

  private HttpResponse refusal(HttpRequest request, ApiException e) {
    HttpResponse response = codec.respond(request, StatusCodes.get(e.status()), ErrorCodes.toError(e));
    return e.status() == 401 ? response.addHeader(RawHeader.create("WWW-Authenticate", "Device")) : response;
  }

  /** Where a stream's batches go: the appliance entity, or the benchmark's sink. */
  public interface Store {
    CompletionStage<Recorded> record(List<ApplianceProtocol.Reading> readings);
  }

  private HttpResponse stream(String applianceId, long ackedSeq, HttpRequest request, boolean protobuf, Store store) {
    log.debug("telemetry of {} opened at seq {}", applianceId, ackedSeq);
    DeviceRateLimits.Bucket bucket = rates.bucket(applianceId);
    // Set when a batch was not stored; no later batch of this stream is written then (see write).
    AtomicBoolean broken = new AtomicBoolean();
    // On SIGTERM the stream reads no further line, stores and acks what it read, and ends.
    ConnectionDrain.Connection drained = drain.connection(false);
    Source<TelemetryResponse, ?> responses =
        request
            .entity()
            .withoutSizeLimit()
            .getDataBytes()
            // A body that breaks off ends the stream like a finished one, without its unfinished
            // last line: what was read whole is still stored, and the device resends the rest.
            .recover(Throwable.class, () -> CUT)
            .statefulMap(
                () -> new StreamParser(applianceId, protobuf, bucket),
                (parser, chunk) -> Pair.create(parser, parser.feed(chunk)),
                parser -> Optional.of(parser.finish()))
            .mapConcat(items -> items)
            .via(drained.intake())
            .takeWhile(item -> !(item instanceof Fatal), true)
            .via(new LingerBatches<>(settings.maxBatch(), settings.linger()))
            .mapAsync(1, group -> write(applianceId, store, group, broken))
            .mapConcat(frames -> frames)
            .takeWhile(frame -> !frame.hasError(), true);
    Source<ByteString, ?> body =
        drained.until(Source.single(ack(ackedSeq, 0, 0)).concat(responses).map(frame -> encode(frame, protobuf)));
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.createChunked(protobuf ? HttpCodec.PROTOBUF : NDJSON, body));
  }

  // ---- one batch ------------------------------------------------------------------------------

  /**
   * Stores the readings of a group, and answers its line errors and then its ack, in
   * line order. Once a group of the stream was not stored, the stream ends with that
   * error and no later group is written: {@code mapAsync} pulls the next group as soon
   * as it has passed on the failed one's frames, before the error frame ends the
   * stream, and a later group stored after a lost one would leave a gap under a higher
   * stored seq, which the device's next stream would take as acknowledging the lost
   * readings (issue 20, the rolling restart's "stored seqs exceed counted readings").
   */
  private CompletionStage<List<TelemetryResponse>> write(String applianceId, Store store, List<Item> group, AtomicBoolean broken) {
    if (broken.get()) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<ApplianceProtocol.Reading> readings = new ArrayList<>();
    Map<Long, Long> lineOfSeq = new HashMap<>();
    List<LineError> errors = new ArrayList<>();
    ApiException fatal = null;
    for (Item item : group) {
      if (item instanceof Parsed p) {
        readings.add(p.reading());
        lineOfSeq.put(p.reading().seq(), p.line());
      } else if (item instanceof Failed f) {
        errors.add(lineError(f.line(), f.seq(), f.error()));
      } else if (item instanceof Fatal f) {
        fatal = f.error();
      }
    }
    ApiException end = fatal;
    if (readings.isEmpty()) {
      return CompletableFuture.completedFuture(frames(errors, null, end));
    }
    return store
        .record(readings)
        .handle(
            (recorded, failure) -> {
              if (failure != null) {
                broken.set(true);
                ApiException e = ErrorCodes.fromThrowable(failure);
                if (e.status() >= 500) {
                  log.warn("telemetry of {}: a batch of {} readings was not stored: {}", applianceId, readings.size(), failure.toString());
                }
                return frames(errors, null, e);
              }
              for (Refusal r : recorded.refusals()) {
                errors.add(lineError(lineOfSeq.getOrDefault(r.seq(), 0L), r.seq(), new ApiException(r.code(), r.message())));
              }
              return frames(errors, recorded, end);
            });
  }

  private static List<TelemetryResponse> frames(List<LineError> errors, Recorded recorded, ApiException end) {
    List<TelemetryResponse> out = new ArrayList<>(errors.size() + 2);
    errors.sort(Comparator.comparingLong(LineError::getLine));
    errors.forEach(e -> out.add(TelemetryResponse.newBuilder().setLineError(e).build()));
    if (recorded != null) {
      out.add(ack(recorded.ackedSeq(), recorded.stored(), recorded.duplicates()));
    }
    if (end != null) {
      out.add(TelemetryResponse.newBuilder().setError(ErrorCodes.toError(end)).build());
    }
    return out;
  }

  private static TelemetryResponse ack(long seq, int stored, int duplicates) {
    return TelemetryResponse.newBuilder()
        .setAck(TelemetryAck.newBuilder().setSeq(seq).setStored(stored).setDuplicates(duplicates))
        .build();
  }

  private static LineError lineError(long line, long seq, ApiException e) {
    return LineError.newBuilder().setLine(line).setSeq(seq).setError(ErrorCodes.toError(e)).build();
  }

  private static ByteString encode(Message frame, boolean protobuf) {
    if (protobuf) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(frame.getSerializedSize() + 5);
      try {
        frame.writeDelimitedTo(out);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return ByteString.fromArrayUnsafe(out.toByteArray());
    }
    return ByteString.fromString(HttpCodec.toJson(frame) + "\n", StandardCharsets.UTF_8);
  }

  // ---- reading the stream ---------------------------------------------------------------------

  /** What the parser makes of a frame. */
  sealed interface Item permits Parsed, Failed, Fatal {}

  record Parsed(long line, ApplianceProtocol.Reading reading) implements Item {}

  record Failed(long line, long seq, ApiException error) implements Item {}

  /** The stream cannot go on; what came before it is still stored. */
  record Fatal(ApiException error) implements Item {}

  /** Frames, rate-limits, parses and checks the readings of one stream, in order. */
  final class StreamParser {
    private final String applianceId;
    private final boolean protobuf;
    private final DeviceRateLimits.Bucket bucket;
    private final TelemetryFraming framing;
    private final List<TelemetryFraming.Frame> frames = new ArrayList<>();
    private long lastSeq;
    private boolean stopped;

    StreamParser(String applianceId, boolean protobuf, DeviceRateLimits.Bucket bucket) {
      this.applianceId = applianceId;
      this.protobuf = protobuf;
      this.bucket = bucket;
      this.framing =
          protobuf ? TelemetryFraming.delimited(settings.maxLineBytes()) : TelemetryFraming.lines(settings.maxLineBytes());
    }

    List<Item> feed(ByteString chunk) {
      if (chunk == CUT) {
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
        reading = reading(b.build(), maxInventoryItems);
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
  }

  private static String describe(Exception e) {
    String message = e.getMessage() == null ? "unreadable" : e.getMessage();
    message = message.replaceAll("(?:[a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
    return message.length() > 200 ? message.substring(0, 200) + "..." : message;
  }

  // ---- validation -----------------------------------------------------------------------------

  /** A reading as the entity takes it; {@code telemetry:reading.invalid} when a field breaks a rule. */
  static ApplianceProtocol.Reading reading(Reading r, int maxInventoryItems) {
    if (r.getSeq() < 1) {
      throw invalid("seq is required: 1 or more, strictly increasing");
    }
    Instant at = r.hasAt() ? time("at", r.getAt()) : null;
    ApplianceProtocol.Body body =
        switch (r.getBodyCase()) {
          case STATE_CHANGED -> new ApplianceProtocol.StateChanged(matching("stateChanged.state", r.getStateChanged().getState(), STATE, "an upper-case word such as RUNNING"));
          case CYCLE_STARTED -> {
            var c = r.getCycleStarted();
            yield new ApplianceProtocol.CycleStarted(
                matching("cycleStarted.cycleId", c.getCycleId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'"),
                c.getReservationId().isEmpty() ? "" : matching("cycleStarted.reservationId", c.getReservationId(), ID, "an id"),
                text("cycleStarted.program", c.getProgram(), false),
                c.getService());
          }
          case CYCLE_FINISHED -> {
            var f = r.getCycleFinished();
            yield new ApplianceProtocol.CycleFinished(
                matching("cycleFinished.cycleId", f.getCycleId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'"),
                amount("cycleFinished.energyWh", f.getEnergyWh()),
                amount("cycleFinished.waterMl", f.getWaterMl()),
                amount("cycleFinished.durationSeconds", f.getDurationSeconds()));
          }
          case FAULT -> new ApplianceProtocol.FaultReported(
              matching("fault.code", r.getFault().getCode(), CODE, "1 to 32 letters, digits, '-', '_' or '.'"),
              text("fault.message", r.getFault().getMessage(), false));
          case FAULT_CLEARED -> new ApplianceProtocol.FaultCleared(
              r.getFaultCleared().getCode().isEmpty()
                  ? ""
                  : matching("faultCleared.code", r.getFaultCleared().getCode(), CODE, "a fault code, or empty for all"));
          case INVENTORY -> new ApplianceProtocol.InventoryReported(items(r.getInventory().getItemsList(), maxInventoryItems));
          case HEARTBEAT -> new ApplianceProtocol.Heartbeat();
          case BODY_NOT_SET -> throw invalid(
              "the reading names nothing: one of stateChanged, cycleStarted, cycleFinished, fault, faultCleared, inventory, heartbeat");
        };
    return new ApplianceProtocol.Reading(r.getSeq(), at, body);
  }

  private static List<ApplianceState.Item> items(List<InventoryItem> items, int max) {
    if (items.size() > max) {
      throw invalid("an inventory lists at most " + max + " items");
    }
    List<ApplianceState.Item> out = new ArrayList<>(items.size());
    Set<String> ids = new HashSet<>();
    for (InventoryItem i : items) {
      String id = matching("inventory.items.itemId", i.getItemId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'");
      if (!ids.add(id)) {
        throw invalid("inventory item " + id + " is listed twice");
      }
      if (!i.hasBestBefore()) {
        throw invalid("inventory item " + id + " has no bestBefore");
      }
      if (i.getQuantity() < 0 || i.getQuantity() > MAX_QUANTITY) {
        throw invalid("inventory item " + id + ": quantity must be between 0 and " + MAX_QUANTITY);
      }
      out.add(new ApplianceState.Item(id, text("inventory.items.name", i.getName(), true), i.getQuantity(), time("inventory.items.bestBefore", i.getBestBefore())));
    }
    return out;
  }

  private static Instant time(String field, com.google.protobuf.Timestamp t) {
    try {
      return io.rendan.vocabulary.Timestamps.instant(t);
    } catch (java.time.DateTimeException e) {
      throw invalid(field + " is out of range");
    }
  }

  private static String matching(String field, String value, Pattern pattern, String rule) {
    if (!pattern.matcher(value).matches()) {
      throw invalid(field + " must be " + rule);
    }
    return value;
  }

  private static String text(String field, String value, boolean required) {
    if ((required && value.isBlank()) || value.length() > MAX_TEXT || value.chars().anyMatch(Character::isISOControl)) {
      throw invalid(field + (required ? " is required: " : " must be ") + "at most " + MAX_TEXT + " characters, no control characters");
    }
    return value;
  }

  private static long amount(String field, long value) {
    if (value < 0 || value > MAX_QUANTITY) {
      throw invalid(field + " must be between 0 and " + MAX_QUANTITY);
    }
    return value;
  }

  private static ApiException invalid(String message) {
    return new ApiException(ApplianceCodes.READING_INVALID, message);
  }
}
