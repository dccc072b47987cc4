package io.rendan.charter;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.charter.CharterEntity.CharterAdopted;
import io.rendan.charter.CharterEntity.State;
import io.rendan.charter.CharterEntity.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The charter's stored form, pinned by committed samples (see EmcSerializerTest for how a new one is written). */
@Tag("unit")
class CharterSerializerTest {
  private static final String WRITE_MISSING = "rendan.serialization.write-missing-samples";
  private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "serialization");
  private static final Instant AT = Instant.parse("2026-03-01T09:00:00.123456789Z");
  private static final CharterSerializer SERIALIZER = new CharterSerializer();
  private static final Clauses STRICT = new Clauses(500, 6_000, Duration.ofDays(30), Duration.ofDays(90), true, true);

  record Sample(String file, String manifest, Object expected) {
    @Override
    public String toString() {
      return file;
    }
  }

  static final List<Sample> SAMPLES =
      List.of(
          new Sample("charter.adopted.bin", "charter.adopted", new CharterAdopted("_org", 2, STRICT, "root", AT, 0)),
          new Sample("charter.adopted-emc.bin", "charter.adopted", new CharterAdopted("laundry", 1, STRICT, "alice", AT, 2)),
          new Sample(
              "charter.snapshot.bin",
              "charter.snapshot",
              new State("_org", List.of(new Version(1, Clauses.DEFAULT, "root", AT, 0), new Version(2, STRICT, "root", AT.plusSeconds(60), 0)))));

  static Stream<Arguments> samples() {
    return SAMPLES.stream().map(Arguments::of);
  }

  @BeforeAll
  static void writeMissingSamplesWhenAsked() throws IOException {
    if (!Boolean.getBoolean(WRITE_MISSING)) {
      return;
    }
    for (Sample sample : SAMPLES) {
      Path file = SOURCE_DIR.resolve(sample.file());
      if (!Files.exists(file)) {
        Files.write(file, SERIALIZER.toBinary(sample.expected()));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void roundTripAndCommittedSample(Sample sample) throws Exception {
    assertEquals(sample.manifest(), SERIALIZER.manifest(sample.expected()));
    assertEquals(sample.expected(), SERIALIZER.fromBinary(SERIALIZER.toBinary(sample.expected()), sample.manifest()));
    assertEquals(sample.expected(), SERIALIZER.fromBinary(committed(sample.file()), sample.manifest()));
  }

  @Test
  void manifestsNeverChange() {
    assertEquals("charter.adopted", CharterSerializer.ADOPTED);
    assertEquals("charter.snapshot", CharterSerializer.SNAPSHOT);
    assertEquals(7105, SERIALIZER.identifier());
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[0], "charter.renamed"));
  }

  private static byte[] committed(String file) throws IOException {
    try (InputStream in = CharterSerializerTest.class.getResourceAsStream("/serialization/" + file)) {
      if (in == null && Boolean.getBoolean(WRITE_MISSING)) {
        return Files.readAllBytes(SOURCE_DIR.resolve(file));
      }
      assertNotNull(in, "committed sample serialization/" + file + " is missing");
      return in.readAllBytes();
    }
  }
}
