package io.rendan.emc;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
import io.rendan.testkit.EntityTestKit;
import io.rendan.testkit.TestClock;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of the EMC entity, each checking the reply, the events, the
 * state, and the state after a restart; every message goes through the
 * production serializers and must come back equal.
 */
@Tag("unit")
class EmcEntityTest {
  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final String OWNER = "laundry";
  private static final String WASHERS = "washer-maker";
  private static final String MARKETING = "campus-marketing";
  private static final Terms THIRTY_PERCENT = new Terms(3_000, new Target(Metric.REVENUE, 500_000), 3);
  private static final Terms FIFTEEN_PERCENT = new Terms(1_500, new Target(Metric.CYCLES, 800), 3);
  private static final AtomicInteger IDS = new AtomicInteger();

  private static ActorTestKit testKit;

  private record Published(String event, EmcState emc) {}

  private final TestClock clock = new TestClock(START);
  private final List<Published> published = new CopyOnWriteArrayList<>();
  private String emcId;
  private EventSourcedBehaviorTestKit<Command, Event, EmcState> emc;

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newEntity() {
    newEntity(100);
  }

  private void newEntity(int snapshotEvery) {
    emcId = "emc-" + IDS.incrementAndGet();
    published.clear();
    emc =
        EmcEntityFixture.entity(
            testKit, emcId, EmcEntityFixture.settings(snapshotEvery, 5), (event, state) -> published.add(new Published(event, state)), clock);
  }

