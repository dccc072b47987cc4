package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
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
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The EMC's stored form, pinned by samples committed under
 * {@code src/test/resources/serialization/} (never rewrite one). A new stored
 * type gets a sample below, written once with
 *
 * <pre>
 * mvn -q -pl server -am test -Dtest=EmcSerializerTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drendan.serialization.write-missing-samples=true
 * </pre>
 */
@Tag("unit")
class EmcSerializerTest implements GoldenSampleTests {
  private static final Instant AT = Instant.parse("2026-03-01T09:00:00.123456789Z");
  private static final EmcSerializer SERIALIZER = new EmcSerializer();
  private static final Terms TERMS = new Terms(3_000, new Target(Metric.REVENUE, 500_000), 3);

  private static EmcState fullState() {
    Map<String, Member> members = new TreeMap<>();
    members.put("laundry", new Member("laundry", Side.EXPERIENCE, "owner", true, List.of(), null, AT));
    members.put(
        "washers",
        new Member(
            "washers",
            Side.SOLUTION,
            "washer fleet",
            false,
            List.of(new Contract(1, TERMS, AT), new Contract(2, new Terms(3_500, new Target(Metric.CYCLES, 900), 2), AT.plusSeconds(60))),
            new Terms(4_000, new Target(Metric.UPTIME, 9_900), 4),
            AT));
    Map<String, Invitation> invitations = new LinkedHashMap<>();
    invitations.put("i1", new Invitation("i1", "washers", Side.SOLUTION, "washer fleet", TERMS, InvitationStatus.ACCEPTED, AT.plusSeconds(3600), AT));
    invitations.put("i2", new Invitation("i2", "marketing", Side.EXPERIENCE, "campus", TERMS, InvitationStatus.PENDING, AT.plusSeconds(7200), AT));
    return new EmcState(
        "emc-1", "Community Laundry", "dorm students", "laundry", Status.ACTIVE, members, invitations, AT, 12, Accounts.EMPTY, HelpCases.Cases.EMPTY, Map.of());
  }

