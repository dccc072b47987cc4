package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.loadtest.device.DeviceFleet;
import io.rendan.loadtest.device.FleetStats;
import io.rendan.loadtest.device.ReadingCodec;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Heartbeat;
import io.rendan.protocol.api.v1.ProvisionApplianceRequest;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.Tariff;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Appliances sending readings, durable before their ack, two ways that a run
 * compares side by side:
 *
 * <ul>
 *   <li>{@code telemetry}: the device simulator's fleet, each appliance holding
 *       one long-lived streaming request and writing readings into it at
 *       rate / appliances per second; each reading's latency runs from the tick
 *       it was due at to its ack;
 *   <li>{@code telemetry-single}: the same rate as one short POST per reading (a
 *       one-reading body, answered once stored), on keep-alive connections;
 *       an appliance has at most one such request in flight, so its seqs arrive
 *       in order.
 * </ul>
 *
 * <p>Check, per appliance: the stored highest seq is at least the highest the
 * device saw acked, and the readings it counts equal the seqs stored (none
 * twice, none skipped but the refused ones).
 */
final class TelemetryScenario implements Scenario {
  /** How the readings travel. */
  enum Mode {
    /** one long-lived streaming request per appliance, stored */
    STREAM("telemetry"),
    /** one short POST per reading, stored */
    SINGLE("telemetry-single"),
    /** the same streams to the benchmark's sink: read and acked like a device's, stored nowhere */
    SINK("telemetry-sink");

    final String scenario;

    Mode(String scenario) {
      this.scenario = scenario;
    }
  }

  private final Mode mode;
  private final boolean streaming;
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private ScenarioContext context;
  private OperationStats reading;
  private HttpLane lane;
  private int count;
  /** {@code --streaming N}: the first N appliances stream, the others stay provisioned and silent (a density run). */
  private int streamingCount;
  private String ownerToken;
  private final List<DeviceFleet.Device> devices = new ArrayList<>();
  private final Map<String, AtomicLong> highestAcked = new ConcurrentHashMap<>();
  private final Map<String, String> errorsByStream = new ConcurrentHashMap<>();
  private final FleetStats stats = new FleetStats();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile DeviceFleet fleet;
  // one reading per request
  private long[] nextSeq;
  private final ConcurrentLinkedQueue<Integer> idle = new ConcurrentLinkedQueue<>();
  private final AtomicLong allBusy = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();

  TelemetryScenario(Mode mode) {
    this.mode = mode;
    this.streaming = mode != Mode.SINGLE;
  }

  @Override
  public String name() {
    return mode.scenario;
  }

  @Override
  public String description() {
    return switch (mode) {
      case STREAM -> "appliances each holding one streaming upload (the device simulator's fleet), readings acked once durable";
      case SINGLE -> "the same readings as one short POST each, answered once durable: what streaming saves";
      case SINK -> "the same streams to the benchmark's sink, acked as read and stored nowhere: the ceiling of the path without storage";
    };
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    reading =
        context
            .metrics()
            .operation(
                switch (mode) {
                  case STREAM -> "telemetry.reading";
                  case SINGLE -> "telemetry.post";
                  case SINK -> "telemetry.sink";
                },
                switch (mode) {
                  case STREAM -> "a reading on an appliance's stream, from the tick it was due at to its ack (durable)";
                  case SINGLE -> "POST /v1/appliances/{id}/telemetry with one reading, answered once stored";
                  case SINK -> "a reading on a stream to the sink, from the tick it was due at to its ack (nothing stored)";
                });
    lane = context.lane();
    count = context.options().getInt("appliances", context.smoke() ? 10 : 1000);
    streamingCount = mode == Mode.SINGLE ? count : Math.min(count, context.options().getInt("streaming", count));
    if (streaming) {
      // every stream is a socket here and one in a node: fail now, not halfway with "Too many open files"
      var limits = io.rendan.load.harness.FileLimits.ofThisProcess();
      io.rendan.load.harness.FileLimits.requireRoomFor(streamingCount, limits[0], limits[1]);
    }
    ownerToken = context.tokens().operator(940_000);
    String prefix = "lt-" + context.runId() + "-" + name() + INSTANCES.incrementAndGet(); // unique when other scenarios of the run embed one
    if (mode == Mode.SINK) {
      // no appliances: the sink takes any stream id
      for (int i = 0; i < count; i++) {
        devices.add(new DeviceFleet.Device(prefix + "-s" + i, "", DeviceFleet.Kind.WASHER));
      }
    } else {
      String emcId = Fixtures.startEmc(context, lane, ownerToken, prefix + "-emc", "Telemetry EMC");
      provision(prefix, emcId);
    }
    nextSeq = new long[count];
    for (int i = 0; i < count; i++) {
      nextSeq[i] = 1;
      idle.add(i);
      highestAcked.put(devices.get(i).applianceId(), new AtomicLong());
    }
    stats.listen(
        new FleetStats.AckListener() {
          @Override
          public void acked(String applianceId, long seq, long madeAtNanos) {
            reading.success(madeAtNanos);
            highestAcked.get(applianceId).accumulateAndGet(seq, Math::max);
          }

          @Override
          public void streamError(String code) {
            reading.error(System.nanoTime(), code);
          }
        });
    context
        .log()
        .printf(
            Locale.ROOT,
            "%s: %d appliances, %.1f readings/s each (%s)%n",
            name(),
            count,
            context.rate() / count,
            streaming ? "one streaming request each" + (mode == Mode.SINK ? ", to the sink" : "") : "one POST per reading");
  }

