package io.rendan.me;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rendan.me.MeEntity.CapabilitiesChanged;
import io.rendan.me.MeEntity.Kind;
import io.rendan.me.MeEntity.MeRegistered;
import io.rendan.me.MeEntity.OperatorAdded;
import io.rendan.me.MeEntity.OperatorRemoved;
import io.rendan.me.MeEntity.State;
import io.rendan.testkit.GoldenSampleTests;
import io.rendan.testkit.GoldenSamples;
import io.rendan.testkit.GoldenSamples.Sample;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import java.io.IOException;
import java.io.NotSerializableException;
import java.time.Instant;
import io.rendan.me.MeEntity.Membership;
import io.rendan.me.MeEntity.MembershipRecorded;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ME's stored form. Every journal row ever written holds a manifest and
 * bytes made by this serializer, so both are checked against samples committed
 * under {@code src/test/resources/serialization/}: a change to the serializer or
 * to me.proto that can no longer read them fails here.
 *
 * <p>The samples are a contract with old journals: never rewrite one. When a new
 * stored type (or a new shape of one worth pinning) is added, add its sample
 * below and write the missing file with
 *
 * <pre>
 * mvn -q -pl server -am test -Dtest=MeSerializerTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drendan.serialization.write-missing-samples=true
 * </pre>
 *
 * which writes only files that do not exist yet, then commit them. A normal
 * run only reads the samples and fails when one is missing.
 */
@Tag("unit")
class MeSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2025-03-01T10:15:30.123456789Z");
  private static final MeSerializer SERIALIZER = new MeSerializer();

  static final List<Sample> SAMPLES =
      List.of(
          new Sample(
              "me.registered.bin",
              "me.registered",
              new MeRegistered("me-1", "Bäckerei Süd", Kind.EXTERNAL_PARTNER, List.of("baking", "delivery"), "alice", AT)),
          new Sample(
              "me.capabilities-changed.bin",
              "me.capabilities-changed",
              new CapabilitiesChanged("me-1", List.of("baking", "welding"), "bob", AT)),
          new Sample("me.operator-added.bin", "me.operator-added", new OperatorAdded("me-1", "bob", "alice", AT)),
          new Sample("me.operator-removed.bin", "me.operator-removed", new OperatorRemoved("me-1", "alice", "bob", AT)),
          new Sample(
              "me.snapshot.bin",
              "me.snapshot",
              new State("me-1", "Bäckerei Süd", Kind.INTERNAL, List.of("baking", "welding"), List.of("alice", "bob"), AT, 42, Map.of())),
          new Sample(
              "me.membership-recorded.bin",
              "me.membership-recorded",
              new MembershipRecorded(
                  "me-1", new Membership("emc-1", "Community Laundry", Side.SOLUTION, "washers", false, true, 7), AT)),
          new Sample(
              "me.snapshot-with-memberships.bin",
              "me.snapshot",
              new State(
                  "me-1",
                  "Bäckerei Süd",
                  Kind.INTERNAL,
                  List.of("baking"),
                  List.of("alice"),
                  AT,
                  43,
                  Map.of(
                      "emc-1", new Membership("emc-1", "Community Laundry", Side.EXPERIENCE, "owner", true, true, 1),
                      "emc-2", new Membership("emc-2", "", null, "", false, false, 9)))),
          new Sample("me.snapshot-unregistered.bin", "me.snapshot", State.unregistered("me-2")),
          new Sample(
              "me.ledger-credited.bin",
              "me.ledger-credited",
              new MeEntity.LedgerCredited(
                  "me-1",
                  new MeEntity.Credit("emc-1", 12, "r-1", -300, "EUR", "laundry-cycle", AT.minusSeconds(60), 3_000, 2, false),
                  AT)),
          new Sample(
              "me.target-result-recorded.bin",
              "me.target-result-recorded",
              new MeEntity.TargetResultRecorded(
                  "me-1", new MeEntity.TargetOutcome("emc-1", 13, "2026-03", Metric.CYCLES, 800, 750, false, true), AT)),
          new Sample(
              "me.snapshot-with-balances.bin",
              "me.snapshot",
              new State(
                  "me-1",
                  "Bäckerei Süd",
                  Kind.INTERNAL,
                  List.of("baking"),
                  List.of("alice"),
                  AT,
                  44,
                  Map.of("emc-1", new Membership("emc-1", "Community Laundry", Side.SOLUTION, "washers", false, true, 13)),
                  Map.of("EUR", 1_234L, "USD", -5L),
                  3,
                  1)),
          new Sample(
              "me.help-recorded.bin",
              "me.help-recorded",
              new MeEntity.HelpRecorded(
                  "me-1", new MeEntity.HelpNote("emc-1", 14, "case-1", "p-1", MeEntity.HelpStep.REPAYMENT_PAID, -150, "EUR", AT.minusSeconds(3_600)), AT)),
          new Sample(
              "me.snapshot-with-help.bin",
              "me.snapshot",
              new State(
                  "me-1",
                  "Bäckerei Süd",
                  Kind.INTERNAL,
                  List.of("baking"),
                  List.of("alice"),
                  AT,
                  45,
                  Map.of("emc-1", new Membership("emc-1", "Community Laundry", io.rendan.vocabulary.Side.SOLUTION, "washers", false, true, 14)),
                  Map.of("EUR", 1_084L),
                  3,
                  1,
                  new MeEntity.HelpRecord(2, 1, 3, 2, 1, 1, 0, 1))));

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    // Spelled out rather than read from MeSerializer's constants: renaming one there must fail here.
    assertEquals("me.registered", MeSerializer.REGISTERED);
    assertEquals("me.capabilities-changed", MeSerializer.CAPABILITIES_CHANGED);
    assertEquals("me.operator-added", MeSerializer.OPERATOR_ADDED);
    assertEquals("me.operator-removed", MeSerializer.OPERATOR_REMOVED);
    assertEquals("me.membership-recorded", MeSerializer.MEMBERSHIP_RECORDED);
    assertEquals("me.snapshot", MeSerializer.SNAPSHOT);
    assertEquals("me.ledger-credited", MeSerializer.LEDGER_CREDITED);
    assertEquals("me.target-result-recorded", MeSerializer.TARGET_RESULT_RECORDED);
    assertEquals("me.help-recorded", MeSerializer.HELP_RECORDED);
    assertEquals(7101, SERIALIZER.identifier(), "the serializer id is stored with every row too");
  }

  @Test
  void unknownManifestIsNotSerializable() throws IOException {
    byte[] bytes = GoldenSamples.committed("me.registered.bin");

    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "me.renamed"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, MeRegistered.class.getName()));
  }

  @Test
  void corruptBytesAreNotSerializable() {
    // 0xFF is a field tag with the invalid wire type 7.
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[] {(byte) 0xFF}, "me.registered"));
  }

  @Test
  void somethingElseCannotBeSerialized() {
    assertThrows(IllegalArgumentException.class, () -> SERIALIZER.manifest("not an ME event"));
    assertThrows(IllegalArgumentException.class, () -> SERIALIZER.toBinary("not an ME event"));
  }
}
