package io.rendan.load.harness;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.Options;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class RateSpecTest {
  @Test
  void oneRateForAllOrOnePerScenario() {
    assertEquals(2000, Harness.rate("2000", "me-churn", 1));
    assertEquals(800, Harness.rate("health=5000,me-churn=800", "me-churn", 1));
    assertEquals(1, Harness.rate("health=5000", "me-churn", 1));
    assertEquals(300, Harness.rate("300,health=5000", "me-churn", 1));
    assertEquals(1, Harness.rate(null, "me-churn", 1));
    assertThrows(IllegalArgumentException.class, () -> Harness.rate("fast", "me-churn", 1));
  }

  @Test
  void durationsAndUnusedOptions() {
    Options o = Options.parse("run", "--duration", "2m", "--warmup=500ms", "--smoke", "--typo", "3");
    assertEquals(Duration.ofMinutes(2), o.getDuration("duration", null));
    assertEquals(Duration.ofMillis(500), o.getDuration("warmup", null));
    assertTrue(o.flag("smoke"));
    assertEquals(java.util.List.of("--typo"), o.unused());
    assertEquals(java.util.List.of("run"), o.positional());
    assertThrows(IllegalArgumentException.class, () -> Options.duration("x", "soon"));
  }
}
