package io.rendan.loadtest.device;

import io.rendan.protocol.api.v1.Reading;
import io.rendan.protocol.api.v1.TelemetryResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.Selector;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One simulated appliance, as its firmware would behave: it numbers its
 * readings, keeps every one it has not seen acked, streams them over one
 * long-lived request, and when the connection drops it reconnects (with
 * backoff) and resends from its last ack. A device that does not know its
 * sequence number yet (a fresh start) continues from the first ack the server
 * sends. All of it runs on one {@link EventLoop} thread.
 */
final class SimulatedDevice implements DeviceConnection.Listener {
  private static final long MAX_QUEUED_BYTES = 256 * 1024;
  private static final int MAX_CHUNK_BYTES = 64 * 1024;
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final Pattern RETRY_AFTER = Pattern.compile("after (\\d+) s");

  /** A reading not yet acked. */
  private static final class Pending {
    final long seq;
    final byte[] bytes;
    final long madeAt;
    long firstSentAt;

    Pending(long seq, byte[] bytes, long madeAt) {
      this.seq = seq;
      this.bytes = bytes;
      this.madeAt = madeAt;
    }
  }

  private final DeviceFleet.Device spec;
  private final DeviceFleet.Options options;
  private final DeviceModel model;
  private final FleetStats stats;
  private final Random random;
  private final InetSocketAddress[] servers;
  /** The server now tried: the device's own at first, the next one each time a connection fails before streaming. */
  private int serverIndex;
  private final InetSocketAddress local;
  private final long tickNanos;
  private final ArrayDeque<Pending> outbox = new ArrayDeque<>();
  private final byte[] chunk = new byte[MAX_CHUNK_BYTES];

  /** Outbox entries at its head already written on the current connection. */
  private int sentOnConnection;
  /** The next seq to give a reading; 0 until the first ack says where the device stands. */
  private long nextSeq;
  private DeviceConnection connection;
  private boolean streaming;
  private long nextTickAt;
  private long reconnectAt;
  private long cutAt;
  private int failures;
  private boolean stopped;
  /** Makes no new readings, but keeps sending and resending what is unacked. */
  private volatile boolean quiet;

  SimulatedDevice(DeviceFleet.Device spec, DeviceFleet.Options options, FleetStats stats, Random random, long startAt, int index) {
    this.spec = spec;
    this.options = options;
    this.stats = stats;
    this.random = random;
    this.model = DeviceModel.of(spec.kind(), random, options.cycleTicks());
    this.servers =
        options.servers().stream().map(u -> new InetSocketAddress(u.getHost(), u.getPort())).toArray(InetSocketAddress[]::new);
    this.serverIndex = index % servers.length;
    this.local =
        options.localAddresses().isEmpty()
            ? null
            : new InetSocketAddress(options.localAddresses().get(index % options.localAddresses().size()), 0);
    this.tickNanos = (long) (TimeUnit.SECONDS.toNanos(1) / options.readingsPerSecond());
    this.reconnectAt = startAt;
  }

  /** Called by the event loop every few milliseconds. */
  void tick(Selector selector, long now) {
    if (stopped) {
      return;
    }
    if (connection == null && now >= reconnectAt) {
      connect(selector, now);
    }
    if (nextSeq > 0 && !quiet) {
      // after a stall, do not make up for lost time in one burst
      if (now - nextTickAt > TimeUnit.SECONDS.toNanos(1)) {
        nextTickAt = now;
      }
      while (now >= nextTickAt) {
        // the reading is due at its tick: a benchmark measures its ack from then (no coordinated omission)
        generate(nextTickAt);
        nextTickAt += tickNanos;
      }
    }
    if (streaming) {
      send(now);
    }
    if (cutAt > 0 && now >= cutAt && connection != null && streaming) {
      stats.cuts.increment();
      connection.cut();
    }
  }

  void quiesce() {
    quiet = true;
  }

  void stop() {
    stopped = true;
    if (connection != null) {
      connection.close("stopped");
    }
  }

  private void connect(Selector selector, long now) {
    try {
      stats.connects.increment();
      connection =
          options.sinkToken() == null
              ? DeviceConnection.open(
                  selector, servers[serverIndex], local, "/v1/appliances/" + spec.applianceId() + "/telemetry", "Device " + spec.secret(), options.protobuf(), this)
              : DeviceConnection.open(
                  selector, servers[serverIndex], local, "/v1/admin/sink/" + spec.applianceId() + "/telemetry", "Bearer " + options.sinkToken(), options.protobuf(), this);
    } catch (IOException e) {
      connection = null;
      retryLater(now, 0);
    }
  }

