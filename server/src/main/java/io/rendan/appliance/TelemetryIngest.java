package io.rendan.appliance;

import com.google.protobuf.Message;
import io.rendan.appliance.ApplianceProtocol.Recorded;
import io.rendan.appliance.ApplianceProtocol.Refusal;
import io.rendan.appliance.TelemetryParser.Failed;
import io.rendan.appliance.TelemetryParser.Fatal;
import io.rendan.appliance.TelemetryParser.Item;
import io.rendan.appliance.TelemetryParser.Parsed;
import io.rendan.http.ApiException;
import io.rendan.http.ConnectionDrain;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.LineError;
import io.rendan.protocol.api.v1.TelemetryAck;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>This class opens a stream and writes its batches; reading the stream is
 * {@link TelemetryParser} and the rules of one reading {@link ReadingChecks}.
 */
public final class TelemetryIngest {
  private static final Logger log = LoggerFactory.getLogger(TelemetryIngest.class);
  public static final ContentType NDJSON =
      ContentTypes.create(MediaTypes.customWithFixedCharset("application", "x-ndjson", HttpCharsets.UTF_8, java.util.Map.of(), false));
  private static final Set<String> JSON_LINES_TYPES = Set.of("x-ndjson", "ndjson", "jsonl", "x-jsonlines", "json");
  private static final String SCHEME = "Device ";
  /** Stands for the end of a request body that broke off (the device lost its connection). */
  static final ByteString CUT = ByteString.fromArrayUnsafe(new byte[0]);

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
                () -> new TelemetryParser(applianceId, protobuf, bucket, settings, maxInventoryItems),
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
    List<ApplianceProtocol.Reading> readings = new ArrayList<>(group.size());
    List<LineError> errors = new ArrayList<>(0);
    ApiException fatal = null;
    for (Item item : group) {
      if (item instanceof Parsed p) {
        readings.add(p.reading());
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
                errors.add(lineError(lineOf(group, r.seq()), r.seq(), new ApiException(r.code(), r.message())));
              }
              return frames(errors, recorded, end);
            });
  }

  /** The line a reading of the group came on; looked up only for the rare refusal, not kept per reading. */
  private static long lineOf(List<Item> group, long seq) {
    for (Item item : group) {
      if (item instanceof Parsed p && p.reading().seq() == seq) {
        return p.line();
      }
    }
    return 0;
  }

  private static List<TelemetryResponse> frames(List<LineError> errors, Recorded recorded, ApiException end) {
    if (errors.isEmpty() && end == null && recorded != null) {
      return List.of(ack(recorded.ackedSeq(), recorded.stored(), recorded.duplicates()));
    }
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
}
