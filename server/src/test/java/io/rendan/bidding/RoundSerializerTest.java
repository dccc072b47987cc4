package io.rendan.bidding;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.bidding.RoundEntity.*;
import io.rendan.bidding.RoundEvents.*;
import io.rendan.bidding.RoundProtocol.*;
import io.rendan.testkit.GoldenSampleTests;
import io.rendan.testkit.GoldenSamples;
import io.rendan.testkit.GoldenSamples.Sample;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.io.IOException;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The round's stored form, pinned by samples under
 * {@code src/test/resources/serialization/} (never rewrite one). New samples are
 * written once with {@code -Drendan.serialization.write-missing-samples=true}.
 */
@Tag("unit")
class RoundSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2026-05-04T18:00:00.123456789Z");
  private static final RoundSerializer SERIALIZER = new RoundSerializer();
  private static final Call CALL =
      new Call("iot-programming", Side.SOLUTION, "firmware", "IoT for the washers", 2_000, Mode.OPEN, 100, 300, true, new Target(Metric.CYCLES, 900), 3, null);
  private static final Bid BID = new Bid("b1", "me-a", 1_800, "OTA updates", AT, 640, 1, BidStatus.ACTIVE);
  private static final Bid OLD = new Bid("b0", "me-b", 1_950, "", AT, 500, 2, BidStatus.SUPERSEDED);

  private static RoundState state() {
    Map<String, Bid> bids = new LinkedHashMap<>();
    bids.put("b1", BID);
    bids.put("b0", OLD);
    return new RoundState("r-1", "emc-1", "laundry", CALL, Status.AWARDED, AT.plusSeconds(600), AT, bids, "b1", "award-r-1", 2, 9);
  }

  static final List<Sample> SAMPLES =
      List.of(
          new Sample("round.posted.bin", "round.posted", new RoundPosted("r-1", "emc-1", "laundry", CALL, AT.plusSeconds(600), AT)),
          new Sample(
              "round.posted-replacement.bin",
              "round.posted",
              new RoundPosted(
                  "r-4",
                  "emc-1",
                  "laundry",
                  new Call("washers", Side.SOLUTION, "washers", "", 4_000, Mode.SEALED, 0, 0, true, new Target(Metric.REVENUE, 100_000), 3, "me-slow"),
                  AT.plusSeconds(600),
                  AT)),
          new Sample(
              "round.posted-from-pain-point.bin",
              "round.posted",
              new RoundPosted(
                  "pp-5f0c4a3e-1d2b-3c4d-8e9f-001122334455",
                  "emc-1",
                  "laundry",
                  new Call("washers", Side.SOLUTION, "sock-safe drums", "", 1_500, Mode.SEALED, 0, 0, true, new Target(Metric.CYCLES, 800), 3, null, "socks"),
                  AT.plusSeconds(600),
                  AT)),
          new Sample("round.bids-placed.bin", "round.bids-placed", new BidsPlaced("r-1", List.of(BID, OLD), AT.plusSeconds(720), 2, 1_800, AT)),
          new Sample(
              "round.bids-placed-emc-bidder.bin",
              "round.bids-placed",
              new BidsPlaced("r-5", List.of(new Bid("b5", "emc-coop", 1_500, "the co-op's team", AT, 612, 1, BidStatus.ACTIVE, true)), AT, 1, null, AT)),
          new Sample("round.bids-placed-sealed.bin", "round.bids-placed", new BidsPlaced("r-2", List.of(BID), AT, 1, null, AT)),
          new Sample("round.bid-withdrawn.bin", "round.bid-withdrawn", new BidWithdrawn("r-1", "b1", 0, null, AT)),
          new Sample("round.closed.bin", "round.closed", new RoundClosed("r-1", null, null, AT)),
          new Sample("round.closed-awarded.bin", "round.closed", new RoundClosed("r-1", "b1", "award-r-1", AT)),
          new Sample("round.bid-awarded.bin", "round.bid-awarded", new BidAwarded("r-1", "b1", "award-r-1", AT)),
          new Sample("round.cancelled.bin", "round.cancelled", new RoundCancelled("r-1", AT)),
          new Sample("round.snapshot.bin", "round.snapshot", state()),
          new Sample("round.snapshot-empty.bin", "round.snapshot", RoundState.empty("r-3")));

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    assertEquals(
        List.of("round.posted", "round.bids-placed", "round.bid-withdrawn", "round.closed", "round.bid-awarded", "round.cancelled", "round.snapshot"),
        List.of(
            RoundSerializer.POSTED, RoundSerializer.BIDS_PLACED, RoundSerializer.BID_WITHDRAWN, RoundSerializer.CLOSED,
            RoundSerializer.BID_AWARDED, RoundSerializer.CANCELLED, RoundSerializer.SNAPSHOT));
    assertEquals(7103, SERIALIZER.identifier());
  }

  @Test
  void unknownManifestOrCorruptBytesAreNotSerializable() throws IOException {
    byte[] bytes = GoldenSamples.committed("round.posted.bin");
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "round.renamed"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[] {(byte) 0xFF}, "round.posted"));
  }
}