  static final List<Sample> SAMPLES =
      List.of(
          new Sample("emc.started.bin", "emc.started", new EmcStarted("emc-1", "Community Laundry", "dorm students", "laundry", Side.EXPERIENCE, "alice", AT)),
          new Sample("emc.member-invited.bin", "emc.member-invited", new MemberInvited("emc-1", "i1", "washers", Side.SOLUTION, "washer fleet", TERMS, AT.plusSeconds(3600), AT)),
          new Sample("emc.member-joined.bin", "emc.member-joined", new MemberJoined("emc-1", "Community Laundry", "i1", "washers", Side.SOLUTION, "washer fleet", TERMS, AT)),
          new Sample("emc.invitation-declined.bin", "emc.invitation-declined", new InvitationDeclined("emc-1", "i2", AT)),
          new Sample("emc.invitations-expired.bin", "emc.invitations-expired", new InvitationsExpired("emc-1", List.of("i2", "i3"), AT)),
          new Sample("emc.member-left.bin", "emc.member-left", new MemberLeft("emc-1", "washers", true, AT)),
          new Sample("emc.terms-proposed.bin", "emc.terms-proposed", new TermsProposed("emc-1", "washers", TERMS, AT)),
          new Sample("emc.contract-amended.bin", "emc.contract-amended", new ContractAmended("emc-1", "washers", TERMS, AT)),
          new Sample("emc.dissolved.bin", "emc.dissolved", new EmcDissolved("emc-1", List.of("laundry", "washers"), AT)),
          new Sample("emc.ownership-transferred.bin", "emc.ownership-transferred", new OwnershipTransferred("emc-1", "Community Laundry", "laundry", Side.EXPERIENCE, "washers", Side.SOLUTION, "owner", AT)),
          new Sample("emc.snapshot.bin", "emc.snapshot", fullState()),
          new Sample("emc.snapshot-empty.bin", "emc.snapshot", EmcState.empty("emc-2")),
          new Sample("emc.started-eur.bin", "emc.started", new EmcStarted("emc-1", "Community Laundry", "dorm students", "laundry", Side.EXPERIENCE, "alice", AT, "EUR")),
          new Sample("emc.member-invited-replacing.bin", "emc.member-invited", new MemberInvited("emc-1", "i9", "dryers", Side.SOLUTION, "dryer fleet", TERMS, AT.plusSeconds(3600), AT, "washers")),
          new Sample("emc.revenue-shared.bin", "emc.revenue-shared", revenue()),
          new Sample("emc.period-value-reported.bin", "emc.period-value-reported", new PeriodValueReported("emc-1", "2026-03", "washers", 9_900, AT)),
          new Sample("emc.period-closed.bin", "emc.period-closed", new PeriodClosed("emc-1", "2026-03", List.of(new TargetResult("washers", 2, Metric.REVENUE, 500_000, 300, false, 3, true)), AT)),
          new Sample("emc.seat-replaced.bin", "emc.seat-replaced", new SeatReplaced("emc-1", "Community Laundry", "i9", "washers", "dryers", Side.SOLUTION, "dryer fleet", TERMS, AT)),
          new Sample("emc.snapshot-with-accounts.bin", "emc.snapshot", stateWithAccounts()),
          new Sample("emc.contract-amended-help-periods.bin", "emc.contract-amended", new ContractAmended("emc-1", "washers", new Terms(3_000, new Target(Metric.REVENUE, 500_000), 3, 2), AT)),
          new Sample("emc.help-case-opened.bin", "emc.help-case-opened", new HelpCases.HelpCaseOpened("emc-1", "case-1", "washers", 2, new HelpCases.Shortfall("2026-03", Metric.REVENUE, 500_000, 300), AT)),
          new Sample("emc.help-pledged.bin", "emc.help-pledged", new HelpCases.HelpPledged("emc-1", "case-1", "p-1", "dryers", "washers", HelpCases.Kind.ADVANCE, "two months of rent", 50_000, 5_000, AT)),
          new Sample("emc.help-pledge-answered.bin", "emc.help-pledge-answered", new HelpCases.HelpPledgeAnswered("emc-1", "case-1", "p-1", "dryers", "washers", true, AT)),
          new Sample("emc.help-delivered.bin", "emc.help-delivered", new HelpCases.HelpDelivered("emc-1", "case-1", "p-1", "dryers", "washers", HelpCases.Kind.ADVANCE, 50_000, "EUR", AT)),
          new Sample("emc.advance-repaid.bin", "emc.advance-repaid", new HelpCases.AdvanceRepaid("emc-1", "case-1", "p-1", "dryers", "washers", "r-7", 150, "EUR", AT, AT.minusSeconds(3_600))),
          new Sample("emc.help-case-closed.bin", "emc.help-case-closed", new HelpCases.HelpCaseClosed("emc-1", "case-1", "washers", HelpCases.CaseStatus.RECOVERED, List.of("dryers"), AT)),
          new Sample("emc.leave-agreed.bin", "emc.leave-agreed", new HelpCases.LeaveAgreed("emc-1", "case-2", "washers", AT)),
          new Sample("emc.snapshot-with-help.bin", "emc.snapshot", stateWithHelp()),
          new Sample("emc.member-invited-emc.bin", "emc.member-invited", new MemberInvited("emc-1", "i5", "emc-9", Side.SOLUTION, "laundry co-op", TERMS, AT.plusSeconds(3600), AT, null, true)),
          new Sample("emc.member-joined-emc.bin", "emc.member-joined", new MemberJoined("emc-1", "Community Laundry", "i5", "emc-9", Side.SOLUTION, "laundry co-op", TERMS, AT, true)),
          new Sample("emc.snapshot-with-emc-seat.bin", "emc.snapshot", stateWithEmcSeat()),
          new Sample("emc.removal-scheduled.bin", "emc.removal-scheduled", new RemovalNotice.RemovalScheduled("emc-1", removal())),
          new Sample("emc.removal-cancelled.bin", "emc.removal-cancelled", new RemovalNotice.RemovalCancelled("emc-1", "washers", "laundry", AT)),
          new Sample("emc.snapshot-with-removals.bin", "emc.snapshot", stateWithRemovals()),
          new Sample("emc.member-joined-charter.bin", "emc.member-joined", new MemberJoined("emc-1", "Community Laundry", "i1", "washers", Side.SOLUTION, "washer fleet", TERMS, AT, false, new CharterVersions(3, 1))),
          new Sample("emc.contract-amended-charter.bin", "emc.contract-amended", new ContractAmended("emc-1", "washers", TERMS, AT, new CharterVersions(4, 2))),
          new Sample("emc.seat-replaced-charter.bin", "emc.seat-replaced", new SeatReplaced("emc-1", "Community Laundry", "i9", "washers", "dryers", Side.SOLUTION, "dryer fleet", TERMS, AT, new CharterVersions(5, 0))),
          new Sample("emc.snapshot-with-charter-versions.bin", "emc.snapshot", stateWithCharterVersions()));

