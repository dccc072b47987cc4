package io.rendan.loadtest.device;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.load.harness.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device simulator's provisioning against a real node (from the server's
 * jar, on H2, dev mode): many appliances provisioned concurrently, each saved
 * once with its own secret, and the saved file runs as a fleet.
 */
@Tag("node")
class DeviceSimulatorTest {
  @TempDir Path dir;

  @Test
  void provisionsInParallelAndSavesEveryApplianceOnce() throws Exception {
    Path jar = Path.of(System.getProperty("rendan.server.jar", "../server/target/rendan-server.jar"));
    try (NodeProcess node =
        NodeProcess.start(
            jar, Map.of("RENDAN_DATA_DIR", dir.resolve("data").toString()), List.of(), dir.resolve("node.log"), Duration.ofMinutes(2))) {
      Path saved = dir.resolve("devices.tsv");
      DeviceSimulator.main(
          new String[] {
            "--url", node.uri().toString(), "--provision", "60", "--parallel", "8", "--type", "MIXED", "--provision-only", "--save", saved.toString()
          });
      List<DeviceFleet.Device> devices = DeviceSimulator.read(saved);
      assertEquals(60, devices.size());
      Set<String> ids = new HashSet<>();
      Set<String> secrets = new HashSet<>();
      for (DeviceFleet.Device d : devices) {
        assertTrue(ids.add(d.applianceId()), "saved twice: " + d.applianceId());
        assertTrue(secrets.add(d.secret()), "a secret given twice");
      }
      assertEquals(12, devices.stream().filter(d -> d.kind() == DeviceFleet.Kind.FRIDGE).count(), "every fifth a fridge");
      assertTrue(Files.readString(saved).lines().allMatch(l -> l.isBlank() || l.startsWith("#") || l.split("\t").length == 3));
    }
  }
}
