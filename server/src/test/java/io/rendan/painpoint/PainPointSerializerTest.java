package io.rendan.painpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rendan.painpoint.PainPointEvents.PainPointPosted;
import io.rendan.painpoint.PainPointEvents.PainPointTriaged;
import io.rendan.painpoint.PainPointEvents.PainPointVoted;
import io.rendan.painpoint.PainPointProtocol.Action;
import io.rendan.painpoint.PainPointState.PainPoint;
import io.rendan.painpoint.PainPointState.Quota;
import io.rendan.painpoint.PainPointState.Status;
import io.rendan.painpoint.PainPointState;
import io.rendan.testkit.GoldenSamples.Sample;
import io.rendan.testkit.GoldenSampleTests;
import io.rendan.testkit.GoldenSamples;
import java.io.IOException;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pain-point board's stored form, checked against samples committed under
 * {@code src/test/resources/serialization/} (never rewrite one; write a missing
 * one with {@code -Drendan.serialization.write-missing-samples=true}, as
 * MeSerializerTest explains).
 */
@Tag("unit")
class PainPointSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2026-12-07T10:15:30.123456789Z");
  private static final PainPointSerializer SERIALIZER = new PainPointSerializer();

  static final List<Sample> SAMPLES =
      List.of(
          new Sample(
              "painpoint.posted.bin",
              "painpoint.posted",
              new PainPointPosted("emc-1", "pp-1", "Washer 3 eats socks", "washers", "washer-3", "student-7", false, "2026-12", AT)),
          new Sample(
              "painpoint.posted-by-system.bin",
              "painpoint.posted",
              new PainPointPosted("emc-1", "pp-2", "Dryer 2 faulted 3 times in 7 days", "appliance-faults", null, PainPointBoard.SYSTEM, true, "2026-12", AT)),
          new Sample(
              "painpoint.posted-by-fault-rule.bin",
              "painpoint.posted",
              new PainPointPosted(
                  "emc-1", "fault-0b7d2a8e-4c1f-3a5e-9d6b-112233445566", "Appliance dryer-2 reported fault E21 3 times within 24 hours",
                  PainPointBoard.FAULT_CATEGORY, "dryer-2", PainPointBoard.SYSTEM, true, "2026-12", AT, new PainPointEvents.FaultCount("E21", 41, 3))),
          new Sample(
              "painpoint.fault-repeated.bin",
              "painpoint.fault-repeated",
              new PainPointEvents.PainPointFaultRepeated("emc-1", "fault-0b7d2a8e-4c1f-3a5e-9d6b-112233445566", 57, AT)),
          new Sample(
              "painpoint.snapshot-fault.bin",
              "painpoint.snapshot",
              new PainPointState(
                  "emc-1",
                  2,
                  Map.of(
                      "fault-0b7d2a8e-4c1f-3a5e-9d6b-112233445566",
                      new PainPoint(
                          "fault-0b7d2a8e-4c1f-3a5e-9d6b-112233445566", "Appliance dryer-2 reported fault E21 3 times within 24 hours",
                          PainPointBoard.FAULT_CATEGORY, "dryer-2", PainPointBoard.SYSTEM, true, Status.OPEN, List.of(), null, null, null, null,
                          null, AT, AT.plusSeconds(60), List.of(), 1, new PainPointEvents.FaultCount("E21", 57, 4))),
                  Map.of())),
          new Sample("painpoint.voted.bin", "painpoint.voted", new PainPointVoted("emc-1", "pp-1", "student-8", "2026-12", AT)),
          new Sample(
              "painpoint.triaged-merge.bin",
              "painpoint.triaged",
              new PainPointTriaged("emc-1", "pp-3", Action.MERGE, "dorm-laundry", "pp-1", null, AT)),
          new Sample(
              "painpoint.triaged-decline.bin",
              "painpoint.triaged",
              new PainPointTriaged("emc-1", "pp-4", Action.DECLINE, "dorm-laundry", null, "out of our hands: the landlord's plumbing", AT)),
          new Sample(
              "painpoint.call-opened.bin",
              "painpoint.call-opened",
              new PainPointEvents.PainPointCallOpened("emc-1", "pp-1", "pp-5f0c4a3e-1d2b-3c4d-8e9f-001122334455", AT)),
          new Sample(
              "painpoint.resolved.bin",
              "painpoint.resolved",
              new PainPointEvents.PainPointResolved("emc-1", "pp-1", "pp-5f0c4a3e-1d2b-3c4d-8e9f-001122334455", "sock-savers", AT)),
          new Sample("painpoint.snapshot-empty.bin", "painpoint.snapshot", new PainPointState("emc-1", 0, Map.of(), Map.of())),
          new Sample(
              "painpoint.snapshot.bin",
              "painpoint.snapshot",
              new PainPointState(
                  "emc-1",
                  5,
                  Map.of(
                      "pp-1",
                      new PainPoint(
                          "pp-1", "Washer 3 eats socks", "washers", "washer-3", "student-7", false, Status.ACKNOWLEDGED,
                          List.of("student-8", "student-9"), null, null, "dorm-laundry", null, null, AT, AT.plusSeconds(60), List.of("pp-3"), 1),
                      "pp-3",
                      new PainPoint(
                          "pp-3", "Socks vanish", "washers", null, "student-9", false, Status.MERGED, List.of("student-9"), "pp-1", null,
                          "dorm-laundry", null, null, AT, AT.plusSeconds(60), List.of(), 3)),
                  Map.of("student-7", new Quota("2026-12", 1, 0), "student-9", new Quota("2026-12", 1, 2)))),
          new Sample(
              "painpoint.snapshot-resolved.bin",
              "painpoint.snapshot",
              new PainPointState(
                  "emc-1",
                  9,
                  Map.of(
                      "pp-1",
                      new PainPoint(
                          "pp-1", "Washer 3 eats socks", "washers", "washer-3", "student-7", false, Status.RESOLVED, List.of("student-8"),
                          null, null, "dorm-laundry", "pp-5f0c4a3e-1d2b-3c4d-8e9f-001122334455", "sock-savers", AT, AT.plusSeconds(600), List.of(), 1)),
                  Map.of())));

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    assertEquals("painpoint.posted", PainPointSerializer.POSTED);
    assertEquals("painpoint.voted", PainPointSerializer.VOTED);
    assertEquals("painpoint.triaged", PainPointSerializer.TRIAGED);
    assertEquals("painpoint.snapshot", PainPointSerializer.SNAPSHOT);
    assertEquals("painpoint.call-opened", PainPointSerializer.CALL_OPENED);
    assertEquals("painpoint.resolved", PainPointSerializer.RESOLVED);
    assertEquals("painpoint.fault-repeated", PainPointSerializer.FAULT_REPEATED);
    assertEquals(7119, SERIALIZER.identifier(), "the serializer id is stored with every row too");
  }

  @Test
  void unknownManifestsAndCorruptBytesAreNotSerializable() throws IOException {
    byte[] bytes = GoldenSamples.committed("painpoint.posted.bin");
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "painpoint.renamed"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[] {(byte) 0xFF}, "painpoint.posted"));
    assertThrows(IllegalArgumentException.class, () -> SERIALIZER.manifest("not a pain point event"));
  }
}