  private void generate(long madeAt) {
    model.tick(
        Instant.now(),
        builder -> {
          Reading reading = builder.setSeq(nextSeq++).build();
          outbox.add(new Pending(reading.getSeq(), ReadingCodec.encode(reading, options.protobuf()), madeAt));
          stats.generated.increment();
        });
    // a device has only so much memory: while it cannot send, the oldest readings go
    while (outbox.size() > options.maxOutbox()) {
      outbox.poll();
      sentOnConnection = Math.max(0, sentOnConnection - 1);
      stats.dropped.increment();
    }
  }

  /** Writes what the connection has not carried yet, as chunks, while the socket keeps up. */
  private void send(long now) {
    while (connection != null && connection.canWrite(MAX_QUEUED_BYTES) && sentOnConnection < outbox.size()) {
      int length = 0;
      Iterator<Pending> it = outbox.iterator();
      for (int skip = 0; skip < sentOnConnection; skip++) {
        it.next();
      }
      while (it.hasNext()) {
        Pending p = it.next();
        if (length > 0 && length + p.bytes.length > MAX_CHUNK_BYTES) {
          break;
        }
        if (p.bytes.length > MAX_CHUNK_BYTES) {
          break; // never made by the models
        }
        System.arraycopy(p.bytes, 0, chunk, length, p.bytes.length);
        length += p.bytes.length;
        sentOnConnection++;
        if (p.firstSentAt == 0) {
          p.firstSentAt = now;
          stats.sent.increment();
        } else {
          stats.resent.increment();
        }
      }
      if (length == 0) {
        return;
      }
      connection.sendChunk(chunk, length);
    }
  }

  @Override
  public void onFrame(TelemetryResponse frame) {
    long now = System.nanoTime();
    if (frame.hasAck()) {
      long seq = frame.getAck().getSeq();
      if (!streaming) {
        // the first frame of a stream: where the server stands; resend everything above it
        streaming = true;
        sentOnConnection = 0;
        failures = 0;
        stats.online.increment();
        if (nextSeq <= seq) {
          nextSeq = seq + 1;
          nextTickAt = now;
        }
        if (options.cutEvery().toNanos() > 0) {
          cutAt = now + (long) (options.cutEvery().toNanos() * (0.5 + random.nextDouble()));
        }
      } else {
        stats.storedByServer.add(frame.getAck().getStored());
        stats.duplicatesByServer.add(frame.getAck().getDuplicates());
      }
      acked(seq, now);
    } else if (frame.hasLineError()) {
      stats.lineErrors.increment();
      long seq = frame.getLineError().getSeq();
      // refused for good: resending it would not help
      int index = 0;
      for (Iterator<Pending> it = outbox.iterator(); it.hasNext(); index++) {
        if (it.next().seq == seq) {
          it.remove();
          if (index < sentOnConnection) {
            sentOnConnection--;
          }
          break;
        }
      }
    } else if (frame.hasError()) {
      String code = frame.getError().getCode();
      stats.streamError(code);
      if (code.equals("telemetry:rate-limited")) {
        stats.rateLimited.increment();
        Matcher m = RETRY_AFTER.matcher(frame.getError().getMessage());
        retryLater(now, m.find() ? TimeUnit.SECONDS.toNanos(Long.parseLong(m.group(1))) : 0);
      } else if (code.equals("auth:unauthenticated")) {
        refused("its secret is no longer valid: " + frame.getError().getMessage());
      }
    }
  }

  private void acked(long seq, long now) {
    while (!outbox.isEmpty() && outbox.peek().seq <= seq) {
      Pending p = outbox.poll();
      sentOnConnection = Math.max(0, sentOnConnection - 1);
      if (p.firstSentAt > 0) {
        stats.acked.increment();
        stats.ackLatency(now - p.firstSentAt);
        stats.ackedReading(spec.applianceId(), p.seq, p.madeAt);
      }
    }
  }

  @Override
  public void onRefused(int status, String body) {
    if (status == 401 || status == 403 || status == 404) {
      refused(status + " " + body);
    } else if (status == 429) {
      stats.rateLimited.increment();
    }
  }

  private void refused(String why) {
    stats.refused.increment();
    stopped = true;
    System.err.println("device " + spec.applianceId() + " stops: " + why);
  }

  @Override
  public void onClosed(String why) {
    long now = System.nanoTime();
    if (streaming) {
      stats.online.decrement();
    } else {
      // never got as far as streaming there (a node down or stopping): try the next node
      serverIndex = (serverIndex + 1) % servers.length;
    }
    streaming = false;
    sentOnConnection = 0;
    cutAt = 0;
    connection = null;
    stats.disconnects.increment();
    if (reconnectAt <= now) {
      retryLater(now, 0);
    }
  }

  /** Exponential backoff with jitter, or the server's own delay when it named one. */
  private void retryLater(long now, long atLeast) {
    long backoff = Math.min(MAX_BACKOFF_NANOS, TimeUnit.MILLISECONDS.toNanos(100L << Math.min(failures++, 7)));
    reconnectAt = now + Math.max(atLeast, (long) (backoff * (0.5 + random.nextDouble())));
  }
}