  /** Contracts made under charter versions; the first before charters. */
  private static EmcState stateWithCharterVersions() {
    EmcState s = fullState();
    Map<String, Member> members = new LinkedHashMap<>(s.members());
    members.put(
        "washers",
        new Member(
            "washers",
            Side.SOLUTION,
            "washer fleet",
            false,
            List.of(new Contract(1, TERMS, AT), new Contract(2, TERMS, AT.plusSeconds(60), new CharterVersions(2, 1))),
            null,
            AT));
    return s.withMembers(members);
  }

  /** A seat held by another EMC, and its invitation. */
  private static EmcState stateWithEmcSeat() {
    EmcState s = fullState();
    Map<String, Member> members = new LinkedHashMap<>(s.members());
    members.put("emc-9", new Member("emc-9", Side.SOLUTION, "laundry co-op", false, List.of(new Contract(1, TERMS, AT)), null, AT, true));
    Map<String, Invitation> invitations = new LinkedHashMap<>(s.invitations());
    invitations.put("i5", new Invitation("i5", "emc-9", Side.SOLUTION, "laundry co-op", TERMS, InvitationStatus.ACCEPTED, AT.plusSeconds(3600), AT, null, true));
    return s.withMembers(members).withInvitations(invitations);
  }

  private static RemovalNotice.Scheduled removal() {
    return new RemovalNotice.Scheduled("washers", "laundry", AT.plusSeconds(2_592_000), 3, 1, AT);
  }

  private static EmcState stateWithRemovals() {
    EmcState s = stateWithHelp();
    return s.withRemovals(Map.of("washers", removal()));
  }

  private static EmcState stateWithHelp() {
    EmcState s = stateWithAccounts();
    Map<String, HelpCases.Pledge> pledges = new LinkedHashMap<>();
    pledges.put("p-1", new HelpCases.Pledge("p-1", "dryers", HelpCases.Kind.ADVANCE, "rent", 50_000, 0, HelpCases.PledgeStatus.DELIVERED, 150, AT));
    pledges.put("p-2", new HelpCases.Pledge("p-2", "laundry", HelpCases.Kind.INTRODUCTION, "to the dorm council", 0, 0, HelpCases.PledgeStatus.PLEDGED, 0, AT));
    Map<String, HelpCases.HelpCase> cases = new LinkedHashMap<>();
    cases.put("case-1", new HelpCases.HelpCase("case-1", "washers", 1, HelpCases.CaseStatus.FAILED, false, List.of(new HelpCases.Shortfall("2026-01", Metric.REVENUE, 500_000, 0)), Map.of(), AT, AT.plusSeconds(60)));
    cases.put("case-2", new HelpCases.HelpCase("case-2", "washers", 2, HelpCases.CaseStatus.OPEN, true, List.of(new HelpCases.Shortfall("2026-02", Metric.REVENUE, 500_000, 300)), pledges, AT, null));
    return s.withHelp(new HelpCases.Cases(cases, 2));
  }

