package io.rendan.load.journal;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.appliance.ApplianceEntity;
import io.rendan.appliance.ApplianceEvents;
import io.rendan.appliance.ApplianceProtocol;
import io.rendan.appliance.ApplianceSerializer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The loader writes what the node writes: the server's own serializer reads its payloads and writes them back unchanged. */
@Tag("unit")
class JournalLoaderTest {
  private final ApplianceSerializer serializer = new ApplianceSerializer();

  @Test
  void theServersSerializerReadsALoadedEventAndWritesTheSameBytes() throws Exception {
    JournalLoader.Event event = new JournalLoader.Event("a-1", 7, 41, 3, Instant.parse("2026-12-07T10:00:00.123Z"));
    byte[] loaded = JournalLoader.payload(event);

    Object read = serializer.fromBinary(loaded, JournalLoader.TELEMETRY_RECORDED);

    ApplianceEvents.TelemetryRecorded recorded = assertInstanceOf(ApplianceEvents.TelemetryRecorded.class, read);
    assertEquals("a-1", recorded.applianceId());
    assertEquals(List.of(41L, 42L, 43L), recorded.readings().stream().map(ApplianceProtocol.Reading::seq).toList());
    assertTrue(recorded.meteredCycles().isEmpty(), "no metered cycle: the node would tag nothing");
    assertArrayEquals(loaded, serializer.toBinary(recorded));
    assertEquals(JournalLoader.TELEMETRY_RECORDED, serializer.manifest(recorded));
    assertEquals(JournalLoader.APPLIANCE_SERIALIZER_ID, serializer.identifier());
  }

  @Test
  void persistenceIdsAreTheEntitys() {
    assertEquals(ApplianceEntity.TYPE_KEY.name() + "|a-1", JournalLoader.persistenceId("a-1"));
  }

  @Test
  void aPlanContinuesEachAppliancesSequenceAndReadingSeqs() {
    Iterator<JournalLoader.Event> plan =
        JournalLoader.plan(List.of("a", "b", "c"), Map.of("a", 1L, "b", 5L), Map.of("b", 9L), Map.of("a", 2L, "b", 1L), 4);
    List<String> got = new ArrayList<>();
    plan.forEachRemaining(e -> got.add(e.applianceId() + "#" + e.sequenceNr() + "@" + e.firstReadingSeq()));
    assertEquals(List.of("a#2@1", "a#3@5", "b#6@10"), got);
  }
}
