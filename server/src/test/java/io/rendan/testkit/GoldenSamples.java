package io.rendan.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The golden-sample check of a serializer: each stored event and snapshot type
 * has a fixed encoded sample under {@code src/test/resources/serialization/},
 * and a serializer test proves that the manifest is the permanent name, that a
 * value survives a round trip, and that the committed bytes still decode to the
 * same value. A committed sample is never rewritten. A new one is written once
 * with {@code -Drendan.serialization.write-missing-samples=true} (only files that
 * do not exist yet), then committed.
 */
public final class GoldenSamples {
  /** The system property that writes the samples that are missing, and only those. */
  public static final String WRITE_MISSING = "rendan.serialization.write-missing-samples";

  private static final Path SOURCE_DIR = Path.of("src", "test", "resources", "serialization");

  /** One stored type: its sample file, its permanent manifest, and the value the bytes hold. */
  public record Sample(String file, String manifest, Object expected) {
    @Override
    public String toString() {
      return file;
    }
  }

  private final SerializerWithStringManifest serializer;
  private final List<Sample> samples;

  public GoldenSamples(SerializerWithStringManifest serializer, List<Sample> samples) {
    this.serializer = serializer;
    this.samples = List.copyOf(samples);
  }

  /** The samples as arguments of a {@code @ParameterizedTest}, named by their file. */
  public Stream<Arguments> arguments() {
    return samples.stream().map(Arguments::of);
  }

  /** Writes the samples whose file is missing, when {@link #WRITE_MISSING} is set; never overwrites one. */
  public void writeMissingWhenAsked() throws IOException {
    if (!Boolean.getBoolean(WRITE_MISSING)) {
      return;
    }
    Files.createDirectories(SOURCE_DIR);
    for (Sample sample : samples) {
      Path file = SOURCE_DIR.resolve(sample.file());
      if (!Files.exists(file)) {
        Files.write(file, serializer.toBinary(sample.expected()));
      }
    }
  }

  public void assertManifest(Sample sample) {
    assertEquals(sample.manifest(), serializer.manifest(sample.expected()));
  }

  public void assertRoundTrip(Sample sample) throws NotSerializableException {
    Object original = sample.expected();
    byte[] bytes = serializer.toBinary(original);
    assertEquals(original, serializer.fromBinary(bytes, serializer.manifest(original)));
  }

  public void assertCommittedDecodes(Sample sample) throws IOException {
    assertEquals(sample.expected(), serializer.fromBinary(committed(sample.file()), sample.manifest()));
  }

  /** The committed bytes of a sample file, from the test classpath (or the source folder while writing). */
  public static byte[] committed(String file) throws IOException {
    try (InputStream in = GoldenSamples.class.getResourceAsStream("/serialization/" + file)) {
      if (in == null && Boolean.getBoolean(WRITE_MISSING)) {
        return Files.readAllBytes(SOURCE_DIR.resolve(file));
      }
      assertNotNull(in, "committed sample serialization/" + file + " is missing; see GoldenSamples");
      return in.readAllBytes();
    }
  }
}
