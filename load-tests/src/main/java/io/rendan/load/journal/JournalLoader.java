package io.rendan.load.journal;

import com.google.protobuf.Timestamp;
import io.rendan.protocol.persistence.v1.ApplianceTelemetryRecorded;
import io.rendan.protocol.persistence.v1.StoredReading;
import java.io.IOException;
import java.io.Reader;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Writes appliance telemetry events straight into a PostgreSQL journal, the rows
 * a node writes for them: persistence id {@code Appliance|<id>}, the next
 * sequence numbers, the appliance serializer's id (7106) and permanent manifest
 * ({@code appliance.telemetry-recorded}), and the payload as the node's
 * serializer makes it ({@code rendan.persistence.v1.ApplianceTelemetryRecorded}).
 * {@code JournalLoaderTest} holds the loader to that: the server's own
 * {@code ApplianceSerializer} reads each payload and writes the same bytes back.
 *
 * <p>Such events carry no metered cycle, so the node tags them with nothing: no
 * {@code event_tag} rows. Load only while no node runs the appliances: a live
 * entity would write the same sequence numbers and one of the two would fail.
 * Used by {@code rendan-load recovery} to make a journal of a million events in
 * seconds, where the API makes ~1 500 events/s on this machine.
 */
public final class JournalLoader {
  /** {@code ApplianceSerializer.identifier()} in the server. */
  public static final int APPLIANCE_SERIALIZER_ID = 7106;

  public static final String TELEMETRY_RECORDED = "appliance.telemetry-recorded";
  static final String WRITER = "rendan-load-journal-loader";

  /** One stored event: a batch of {@code readings} readings of one appliance, seqs from {@code firstReadingSeq}. */
  public record Event(String applianceId, long sequenceNr, long firstReadingSeq, int readings, Instant at) {}

  private JournalLoader() {}

  public static String persistenceId(String applianceId) {
    return "Appliance|" + applianceId;
  }

  /**
   * The payload the node stores for a batch of heartbeats and state changes (a
   * washer's readings when no cycle runs), device time = store time.
   */
  public static byte[] payload(Event e) {
    Timestamp at = Timestamp.newBuilder().setSeconds(e.at().getEpochSecond()).setNanos(e.at().getNano()).build();
    ApplianceTelemetryRecorded.Builder b = ApplianceTelemetryRecorded.newBuilder().setApplianceId(e.applianceId());
    for (int i = 0; i < e.readings(); i++) {
      long seq = e.firstReadingSeq() + i;
      StoredReading.Builder r = StoredReading.newBuilder().setSeq(seq).setDeviceAt(at);
      if (seq % 10 == 0) {
        r.setStateChanged(StoredReading.StateChanged.newBuilder().setState(seq % 20 == 0 ? "IDLE" : "READY"));
      } else {
        r.setHeartbeat(StoredReading.Heartbeat.getDefaultInstance());
      }
      b.addReadings(r);
    }
    return b.setAt(at).build().toByteArray();
  }

  /**
   * COPYs the events into {@code event_journal} in one statement; answers the rows
   * written. The connection's transaction commits them (auto-commit, or the caller's commit).
   */
  public static long copy(Connection c, Iterator<Event> events) throws SQLException, IOException {
    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
    return copy.copyIn(
        "COPY event_journal (persistence_id, sequence_number, deleted, writer, write_timestamp, adapter_manifest,"
            + " event_ser_id, event_ser_manifest, event_payload) FROM STDIN",
        new RowReader(events));
  }

  /**
   * {@code perAppliance.get(id)} events after each appliance's {@code from.get(id)}
   * (its last sequence number), each of {@code readingsPerEvent} readings with seqs
   * after {@code readingSeqFrom.get(id)}.
   */
  public static Iterator<Event> plan(
      List<String> applianceIds, Map<String, Long> from, Map<String, Long> readingSeqFrom, Map<String, Long> perAppliance, int readingsPerEvent) {
    Instant at = Instant.now();
    return new Iterator<>() {
      int appliance;
      long done;

      @Override
      public boolean hasNext() {
        while (appliance < applianceIds.size() && done >= perAppliance.getOrDefault(applianceIds.get(appliance), 0L)) {
          appliance++;
          done = 0;
        }
        return appliance < applianceIds.size();
      }

      @Override
      public Event next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        String id = applianceIds.get(appliance);
        long n = done++;
        return new Event(
            id,
            from.getOrDefault(id, 0L) + 1 + n,
            readingSeqFrom.getOrDefault(id, 0L) + 1 + n * readingsPerEvent,
            readingsPerEvent,
            at.plusMillis(n));
      }
    };
  }

  /** The events as COPY's text format, one line at a time. */
  private static final class RowReader extends Reader {
    private static final HexFormat HEX = HexFormat.of();
    private final Iterator<Event> events;
    private String line = "";
    private int at;

    RowReader(Iterator<Event> events) {
      this.events = events;
    }

    @Override
    public int read(char[] buffer, int offset, int length) {
      if (at == line.length()) {
        if (!events.hasNext()) {
          return -1;
        }
        Event e = events.next();
        line =
            persistenceId(e.applianceId()) + '\t' + e.sequenceNr() + "\tf\t" + WRITER + '\t' + e.at().toEpochMilli() + "\t\t"
                + APPLIANCE_SERIALIZER_ID + '\t' + TELEMETRY_RECORDED + "\t\\\\x" + HEX.formatHex(payload(e)) + '\n';
        at = 0;
      }
      int n = Math.min(length, line.length() - at);
      line.getChars(at, at + n, buffer, offset);
      at += n;
      return n;
    }

    @Override
    public void close() {}
  }
}