  private CommandResultWithReply<Command, Event, EmcState, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return emc.runCommand(command);
  }

  private EmcState started() {
    return EmcEntityFixture.start(emc);
  }

  private EmcState invite(String invitationId, String meId, Side side, Terms terms) {
    var result =
        run(r -> new InviteMember(invitationId, meId, side, "member", terms, Duration.ofDays(7), OWNER, r));
    return result.replyOfType(Accepted.class).emc();
  }

  private EmcState join(String invitationId, String meId, Side side, Terms terms) {
    invite(invitationId, meId, side, terms);
    return run(r -> new AcceptInvitation(invitationId, meId, r)).replyOfType(Accepted.class).emc();
  }

  private void assertRejected(CommandResultWithReply<Command, Event, EmcState, Reply> result, String code) {
    assertEquals(code, result.replyOfType(Rejected.class).code());
    assertTrue(result.hasNoEvents(), "a rejection stores nothing");
  }

  private void assertSurvivesRestart() {
    EmcState before = emc.getState();
    emc.restart();
    assertEquals(before, emc.getState());
  }

  @Test
  void anEmcHoldsASeatAsOneMemberButNeverInItselfAndNeverOwnsIt() {
    started();
    assertRejected(
        run(r -> new InviteMember("i-self", emcId, Side.SOLUTION, "co-op", THIRTY_PERCENT, Duration.ofDays(7), OWNER, null, true, true, r)),
        EmcCodes.CYCLE);
    run(r -> new InviteMember("i-coop", "emc-coop", Side.SOLUTION, "co-op", THIRTY_PERCENT, Duration.ofDays(7), OWNER, null, true, true, r))
        .replyOfType(Accepted.class);
    // The same invitation for an ME is another one.
    assertRejected(
        run(r -> new InviteMember("i-coop", "emc-coop", Side.SOLUTION, "co-op", THIRTY_PERCENT, Duration.ofDays(7), OWNER, r)),
        EmcCodes.INVITATION_CONFLICT);
    EmcState joined = run(r -> new AcceptInvitation("i-coop", "emc-coop", r)).replyOfType(Accepted.class).emc();
    assertTrue(joined.members().get("emc-coop").emcMember());
    assertEquals(3_000, joined.members().get("emc-coop").shareBps());
    assertRejected(run(r -> new TransferOwnership("emc-coop", OWNER, r)), EmcCodes.MEMBER_NOT_FOUND);
    // New terms proposed to the seat leave it an EMC's seat.
    Terms better = new Terms(3_500, new Target(Metric.REVENUE, 600_000), 2);
    EmcState proposed = run(r -> new ProposeTerms("emc-coop", better, OWNER, r)).replyOfType(Accepted.class).emc();
    assertTrue(proposed.members().get("emc-coop").emcMember(), "still an EMC's seat while terms are proposed");
    assertSurvivesRestart();
  }

  @Test
  void startingMakesTheCallerOwnerOnItsSideAndTheEmcForming() {
    var result = run(r -> new StartEmc("Community Laundry", "dorm students", OWNER, Side.EXPERIENCE, "alice", r));
    EmcState state = result.replyOfType(Accepted.class).emc();
    assertTrue(result.replyOfType(Accepted.class).created());
    assertEquals(
        new EmcStarted(emcId, "Community Laundry", "dorm students", OWNER, Side.EXPERIENCE, "alice", START, "EUR"),
        result.eventOfType(EmcStarted.class));
    assertEquals(Status.FORMING, state.status());
    Member owner = state.members().get(OWNER);
    assertTrue(owner.owner());
    assertEquals(Side.EXPERIENCE, owner.side());
    assertEquals(10_000, state.ownerShareBps());
    assertEquals(List.of("emc.started"), published.stream().map(Published::event).toList());
    assertSurvivesRestart();
  }

  @Test
  void startingAgainIsIdempotentAndADifferentStartConflicts() {
    EmcState first = started();
    var again = run(r -> new StartEmc("Community Laundry", "dorm students", OWNER, Side.EXPERIENCE, "alice", r));
    assertEquals(first, again.replyOfType(Accepted.class).emc());
    assertFalse(again.replyOfType(Accepted.class).created());
    assertTrue(again.hasNoEvents());
    assertRejected(run(r -> new StartEmc("Other", "x", "someone", Side.SOLUTION, "eve", r)), EmcCodes.ALREADY_EXISTS);
    assertSurvivesRestart();
  }

  @Test
  void anUnstartedEmcIsNotFound() {
    assertRejected(run(GetEmc::new), EmcCodes.NOT_FOUND);
    assertRejected(run(r -> new AcceptInvitation("i", WASHERS, r)), EmcCodes.NOT_FOUND);
  }

  @Test
  void onlyTheOwnerInvites() {
    started();
    assertRejected(
        run(r -> new InviteMember("i1", WASHERS, Side.SOLUTION, "washers", THIRTY_PERCENT, Duration.ofDays(1), WASHERS, r)),
        EmcCodes.NOT_OWNER);
    EmcState state = invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    Invitation invitation = state.invitations().get("i1");
    assertEquals(InvitationStatus.PENDING, invitation.status());
    assertEquals(START.plus(Duration.ofDays(7)), invitation.expiresAt());
    assertSurvivesRestart();
  }

  @Test
  void repeatingAnInvitationIsIdempotentAndChangingItConflicts() {
    started();
    EmcState state = invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    var again = run(r -> new InviteMember("i1", WASHERS, Side.SOLUTION, "member", THIRTY_PERCENT, Duration.ofDays(7), OWNER, r));
    assertEquals(state, again.replyOfType(Accepted.class).emc());
    assertTrue(again.hasNoEvents());
    assertRejected(
        run(r -> new InviteMember("i1", WASHERS, Side.SOLUTION, "member", FIFTEEN_PERCENT, Duration.ofDays(7), OWNER, r)),
        EmcCodes.INVITATION_CONFLICT);
    assertRejected(
        run(r -> new InviteMember("i2", WASHERS, Side.SOLUTION, "member", THIRTY_PERCENT, Duration.ofDays(7), OWNER, r)),
        EmcCodes.INVITATION_PENDING);
  }

  @Test
  void acceptingMakesTheInviteeAMemberWithItsContractAndBothSidesActivateTheEmc() {
    started();
    invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    var result = run(r -> new AcceptInvitation("i1", WASHERS, r));
    EmcState state = result.replyOfType(Accepted.class).emc();
    assertEquals(
        List.of(new MemberJoined(emcId, "Community Laundry", "i1", WASHERS, Side.SOLUTION, "member", THIRTY_PERCENT, START)),
        result.events());
    assertEquals(Status.ACTIVE, state.status());
    Member member = state.members().get(WASHERS);
    assertEquals(new Contract(1, THIRTY_PERCENT, START), member.contract().orElseThrow());
    assertEquals(7_000, state.ownerShareBps());
    assertEquals(InvitationStatus.ACCEPTED, state.invitations().get("i1").status());
    assertSurvivesRestart();
  }

  @Test
  void aMemberOnTheOwnersSideLeavesTheEmcForming() {
    started();
    EmcState state = join("i1", MARKETING, Side.EXPERIENCE, FIFTEEN_PERCENT);
    assertEquals(Status.FORMING, state.status());
    assertSurvivesRestart();
  }

  @Test
  void onlyTheInvitedMeAnswersAnInvitation() {
    started();
    invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    assertRejected(run(r -> new AcceptInvitation("i1", MARKETING, r)), EmcCodes.NOT_INVITEE);
    assertRejected(run(r -> new DeclineInvitation("i1", OWNER, r)), EmcCodes.NOT_INVITEE);
    assertRejected(run(r -> new AcceptInvitation("nope", WASHERS, r)), EmcCodes.INVITATION_NOT_FOUND);
  }

  @Test
  void aDeclinedInvitationCannotBeAccepted() {
    started();
    invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    var declined = run(r -> new DeclineInvitation("i1", WASHERS, r));
    assertEquals(new InvitationDeclined(emcId, "i1", START), declined.eventOfType(InvitationDeclined.class));
    assertRejected(run(r -> new AcceptInvitation("i1", WASHERS, r)), EmcCodes.INVITATION_DECLINED);
    assertFalse(emc.getState().members().containsKey(WASHERS));
    assertSurvivesRestart();
  }

  @Test
  void anInvitationAcceptedAfterItsExpiryIsRefusedAndMarkedExpired() {
    started();
    invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    clock.advance(Duration.ofDays(7));
    var late = run(r -> new AcceptInvitation("i1", WASHERS, r));
    assertEquals(EmcCodes.INVITATION_EXPIRED, late.replyOfType(Rejected.class).code());
    assertEquals(new InvitationsExpired(emcId, List.of("i1"), clock.now), late.eventOfType(InvitationsExpired.class));
    assertFalse(late.state().members().containsKey(WASHERS));
    assertSurvivesRestart();
    assertEquals(InvitationStatus.EXPIRED, emc.getState().invitations().get("i1").status());
  }

  @Test
  void theExpiryTimerClosesPendingInvitationsThatAreDue() {
    started();
    invite("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    invite("i2", MARKETING, Side.EXPERIENCE, FIFTEEN_PERCENT);
    var early = emc.runCommand(ExpireInvitations.INSTANCE);
    assertTrue(early.hasNoEvents(), "nothing is due yet");
    clock.advance(Duration.ofDays(8));
    var due = emc.runCommand(ExpireInvitations.INSTANCE);
    assertEquals(
        List.of(new InvitationsExpired(emcId, List.of("i1", "i2"), clock.now)), due.events(), "one change for all that are due");
    assertSurvivesRestart();
  }

  @Test
  void acceptanceThatWouldExceedTenThousandBpsIsRefusedWhateverTheOrder() {
    started();
    Terms sixty = new Terms(6_000, new Target(Metric.REVENUE, 1), 3);
    invite("a", "me-a", Side.SOLUTION, sixty);
    invite("b", "me-b", Side.SOLUTION, sixty);
    run(r -> new AcceptInvitation("b", "me-b", r)).replyOfType(Accepted.class);
    var second = run(r -> new AcceptInvitation("a", "me-a", r));
    assertRejected(second, EmcCodes.SHARE_EXCEEDED);
    assertEquals(6_000, emc.getState().sharesHeld(null));
    assertEquals(InvitationStatus.PENDING, emc.getState().invitations().get("a").status(), "it may be accepted later");
    assertSurvivesRestart();
  }

  @Test
  void anInvitationBeyondTheFreeShareIsRefusedAtOnce() {
    started();
    join("i1", WASHERS, Side.SOLUTION, new Terms(9_000, new Target(Metric.REVENUE, 1), 3));
    assertRejected(
        run(r -> new InviteMember("i2", MARKETING, Side.EXPERIENCE, "m", FIFTEEN_PERCENT, Duration.ofDays(1), OWNER, r)),
        EmcCodes.SHARE_EXCEEDED);
  }

  @Test
  void anEmcHasAtMostItsMaximumOfMembers() {
    started();
    Terms small = new Terms(100, new Target(Metric.REPORTED, 1), 3);
    for (int i = 0; i < 4; i++) {
      join("i" + i, "me-" + i, Side.SOLUTION, small);
    }
    assertRejected(
        run(r -> new InviteMember("i9", "me-9", Side.SOLUTION, "m", small, Duration.ofDays(1), OWNER, r)),
        EmcCodes.TOO_MANY_MEMBERS);
  }

  @Test
  void aMemberLeavesAndTheOwnerRemovesOthers() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    join("i2", MARKETING, Side.EXPERIENCE, FIFTEEN_PERCENT);
    assertRejected(run(r -> new RemoveMember(WASHERS, MARKETING, r)), EmcCodes.NOT_OWNER);
    var left = run(r -> new RemoveMember(MARKETING, MARKETING, r));
    assertEquals(new MemberLeft(emcId, MARKETING, false, START), left.eventOfType(MemberLeft.class));
    var removed = run(r -> new RemoveMember(WASHERS, OWNER, r));
    assertEquals(new MemberLeft(emcId, WASHERS, true, START), removed.eventOfType(MemberLeft.class));
    assertEquals(List.of(OWNER), List.copyOf(emc.getState().members().keySet()));
    assertEquals(10_000, emc.getState().ownerShareBps());
    assertRejected(run(r -> new RemoveMember(WASHERS, OWNER, r)), EmcCodes.MEMBER_NOT_FOUND);
    assertSurvivesRestart();
  }

  @Test
  void theOwnerCannotLeave() {
    started();
    assertRejected(run(r -> new RemoveMember(OWNER, OWNER, r)), EmcCodes.OWNER_CANNOT_LEAVE);
  }

  @Test
  void newTermsBecomeANewContractVersionOnceTheMemberAccepts() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    Terms better = new Terms(3_500, new Target(Metric.REVENUE, 600_000), 2);
    assertRejected(run(r -> new ProposeTerms(WASHERS, better, WASHERS, r)), EmcCodes.NOT_OWNER);
    assertRejected(run(r -> new AcceptTerms(WASHERS, WASHERS, r)), EmcCodes.NO_TERMS_PROPOSED);
    run(r -> new ProposeTerms(WASHERS, better, OWNER, r)).replyOfType(Accepted.class);
    assertEquals(1, emc.getState().members().get(WASHERS).contract().orElseThrow().version(), "not in force yet");
    assertRejected(run(r -> new AcceptTerms(WASHERS, OWNER, r)), EmcCodes.NOT_MEMBER);
    clock.advance(Duration.ofDays(3));
    var accepted = run(r -> new AcceptTerms(WASHERS, WASHERS, r));
    assertEquals(new ContractAmended(emcId, WASHERS, better, clock.now), accepted.eventOfType(ContractAmended.class));
    Member member = accepted.state().members().get(WASHERS);
    assertEquals(
        List.of(new Contract(1, THIRTY_PERCENT, START), new Contract(2, better, clock.now)), member.history());
    assertNull(member.proposedTerms());
    assertEquals(6_500, accepted.state().ownerShareBps());
    assertSurvivesRestart();
  }

  @Test
  void eachContractKeepsTheCharterVersionsItWasMadeUnder() {
    started();
    run(r -> new InviteMember("i1", WASHERS, Side.SOLUTION, "member", THIRTY_PERCENT, Duration.ofDays(7), OWNER, r)).replyOfType(Accepted.class);
    CharterVersions joinedUnder = new CharterVersions(1, 0);
    var joined = run(r -> new AcceptInvitation("i1", WASHERS, true, joinedUnder, r));
    assertEquals(joinedUnder, joined.eventOfType(MemberJoined.class).charter());
    Terms better = new Terms(3_500, new Target(Metric.REVENUE, 600_000), 2);
    run(r -> new ProposeTerms(WASHERS, better, OWNER, r)).replyOfType(Accepted.class);
    assertEquals(joinedUnder, emc.getState().members().get(WASHERS).contract().orElseThrow().charter(), "a proposal changes no contract");
    CharterVersions amendedUnder = new CharterVersions(2, 1);
    var accepted = run(r -> new AcceptTerms(WASHERS, WASHERS, amendedUnder, r));
    assertEquals(amendedUnder, accepted.eventOfType(ContractAmended.class).charter());
    assertEquals(
        List.of(joinedUnder, amendedUnder),
        accepted.state().members().get(WASHERS).history().stream().map(Contract::charter).toList(),
        "the first contract keeps the versions it was made under");
    assertSurvivesRestart();
    assertEquals(amendedUnder, emc.getState().members().get(WASHERS).contract().orElseThrow().charter());
  }

  @Test
  void newTermsThatWouldExceedTenThousandBpsAreRefused() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    join("i2", MARKETING, Side.EXPERIENCE, new Terms(6_000, new Target(Metric.REVENUE, 1), 3));
    assertRejected(
        run(r -> new ProposeTerms(WASHERS, new Terms(4_500, new Target(Metric.REVENUE, 1), 3), OWNER, r)),
        EmcCodes.SHARE_EXCEEDED);
  }

  @Test
  void dissolvingEndsEveryMembershipAndRefusesFurtherChanges() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    invite("i2", MARKETING, Side.EXPERIENCE, FIFTEEN_PERCENT);
    assertRejected(run(r -> new DissolveEmc(WASHERS, r)), EmcCodes.NOT_OWNER);
    var dissolved = run(r -> new DissolveEmc(OWNER, r));
    assertEquals(new EmcDissolved(emcId, List.of(OWNER, WASHERS), START), dissolved.eventOfType(EmcDissolved.class));
    assertEquals(Status.DISSOLVED, dissolved.state().status());
    assertEquals(InvitationStatus.EXPIRED, dissolved.state().invitations().get("i2").status());
    assertRejected(run(r -> new AcceptInvitation("i2", MARKETING, r)), EmcCodes.DISSOLVED);
    assertRejected(run(r -> new RemoveMember(WASHERS, WASHERS, r)), EmcCodes.DISSOLVED);
    var again = run(r -> new DissolveEmc(OWNER, r));
    assertTrue(again.hasNoEvents());
    assertSurvivesRestart();
  }

  @Test
  void ownershipMovesToAMemberAndTheOldOwnerStaysWithoutShare() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    assertRejected(run(r -> new TransferOwnership(MARKETING, OWNER, r)), EmcCodes.MEMBER_NOT_FOUND);
    var moved = run(r -> new TransferOwnership(WASHERS, OWNER, r));
    EmcState state = moved.replyOfType(Accepted.class).emc();
    assertEquals(WASHERS, state.ownerMeId());
    assertTrue(state.members().get(WASHERS).owner());
    assertFalse(state.members().get(OWNER).owner());
    assertEquals(0, state.members().get(OWNER).shareBps());
    assertEquals(10_000, state.ownerShareBps());
    var oldOwnerLeaves = run(r -> new RemoveMember(OWNER, OWNER, r));
    assertEquals(new MemberLeft(emcId, OWNER, false, START), oldOwnerLeaves.eventOfType(MemberLeft.class));
    assertSurvivesRestart();
  }

  @Test
  void everyStoredChangeIsPublishedWithItsVersion() {
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    assertRejected(run(r -> new RemoveMember(OWNER, OWNER, r)), EmcCodes.OWNER_CANNOT_LEAVE);
    assertEquals(
        List.of("emc.started", "emc.member-invited", "emc.member-joined"),
        published.stream().map(Published::event).toList());
    // one change, one version: a subscriber sees seq grow by one per push
    assertEquals(List.of(1L, 2L, 3L), published.stream().map(p -> p.emc().version()).toList());
  }

  @Test
  void snapshotsAndEventsRecoverTheSameState() {
    newEntity(2);
    started();
    join("i1", WASHERS, Side.SOLUTION, THIRTY_PERCENT);
    join("i2", MARKETING, Side.EXPERIENCE, FIFTEEN_PERCENT);
    run(r -> new ProposeTerms(WASHERS, FIFTEEN_PERCENT, OWNER, r));
    run(r -> new DeclineInvitation("nope", MARKETING, r));
    assertSurvivesRestart();
  }

  @Test
  void eventsAreTaggedForTheMembershipDelivery() {
    String tag = EmcEntity.tag(emcId, 4);
    assertTrue(tag.matches("emc-[0-3]"));
    assertEquals(tag, EmcEntity.tag(emcId, 4), "stable for an id");
  }
}
