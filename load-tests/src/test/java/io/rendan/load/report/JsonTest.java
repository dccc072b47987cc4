package io.rendan.load.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class JsonTest {
  record Inner(String name, double value) {
    public double twice() {
      return value * 2;
    }
  }

  record Outer(List<Inner> items, Map<String, Long> counts, List<double[]> points, Double missing) {}

  @Test
  void writesComponentsDerivedFiguresAndEscapes() {
    String json =
        Json.write(
            new Outer(List.of(new Inner("a\"b\n", 1.5)), Map.of("x", 3L), List.of(new double[] {1, 0.25}), null));
    String flat = json.replaceAll("\\s+", "");
    assertEquals(
        "{\"items\":[{\"name\":\"a\\\"b\\n\",\"value\":1.5,\"twice\":3}],\"counts\":{\"x\":3},\"points\":[[1,0.25]],\"missing\":null}",
        flat);
  }

  @Test
  void roundsToSixSignificantDigitsAndWritesNoNaN() {
    assertEquals("[1234.57,null]", Json.write(List.of(1234.5678, Double.NaN)).replaceAll("\\s+", ""));
  }
}
