package io.rendan.loadtest.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The simulator's hand-written JSON is the canonical mapping the server parses. */
@Tag("unit")
class ReadingCodecTest {
  @Test
  void everyReadingTheModelsMakeReadsBackAsTheSameMessage() throws Exception {
    List<Reading> readings = new ArrayList<>();
    long[] seq = {1};
    for (DeviceFleet.Kind kind : DeviceFleet.Kind.values()) {
      DeviceModel model = DeviceModel.of(kind, new Random(7), 6);
      for (int tick = 0; tick < 500; tick++) {
        model.tick(Instant.parse("2026-03-02T18:00:00Z").plusSeconds(tick), b -> readings.add(b.setSeq(seq[0]++).build()));
      }
    }
    assertTrue(readings.stream().anyMatch(Reading::hasCycleFinished));
    assertTrue(readings.stream().anyMatch(Reading::hasInventory));
    for (Reading r : readings) {
      String line = new String(ReadingCodec.encode(r, false), StandardCharsets.UTF_8);
      assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, line);
      Reading.Builder parsed = Reading.newBuilder();
      JsonFormat.parser().merge(line, parsed);
      assertEquals(r, parsed.build(), line);
    }
  }

  @Test
  void textIsEscaped() throws Exception {
    Reading r =
        Reading.newBuilder()
            .setSeq(9)
            .setFault(io.rendan.protocol.api.v1.FaultReported.newBuilder().setCode("E1").setMessage("a \"quoted\" \\ path\n"))
            .build();
    Reading.Builder parsed = Reading.newBuilder();
    JsonFormat.parser().merge(ReadingCodec.json(r), parsed);
    assertEquals(r, parsed.build());
  }
}
