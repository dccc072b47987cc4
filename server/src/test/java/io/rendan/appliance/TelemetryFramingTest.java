package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.appliance.TelemetryFraming.Broken;
import io.rendan.appliance.TelemetryFraming.Complete;
import io.rendan.appliance.TelemetryFraming.Frame;
import io.rendan.appliance.TelemetryFraming.Oversized;
import io.rendan.protocol.api.v1.Heartbeat;
import io.rendan.protocol.api.v1.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Frames come out the same whatever the chunks the bytes arrive in; long ones are skipped, not held. */
@Tag("unit")
class TelemetryFramingTest {
  private static List<String> describe(List<Frame> frames) {
    List<String> out = new ArrayList<>();
    for (Frame f : frames) {
      if (f instanceof Complete c) {
        out.add(f.number() + ":" + new String(c.bytes(), StandardCharsets.UTF_8));
      } else if (f instanceof Oversized) {
        out.add(f.number() + ":too long");
      } else if (f instanceof Broken b) {
        out.add(f.number() + ":broken");
      }
    }
    return out;
  }

  /** Feeds {@code bytes} in chunks of {@code size}, then finishes. */
  private static List<Frame> frame(TelemetryFraming framing, byte[] bytes, int size) {
    List<Frame> out = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += size) {
      framing.feed(ByteString.fromArray(bytes, i, Math.min(size, bytes.length - i)), out);
    }
    framing.finish(out);
    return out;
  }

  @Test
  void linesAreTheSameWhateverTheChunks() {
    byte[] text = "a\r\nbb\n\n   \nccc\nlast".getBytes(StandardCharsets.UTF_8);
    List<String> expected = List.of("1:a", "2:bb", "5:ccc", "6:last");
    for (int size = 1; size <= text.length; size++) {
      assertEquals(expected, describe(frame(TelemetryFraming.lines(10), text, size)), "chunks of " + size);
    }
  }

  @Test
  void aLineOverTheLimitIsReportedOnceAndTheNextLineIsRead() {
    byte[] text = ("ok\n" + "x".repeat(25) + "\nfine\n" + "y".repeat(11) + "\n").getBytes(StandardCharsets.UTF_8);
    List<String> expected = List.of("1:ok", "2:too long", "3:fine", "4:too long");
    for (int size : new int[] {1, 3, 7, 100}) {
      assertEquals(expected, describe(frame(TelemetryFraming.lines(10), text, size)), "chunks of " + size);
    }
    assertEquals(List.of("1:" + "z".repeat(10)), describe(frame(TelemetryFraming.lines(10), ("z".repeat(10) + "\r\n").getBytes(StandardCharsets.UTF_8), 4)));
  }

  @Test
  void delimitedMessagesAreTheSameWhateverTheChunks() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Reading> readings = new ArrayList<>();
    for (int seq = 1; seq <= 5; seq++) {
      Reading r = Reading.newBuilder().setSeq(seq * 1_000L).setHeartbeat(Heartbeat.getDefaultInstance()).build();
      readings.add(r);
      r.writeDelimitedTo(out);
    }
    byte[] bytes = out.toByteArray();
    for (int size = 1; size <= bytes.length; size++) {
      List<Frame> frames = frame(TelemetryFraming.delimited(100), bytes, size);
      assertEquals(5, frames.size(), "chunks of " + size);
      for (int i = 0; i < 5; i++) {
        assertEquals(readings.get(i), Reading.parseFrom(((Complete) frames.get(i)).bytes()));
      }
    }
  }

  @Test
  void anOversizedMessageIsSkippedByItsLengthAndATruncatedOneIsBroken() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Reading small = Reading.newBuilder().setSeq(1).setHeartbeat(Heartbeat.getDefaultInstance()).build();
    Reading big = Reading.newBuilder().setSeq(2).setStateChanged(io.rendan.protocol.api.v1.StateChanged.newBuilder().setState("X".repeat(300))).build();
    small.writeDelimitedTo(out);
    big.writeDelimitedTo(out);
    small.writeDelimitedTo(out);
    out.write(new byte[] {50, 1, 2}); // announces 50 bytes, ends after 2
    for (int size : new int[] {1, 5, 64, 1_000}) {
      assertEquals(
          List.of("1:complete", "2:too long", "3:complete", "4:broken"),
          describe(frame(TelemetryFraming.delimited(100), out.toByteArray(), size)).stream()
              .map(s -> s.startsWith("1:") || s.startsWith("3:") ? s.substring(0, 2) + "complete" : s)
              .toList(),
          "chunks of " + size);
    }
  }

  @Test
  void aLengthThatIsNoVarintBreaksTheStream() {
    byte[] bad = new byte[12];
    java.util.Arrays.fill(bad, (byte) 0xFF);
    List<Frame> frames = frame(TelemetryFraming.delimited(100), bad, 3);
    assertEquals(1, frames.size());
    assertInstanceOf(Broken.class, frames.get(0));
  }
}
