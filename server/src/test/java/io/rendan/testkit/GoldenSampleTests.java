package io.rendan.testkit;

import io.rendan.testkit.GoldenSamples.Sample;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checks every serializer test runs on its {@link GoldenSamples}, one
 * parameterized test per sample: the manifest is the permanent name, a round
 * trip gives back the same object, the committed bytes still decode. A
 * serializer test implements this and answers {@link #golden()}; missing
 * samples are written before the checks only when asked (see {@link
 * GoldenSamples#WRITE_MISSING}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public interface GoldenSampleTests {
  GoldenSamples golden();

  default Stream<Arguments> samples() {
    return golden().arguments();
  }

  @BeforeAll
  default void writeMissingSamplesWhenAsked() throws IOException {
    golden().writeMissingWhenAsked();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  default void manifestIsThePermanentName(Sample sample) {
    golden().assertManifest(sample);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  default void roundTripGivesBackTheSameObject(Sample sample) throws NotSerializableException {
    golden().assertRoundTrip(sample);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  default void committedSampleStillDecodes(Sample sample) throws IOException {
    golden().assertCommittedDecodes(sample);
  }
}