  private static RevenueShared revenue() {
    return new RevenueShared(
        "emc-1", "r-1", 1_001, "EUR", "laundry-cycle", AT, 1, "washers", null,
        List.of(new RevenueSplit.Part("laundry", 701, 7_000, 0, true), new RevenueSplit.Part("washers", 300, 3_000, 1, false)),
        AT.plusSeconds(1), AT.minusSeconds(90L * 86_400));
  }

  private static EmcState stateWithAccounts() {
    EmcState s = fullState();
    Map<String, RevenueShared> revenues = new LinkedHashMap<>();
    revenues.put("r-1", revenue());
    Accounts accounts =
        new Accounts(
            "EUR",
            List.of(new OwnerSpell("laundry", AT)),
            List.of(new FormerMember("dryers", List.of(new Contract(1, TERMS, AT)), AT, AT.plusSeconds(60))),
            revenues,
            "2026-02",
            Map.of("2026-03", new Tally(Map.of("washers", 300L), Map.of("washers", 1L), Map.of("washers", 9_900L))),
            Map.of("washers", new Standing(2, false)));
    return s.withAccounts(accounts);
  }

  private static final GoldenSamples GOLDEN = new GoldenSamples(SERIALIZER, SAMPLES);

  @Override
  public GoldenSamples golden() {
    return GOLDEN;
  }

  @Test
  void manifestsNeverChange() {
    assertEquals(
        List.of(
            "emc.started", "emc.member-invited", "emc.member-joined", "emc.invitation-declined", "emc.invitations-expired",
            "emc.member-left", "emc.terms-proposed", "emc.contract-amended", "emc.dissolved", "emc.ownership-transferred",
            "emc.snapshot", "emc.revenue-shared", "emc.period-value-reported", "emc.period-closed", "emc.seat-replaced",
            "emc.help-case-opened", "emc.help-pledged", "emc.help-pledge-answered", "emc.help-delivered", "emc.advance-repaid",
            "emc.help-case-closed", "emc.leave-agreed", "emc.removal-scheduled", "emc.removal-cancelled"),
        List.of(
            EmcSerializer.STARTED, EmcSerializer.MEMBER_INVITED, EmcSerializer.MEMBER_JOINED, EmcSerializer.INVITATION_DECLINED,
            EmcSerializer.INVITATIONS_EXPIRED, EmcSerializer.MEMBER_LEFT, EmcSerializer.TERMS_PROPOSED,
            EmcSerializer.CONTRACT_AMENDED, EmcSerializer.DISSOLVED, EmcSerializer.OWNERSHIP_TRANSFERRED, EmcSerializer.SNAPSHOT,
            EmcSerializer.REVENUE_SHARED, EmcSerializer.PERIOD_VALUE_REPORTED, EmcSerializer.PERIOD_CLOSED, EmcSerializer.SEAT_REPLACED,
            HelpSerialization.CASE_OPENED, HelpSerialization.PLEDGED, HelpSerialization.PLEDGE_ANSWERED, HelpSerialization.DELIVERED,
            HelpSerialization.ADVANCE_REPAID, HelpSerialization.CASE_CLOSED, HelpSerialization.LEAVE_AGREED,
            RemovalNotice.SCHEDULED, RemovalNotice.CANCELLED));
    assertEquals(7102, SERIALIZER.identifier());
  }

  @Test
  void unknownManifestOrCorruptBytesAreNotSerializable() throws IOException {
    byte[] bytes = GoldenSamples.committed("emc.started.bin");
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(bytes, "emc.renamed"));
    assertThrows(NotSerializableException.class, () -> SERIALIZER.fromBinary(new byte[] {(byte) 0xFF}, "emc.started"));
  }
}
