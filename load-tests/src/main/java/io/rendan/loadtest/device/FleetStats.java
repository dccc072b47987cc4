package io.rendan.loadtest.device;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a fleet of simulated devices did, counted from every device's event
 * loop: readings made, sent, resent after a reconnect, acked, and the time
 * from a reading's first send to its ack.
 */
public final class FleetStats {
  final LongAdder generated = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder resent = new LongAdder();
  final LongAdder acked = new LongAdder();
  final LongAdder storedByServer = new LongAdder();
  final LongAdder duplicatesByServer = new LongAdder();
  final LongAdder lineErrors = new LongAdder();
  final LongAdder connects = new LongAdder();
  final LongAdder disconnects = new LongAdder();
  final LongAdder cuts = new LongAdder();
  final LongAdder rateLimited = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder online = new LongAdder();
  private final Recorder ackLatencyMicros = new Recorder(TimeUnit.MINUTES.toMicros(10), 3);
  private volatile AckListener listener;

  /** Told of every reading a device saw acked (once each), on the device's event-loop thread. */
  public interface AckListener {
    /**
     * @param madeAtNanos System.nanoTime() of the tick the reading was due at
     */
    void acked(String applianceId, long seq, long madeAtNanos);

    /** A stream ended with an error frame ({@code telemetry:rate-limited}, {@code server:unavailable}, ...). */
    default void streamError(String code) {}
  }

  /** Set before the fleet starts: a benchmark records each ack into its own histogram. */
  public void listen(AckListener l) {
    this.listener = l;
  }

  void ackedReading(String applianceId, long seq, long madeAtNanos) {
    AckListener l = listener;
    if (l != null) {
      l.acked(applianceId, seq, madeAtNanos);
    }
  }

  void streamError(String code) {
    AckListener l = listener;
    if (l != null) {
      l.streamError(code);
    }
  }

  void ackLatency(long nanos) {
    ackLatencyMicros.recordValue(Math.max(0, Math.min(TimeUnit.NANOSECONDS.toMicros(nanos), TimeUnit.MINUTES.toMicros(10))));
  }

  /** Totals so far, and the ack latencies recorded since the previous snapshot. */
  public Snapshot snapshot() {
    Histogram interval = ackLatencyMicros.getIntervalHistogram();
    return new Snapshot(
        generated.sum(),
        sent.sum(),
        resent.sum(),
        acked.sum(),
        storedByServer.sum(),
        duplicatesByServer.sum(),
        lineErrors.sum(),
        connects.sum(),
        disconnects.sum(),
        cuts.sum(),
        rateLimited.sum(),
        refused.sum(),
        dropped.sum(),
        online.sum(),
        interval);
  }

  /**
   * @param acked readings the device saw acked (each once)
   * @param storedByServer readings the server said it stored (its acks' "stored")
   * @param duplicatesByServer resent readings the server already had
   * @param ackLatencyMicros first send to ack, for readings acked since the last snapshot
   */
  public record Snapshot(
      long generated,
      long sent,
      long resent,
      long acked,
      long storedByServer,
      long duplicatesByServer,
      long lineErrors,
      long connects,
      long disconnects,
      long cuts,
      long rateLimited,
      long refused,
      long dropped,
      long online,
      Histogram ackLatencyMicros) {

    public String line(Snapshot previous, double seconds) {
      double rate = previous == null ? acked / seconds : (acked - previous.acked) / seconds;
      Histogram h = ackLatencyMicros;
      return String.format(
          "online %d | acked %d (%.0f/s) stored %d dup %d | sent %d resent %d | line errors %d | connects %d cuts %d rate-limited %d refused %d dropped %d | ack ms p50 %.1f p99 %.1f max %.1f",
          online,
          acked,
          rate,
          storedByServer,
          duplicatesByServer,
          sent,
          resent,
          lineErrors,
          connects,
          cuts,
          rateLimited,
          refused,
          dropped,
          h.getTotalCount() == 0 ? 0.0 : h.getValueAtPercentile(50) / 1000.0,
          h.getTotalCount() == 0 ? 0.0 : h.getValueAtPercentile(99) / 1000.0,
          h.getTotalCount() == 0 ? 0.0 : h.getMaxValue() / 1000.0);
    }
  }
}
