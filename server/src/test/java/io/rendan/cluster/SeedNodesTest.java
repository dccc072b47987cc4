package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SeedNodesTest {
  @Test
  void aCommaSeparatedListBecomesSeedAddresses() {
    assertEquals(
        List.of("pekko://rendan@node1:25520", "pekko://rendan@10.0.0.7:2552"),
        SeedNodes.parse(" pekko://rendan@node1:25520 ,pekko://rendan@10.0.0.7:2552,"));
    assertEquals(List.of(), SeedNodes.parse(""));
  }

  @Test
  void anAddressOfAnotherSystemOrWithoutPortIsRefused() {
    var wrongSystem = assertThrows(IllegalArgumentException.class, () -> SeedNodes.parse("pekko://other@node1:25520"));
    assertTrue(wrongSystem.getMessage().contains("RENDAN_SEED_NODES"), wrongSystem.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SeedNodes.parse("pekko://rendan@node1"));
    assertThrows(IllegalArgumentException.class, () -> SeedNodes.parse("node1:25520"));
  }
}
