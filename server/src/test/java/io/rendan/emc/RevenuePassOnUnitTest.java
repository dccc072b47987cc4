package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.http.Ids;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What revenue passed on stores and derives, without a node. */
@Tag("unit")
class RevenuePassOnUnitTest {
  private static final Instant AT = Instant.parse("2026-03-10T12:00:00Z");
  private static final EmcSerializer SERIALIZER = new EmcSerializer();

  private static RevenueShared passedOn() {
    return new RevenueShared(
        "middle", RevenuePassOn.passedOnId("outer", "r-1", "middle"), 3_000, "EUR", "emc outer revenue r-1", AT, 1, null, null,
        List.of(new RevenueSplit.Part("coop", 900, 3_000, 0, true), new RevenueSplit.Part("inner", 1_500, 5_000, 1, false, true),
            new RevenueSplit.Part("dave", 600, 2_000, 1, false)),
        AT.plusSeconds(1), AT.minusSeconds(90L * 86_400), new RevenueSplit.PassedFrom("outer", "r-1"));
  }

  @Test
  void whereRevenueCameFromAndWhichPartsGoToEmcSeatsAreStored() throws Exception {
    RevenueShared e = passedOn();
    Object back = SERIALIZER.fromBinary(SERIALIZER.toBinary(e), SERIALIZER.manifest(e));
    assertEquals(e, back);
    // Revenue recorded first (and every event stored before) has neither.
    RevenueShared first = new RevenueShared("outer", "r-1", 10, "EUR", "s", AT, 1, null, null,
        List.of(new RevenueSplit.Part("o", 10, 10_000, 0, true)), AT, AT);
    RevenueShared firstBack = (RevenueShared) SERIALIZER.fromBinary(SERIALIZER.toBinary(first), SERIALIZER.manifest(first));
    assertNull(firstBack.passedFrom());
    assertTrue(firstBack.parts().stream().noneMatch(RevenueSplit.Part::emcMember));
  }

  @Test
  void anEmcSeatsPartIsCreditedToNoMe() {
    var credited = MembershipDelivery.deliveries(passedOn(), 7).stream().map(MembershipDelivery.Delivery::meId).sorted().toList();
    assertEquals(List.of("coop", "dave"), credited);
  }

  @Test
  void thePassedOnIdIsAnIdOfTheSameRevenueAndSeatOnly() {
    String id = RevenuePassOn.passedOnId("outer", "r-1", "middle");
    assertEquals(id, RevenuePassOn.passedOnId("outer", "r-1", "middle"));
    assertEquals(id, Ids.check("revenueId", id));
    assertTrue(!id.contains(":"), "never a help entry's id");
    assertNotEquals(id, RevenuePassOn.passedOnId("outer", "r-2", "middle"));
    assertNotEquals(id, RevenuePassOn.passedOnId("other", "r-1", "middle"));
    assertNotEquals(id, RevenuePassOn.passedOnId("outer", "r-1", "inner"));
  }

  @Test
  void theSplitOfAPartIsTheSplitOfThatAmount() {
    // The remainder rule is the same at every level: the inner EMC splits its part as it would any revenue.
    List<RevenueSplit.Part> outer =
        RevenueSplit.split(10_001, List.of(new RevenueSplit.Party("middle", 3_333, 1, false, true), new RevenueSplit.Party("laundry", 6_667, 0, true)));
    RevenueSplit.Part seat = outer.stream().filter(RevenueSplit.Part::emcMember).findFirst().orElseThrow();
    assertEquals(3_333, seat.amountMinor());
    List<RevenueSplit.Part> inner =
        RevenueSplit.split(seat.amountMinor(), List.of(new RevenueSplit.Party("a", 5_000, 1, false), new RevenueSplit.Party("b", 5_000, 0, true)));
    assertEquals(List.of(1_667L, 1_666L), inner.stream().map(RevenueSplit.Part::amountMinor).toList());
  }
}
