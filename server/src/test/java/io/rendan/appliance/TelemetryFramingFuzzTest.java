package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Tag;

/**
 * The device stream's framing: whatever the bytes and however they are cut into
 * chunks, no frame is longer than the limit, frames are numbered 1, 2, 3..., and
 * the frames are the same as when the bytes come in one piece.
 */
@Tag("unit")
class TelemetryFramingFuzzTest {
  private static final int MAX = 64;

  @FuzzTest(maxDuration = "2m")
  void framesDoNotDependOnChunksAndStayWithinTheLimit(FuzzedDataProvider data) {
    boolean protobuf = data.consumeBoolean();
    int chunk = data.consumeInt(1, 300);
    byte[] bytes = data.consumeRemainingAsBytes();
    List<String> whole = run(protobuf, bytes, Math.max(1, bytes.length));
    List<String> chunked = run(protobuf, bytes, chunk);
    assertEquals(whole, chunked, "chunks of " + chunk);
  }

  private static List<String> run(boolean protobuf, byte[] bytes, int chunk) {
    TelemetryFraming framing = protobuf ? TelemetryFraming.delimited(MAX) : TelemetryFraming.lines(MAX);
    List<TelemetryFraming.Frame> frames = new ArrayList<>();
    boolean broken = false;
    for (int i = 0; i < bytes.length && !broken; i += chunk) {
      framing.feed(ByteString.fromArray(bytes, i, Math.min(chunk, bytes.length - i)), frames);
      broken = frames.stream().anyMatch(f -> f instanceof TelemetryFraming.Broken);
    }
    if (!broken) {
      framing.finish(frames);
    }
    List<String> described = new ArrayList<>();
    long expected = 1;
    for (TelemetryFraming.Frame f : frames) {
      if (f instanceof TelemetryFraming.Broken) {
        described.add(f.number() + ":broken");
        break; // nothing after a broken frame is read
      }
      assertTrue(f.number() >= expected, "numbered in order: " + frames);
      expected = f.number() + 1;
      if (f instanceof TelemetryFraming.Complete c) {
        assertTrue(c.bytes().length <= MAX, "a frame over the limit");
        described.add(f.number() + ":" + ByteString.fromArray(c.bytes()).utf8String());
      } else {
        described.add(f.number() + ":oversized");
      }
    }
    return described;
  }
}