  /**
   * Provisions the appliances, many at once. One refused with 503 (a busy or young cluster) is provisioned
   * again under a new id, up to three more times: the first may have been stored, and then stays provisioned
   * and silent, since its secret was never seen.
   */
  private void provision(String prefix, String emcId) throws InterruptedException {
    DeviceFleet.Device[] made = new DeviceFleet.Device[count];
    List<Integer> todo = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      todo.add(i);
    }
    List<String> failures = new ArrayList<>();
    for (int attempt = 0; attempt < 4 && !todo.isEmpty(); attempt++) {
      String suffix = attempt == 0 ? "" : "-r" + attempt;
      CountDownLatch done = new CountDownLatch(todo.size());
      List<Integer> again = Collections.synchronizedList(new ArrayList<>());
      List<String> failed = Collections.synchronizedList(new ArrayList<>());
      for (int n : todo) {
        ProvisionApplianceRequest request =
            ProvisionApplianceRequest.newBuilder()
                .setApplianceId(prefix + "-a" + n + suffix)
                .setType(Appliance.Type.WASHER)
                .setModel("WM-40")
                .setLocation("load test, room " + n)
                .setTariff(Tariff.newBuilder().setAmountMinor(250).setCurrency("EUR"))
                .build();
        lane.submit(
            context.api().send("POST", "/v1/emcs/" + emcId + "/appliances", ownerToken, request),
            (response, failure) -> {
              if (failure != null) {
                failed.add(Api.failureCode(failure));
              } else if (response.status() == 503) {
                again.add(n);
                failed.add(Api.errorCode(response));
              } else if (response.status() != 201) {
                failed.add(Api.errorCode(response));
              } else {
                ProvisionedAppliance p = Api.parse(response, ProvisionedAppliance.newBuilder()).build();
                made[n] = new DeviceFleet.Device(p.getAppliance().getApplianceId(), p.getDeviceSecret(), DeviceFleet.Kind.WASHER);
              }
              done.countDown();
            });
      }
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("could not provision the appliances within 10 minutes");
      }
      failures = failed;
      if (failed.size() > again.size()) {
        break;
      }
      todo = again;
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("could not provision the appliances: " + failures.subList(0, Math.min(5, failures.size())));
    }
    devices.addAll(List.of(made));
  }

  /** Every appliance provisioned, with the token of its EMC's owner (who may read it). */
  Map<String, String> appliances() {
    Map<String, String> all = new LinkedHashMap<>();
    devices.forEach(d -> all.put(d.applianceId(), ownerToken));
    return all;
  }

  /**
   * {@code --source-addresses N}: the devices bind to 127.0.0.2 ... 127.0.0.(N+1) in turn, each
   * address with its own ~28 000 ephemeral ports towards one node's port; 0: the system picks.
   */
  static List<String> sourceAddresses(int n) {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      addresses.add("127.0.0." + (2 + i));
    }
    return addresses;
  }

  @Override
  public void fire(long intendedNanos) {
    if (streaming) {
      // the fleet paces itself at the same rate; it starts with the driver, so that the warm-up is the warm-up
      if (started.compareAndSet(false, true)) {
        try {
          fleet =
              DeviceFleet.start(
                  devices.subList(0, streamingCount),
                  DeviceFleet.Options.defaults(context.api().base())
                      .withServers(context.nodes().stream().map(Api::base).toList())
                      .withLocalAddresses(sourceAddresses(context.options().getInt("source-addresses", 0)))
                      .withRate(context.rate() / streamingCount)
                      .withProtobuf(context.api().protobuf())
                      .withLoops(context.options().getInt("device-loops", 2))
                      .withRampUp(context.options().getDuration("ramp-up", Duration.ofMillis(Math.min(2000, context.warmup().toMillis()))))
                      .withCycleTicks(context.options().getInt("cycle-ticks", 20))
                      .withSinkToken(mode == Mode.SINK ? context.tokens().admin() : null),
                  stats);
        } catch (java.io.IOException e) {
          throw new IllegalStateException("could not start the device fleet", e);
        }
      }
      return;
    }
    Integer device = idle.poll();
    if (device == null) {
      allBusy.incrementAndGet();
      reading.error(intendedNanos, "client:all-devices-busy");
      return;
    }
    DeviceFleet.Device d = devices.get(device);
    long seq = nextSeq[device]++;
    boolean protobuf = context.api().protobuf();
    byte[] body = ReadingCodec.encode(Reading.newBuilder().setSeq(seq).setHeartbeat(Heartbeat.getDefaultInstance()).build(), protobuf);
    inFlight.incrementAndGet();
    lane.submit(
        new HttpLane.Request(
            "POST",
            "/v1/appliances/" + d.applianceId() + "/telemetry",
            "Device " + d.secret(),
            protobuf ? Api.PROTOBUF : "application/x-ndjson",
            null,
            body),
        (response, failure) -> {
          try {
            if (failure != null) {
              reading.error(intendedNanos, Api.failureCode(failure));
              return;
            }
            if (response.status() != 200) {
              reading.error(intendedNanos, Api.errorCode(response));
              return;
            }
            String outcome = outcome(response, seq);
            if (outcome == null) {
              reading.success(intendedNanos);
              highestAcked.get(d.applianceId()).accumulateAndGet(seq, Math::max);
            } else {
              reading.error(intendedNanos, outcome);
            }
          } finally {
            inFlight.decrementAndGet();
            idle.add(device);
          }
        });
  }

  /** null when an ack covers {@code seq}; otherwise the code of what the stream said instead. */
  private static String outcome(HttpLane.Response response, long seq) {
    List<TelemetryResponse> frames = new ArrayList<>();
    try {
      if (response.contentType() != null && response.contentType().startsWith(Api.PROTOBUF)) {
        ByteArrayInputStream in = new ByteArrayInputStream(response.body());
        TelemetryResponse f;
        while ((f = TelemetryResponse.parseDelimitedFrom(in)) != null) {
          frames.add(f);
        }
      } else {
        for (String line : new String(response.body(), StandardCharsets.UTF_8).split("\n")) {
          if (!line.isBlank()) {
            TelemetryResponse.Builder b = TelemetryResponse.newBuilder();
            Api.jsonParser().merge(line, b);
            frames.add(b.build());
          }
        }
      }
    } catch (java.io.IOException e) {
      return "client:unreadable-acks";
    }
    String code = "client:no-ack";
    for (TelemetryResponse f : frames) {
      if (f.hasAck() && f.getAck().getSeq() >= seq) {
        return null;
      }
      if (f.hasLineError()) {
        code = f.getLineError().getError().getCode();
      } else if (f.hasError()) {
        code = f.getError().getCode();
      }
    }
    return code;
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    if (fleet != null) {
      fleet.quiesce();
      Waits.until(
          () -> {
            FleetStats.Snapshot s = stats.snapshot();
            return s.generated() - s.acked() - s.dropped() - s.lineErrors() <= 0;
          },
          deadlineNanos);
      fleet.close();
    }
    Waits.drain(lane, deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    if (mode == Mode.SINK) {
      return verifySink();
    }
    List<String> problems = new ArrayList<>();
    long storedTotal = 0;
    long ackedTotal = 0;
    long highestTotal = 0;
    long versionsTotal = 0;
    int lost = 0;
    int twice = 0;
    List<DeviceFleet.Device> checked = devices.subList(0, streamingCount);
    List<CheckReads.Read> reads = new ArrayList<>();
    for (DeviceFleet.Device d : checked) {
      reads.add(new CheckReads.Read(d.applianceId(), context.api().get("/v1/appliances/" + d.applianceId(), ownerToken)));
    }
    CheckReads.Result result = CheckReads.readAll(context, "appliances", reads, 16);
    if (!result.unconfirmed().isEmpty()) {
      problems.add(result.unconfirmedLine("appliances"));
      lost += result.unconfirmed().size();
    }
    for (DeviceFleet.Device d : checked) {
      HttpLane.Response r = result.answered().get(d.applianceId());
      if (r == null) {
        continue;
      }
      if (r.status() != 200) {
        problems.add(d.applianceId() + " could not be read: " + Api.errorCode(r));
        lost++;
        continue;
      }
      Appliance a = Api.parse(r, Appliance.newBuilder()).build();
      long acked = highestAcked.get(d.applianceId()).get();
      ackedTotal += acked;
      highestTotal += a.getAckedSeq();
      storedTotal += a.getUsage().getReadings();
      versionsTotal += a.getVersion();
      if (a.getAckedSeq() < acked) {
        lost++;
        MeRegisterScenario.note(problems, d.applianceId() + ": acked up to seq " + acked + " but stored only up to " + a.getAckedSeq());
      }
      if (a.getUsage().getReadings() > a.getAckedSeq()) {
        twice++;
        MeRegisterScenario.note(problems, d.applianceId() + ": " + a.getUsage().getReadings() + " readings stored for seqs up to " + a.getAckedSeq());
      }
    }
    FleetStats.Snapshot s = stats.snapshot();
    long refused = s.lineErrors();
    // every seq up to the stored highest is stored once, or was refused with a line error
    if (streaming && storedTotal + refused < highestTotal) {
      problems.add("readings stored (" + storedTotal + ") plus refused (" + refused + ") are fewer than the seqs stored (" + highestTotal + ")");
      lost++;
    }
    List<String> notes = new ArrayList<>();
    if (streaming) {
      notes.add(
          String.format(
              Locale.ROOT,
              "fleet: %d readings made, %d acked, %d resent, %d dropped, %d refused by line errors; %d connects, %d rate-limited",
              s.generated(),
              s.acked(),
              s.resent(),
              s.dropped(),
              s.lineErrors(),
              s.connects(),
              s.rateLimited()));
    } else {
      notes.add(allBusy.get() + " readings not sent because every appliance had a request in flight");
    }
    notes.add(storedTotal + " readings stored for highest seqs summing to " + highestTotal + " (acked: " + ackedTotal + ")");
    if (streaming) {
      // an appliance's version counts its events: one for provisioning, one per batch of readings (and per alert or timer)
      long events = Math.max(1, versionsTotal - checked.size());
      notes.add(
          String.format(
              Locale.ROOT, "about %d events stored them: %.1f readings per event (one event per batch)", events, (double) storedTotal / events));
    }
    boolean passed = lost == 0 && twice == 0;
    String summary =
        String.format(
            Locale.ROOT,
            "%d appliances: acked readings all stored in %d, none twice in %d (%d readings stored)",
            checked.size(),
            checked.size() - lost,
            checked.size() - twice,
            storedTotal);
    return new Verification(passed, summary, problems, notes);
  }

  /** Nothing is stored: every reading made is acked (or refused by a line error), and no stream ended in an error. */
  private Verification verifySink() {
    FleetStats.Snapshot s = stats.snapshot();
    List<String> problems = new ArrayList<>();
    long unanswered = s.generated() - s.acked() - s.dropped() - s.lineErrors();
    if (unanswered != 0) {
      problems.add(unanswered + " readings made were neither acked nor refused");
    }
    if (s.dropped() > 0) {
      problems.add(s.dropped() + " readings dropped by devices whose outbox was full");
    }
    String fleet =
        String.format(
            Locale.ROOT,
            "fleet: %d readings made, %d acked, %d resent, %d refused by line errors; %d connects, %d rate-limited (stored nowhere)",
            s.generated(),
            s.acked(),
            s.resent(),
            s.lineErrors(),
            s.connects(),
            s.rateLimited());
    String summary = String.format(Locale.ROOT, "%d streams: %d of %d readings made were acked", devices.size(), s.acked(), s.generated());
    return new Verification(problems.isEmpty(), summary, problems, List.of(fleet));
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("appliances", String.valueOf(count));
    if (streaming) {
      s.put("readings per washer cycle", String.valueOf(context == null ? 20 : context.options().getInt("cycle-ticks", 20)));
    }
    s.put("readings per appliance per s", String.format(Locale.ROOT, "%.2f", context == null ? 0 : context.rate() / Math.max(1, streamingCount)));
    if (streamingCount < count) {
      s.put("streaming", streamingCount + " of the " + count + " appliances hold a stream; the others are provisioned and silent");
    }
    s.put(
        "transport",
        switch (mode) {
          case STREAM -> "one streaming request per appliance";
          case SINGLE -> "one POST per reading";
          case SINK -> "one streaming request per simulated appliance, to the sink (nothing stored)";
        });
    return s;
  }

  @Override
  public void close() {
    DeviceFleet f = fleet;
    if (f != null) {
      try {
        f.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
