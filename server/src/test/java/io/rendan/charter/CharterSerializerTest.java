package io.rendan.charter;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.charter.CharterEntity.CharterAdopted;
import io.rendan.charter.CharterEntity.State;
import io.rendan.charter.CharterEntity.Version;
import io.rendan.testkit.GoldenSampleTests;
import io.rendan.testkit.GoldenSamples;
import io.rendan.testkit.GoldenSamples.Sample;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The charter's stored form, pinned by committed samples (see EmcSerializerTest for how a new one is written). */
@Tag("unit")
class CharterSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2026-03-01T09:00:00.123456789Z");
  private static final CharterSerializer SERIALIZER = new CharterSerializer();
  private static final Clauses STRICT = new Clauses(500, 6_000, Duration.ofDays(30), Duration.ofDays(90), true, true);

  static final List<Sample> SAMPLES =
      List.of(
          new Sample("charter.adopted.bin", "charter.adopted", new CharterAdopted("_org", 2, STRICT, "root", AT, 0)),
          new Sample("charter.adopted-emc.bin", "charter.adopted", new CharterAdopted("laundry", 1, STRICT, "alice", AT, 2)),
          new Sample(
              "charter.snapshot.bin",
              "charter.snapshot",
              new State("_org", List.of(new Version(1, Clauses.DEFAULT, "root", AT, 0), new Version(2, STRICT, "root", AT.plusSeconds(60), 0)))));

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    assertEquals("charter.adopted", CharterSerializer.ADOPTED);
    assertEquals("charter.snapshot", CharterSerializer.SNAPSHOT);
    assertEquals(7105, SERIALIZER.identifier());
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[0], "charter.renamed"));
  }
}
