package io.rendan.emc;

import static io.rendan.emc.EmcMembership.MAX_BPS;
import static io.rendan.emc.EmcMembership.OWNER_ROLE;

import io.rendan.emc.EmcAccounts.Accounts;
import io.rendan.emc.EmcAccounts.Standing;
import io.rendan.emc.EmcAccounts.Tally;
import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcEvents.ContractAmended;
import io.rendan.emc.EmcEvents.EmcDissolved;
import io.rendan.emc.EmcEvents.EmcStarted;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.InvitationDeclined;
import io.rendan.emc.EmcEvents.InvitationsExpired;
import io.rendan.emc.EmcEvents.MemberInvited;
import io.rendan.emc.EmcEvents.MemberJoined;
import io.rendan.emc.EmcEvents.MemberLeft;
import io.rendan.emc.EmcEvents.OwnershipTransferred;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.EmcEvents.PeriodValueReported;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcEvents.SeatReplaced;
import io.rendan.emc.EmcEvents.TermsProposed;
import io.rendan.emc.EmcMembership.Contract;
import io.rendan.emc.EmcMembership.FormerMember;
import io.rendan.emc.EmcMembership.Invitation;
import io.rendan.emc.EmcMembership.InvitationStatus;
import io.rendan.emc.EmcMembership.Member;
import io.rendan.emc.EmcMembership.OwnerSpell;
import io.rendan.emc.EmcMembership.Status;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.emc.EmcProtocol.Rejected;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Target;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The EMC; {@code name == null} until it is started. Events change it only through {@link #apply}. */
public record EmcState(
    String emcId,
    String name,
    String userGroup,
    String ownerMeId,
    Status status,
    Map<String, Member> members,
    Map<String, Invitation> invitations,
    Instant createdAt,
    long version,
    Accounts accounts,
    HelpCases.Cases help,
    Map<String, RemovalNotice.Scheduled> removals) {

  public EmcState {
    members = Collections.unmodifiableMap(new TreeMap<>(members));
    invitations = Collections.unmodifiableMap(new LinkedHashMap<>(invitations));
    accounts = accounts == null ? Accounts.EMPTY : accounts;
    help = help == null ? HelpCases.Cases.EMPTY : help;
    removals = removals == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(removals));
  }

  /** The same state under another version: the earlier pushes of several events stored at once. */
  EmcState atVersion(long v) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, v, accounts, help, removals);
  }

  /** The EMC not started yet, at version {@code version}. */
  static EmcState empty(String emcId, long version) {
    return new EmcState(emcId, null, null, null, null, Map.of(), Map.of(), null, version, Accounts.EMPTY, HelpCases.Cases.EMPTY, Map.of());
  }

  static EmcState empty(String emcId) {
    return empty(emcId, 0);
  }

  /** The same state with other members (for tests and samples: events change it only through {@link #apply}). */
  public EmcState withMembers(Map<String, Member> ms) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, ms, invitations, createdAt, version, accounts, help, removals);
  }

  public EmcState withInvitations(Map<String, Invitation> is) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, members, is, createdAt, version, accounts, help, removals);
  }

  public EmcState withAccounts(Accounts acc) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, version, acc, help, removals);
  }

  public EmcState withHelp(HelpCases.Cases cases) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, version, accounts, cases, removals);
  }

  public EmcState withRemovals(Map<String, RemovalNotice.Scheduled> scheduled) {
    return new EmcState(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, version, accounts, help, scheduled);
  }

  /** The ME that owned the EMC at {@code t}. */
  public String ownerAt(Instant t) {
    String owner = ownerMeId;
    for (OwnerSpell spell : accounts.owners()) {
      if (!spell.from().isAfter(t)) {
        owner = spell.meId();
      }
    }
    return owner;
  }

  /**
   * Who shares revenue earned at {@code t}: every member (present or gone) with
   * a contract in force then, by the version in force then, and the owner of
   * that moment with what they do not hold.
   */
  public List<RevenueSplit.Party> partiesAt(Instant t) {
    String owner = ownerAt(t);
    List<RevenueSplit.Party> parties = new ArrayList<>();
    for (Member m : members.values()) {
      if (!m.meId().equals(owner) && !m.joinedAt().isAfter(t)) {
        contractAt(m.history(), t).ifPresent(c -> parties.add(new RevenueSplit.Party(m.meId(), c.terms().shareBps(), c.version(), false, m.emcMember())));
      }
    }
    for (FormerMember f : accounts.formers()) {
      if (!f.meId().equals(owner) && !f.joinedAt().isAfter(t) && t.isBefore(f.leftAt())) {
        contractAt(f.history(), t).ifPresent(c -> parties.add(new RevenueSplit.Party(f.meId(), c.terms().shareBps(), c.version(), false, f.emcMember())));
      }
    }
    int held = parties.stream().mapToInt(RevenueSplit.Party::shareBps).sum();
    parties.add(new RevenueSplit.Party(owner, MAX_BPS - held, 0, true));
    return parties;
  }

  static Optional<Contract> contractAt(List<Contract> history, Instant t) {
    Contract found = null;
    for (Contract c : history) {
      if (!c.effectiveFrom().isAfter(t)) {
        found = c;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The first period that is not closed yet. */
  public YearMonth nextPeriodToClose() {
    return accounts.closedThrough() == null
        ? YearMonth.from(createdAt.atOffset(ZoneOffset.UTC))
        : YearMonth.parse(accounts.closedThrough()).plusMonths(1);
  }

  public boolean isClosed(YearMonth period) {
    return accounts.closedThrough() != null && !period.isAfter(YearMonth.parse(accounts.closedThrough()));
  }

  public Standing standing(String meId) {
    return accounts.standings().getOrDefault(meId, new Standing(0, false));
  }

  /**
   * Why the seat of {@code meId} may not be replaced (it holds no seat, or is
   * not at risk); empty when it may. The one statement of the rule, for
   * invitations, their acceptance and replacement calls.
   */
  public Optional<Rejected> seatNotReplaceable(String meId) {
    return seatNotReplaceable(meId, true);
  }

  /**
   * As {@link #seatNotReplaceable(String)}; {@code helpFirst} false when the
   * charter in force lets a seat be replaced without a failed help case.
   */
  public Optional<Rejected> seatNotReplaceable(String meId, boolean helpFirst) {
    Member seat = members.get(meId);
    if (seat == null || seat.owner()) {
      return Optional.of(new Rejected(EmcCodes.MEMBER_NOT_FOUND, meId + " is not a member with a seat"));
    }
    if (!standing(meId).atRisk()) {
      return Optional.of(new Rejected(EmcCodes.NOT_AT_RISK, meId + " is not at risk"));
    }
    return helpFirst ? HelpRules.replacementRefused(help, meId) : Optional.empty();
  }

  public boolean isStarted() {
    return name != null;
  }

  public boolean isDissolved() {
    return status == Status.DISSOLVED;
  }

  /** Basis points held by members other than the owner (and {@code except}). */
  public int sharesHeld(String except) {
    return members.values().stream().filter(m -> !m.meId().equals(except)).mapToInt(Member::shareBps).sum();
  }

  public int ownerShareBps() {
    return MAX_BPS - sharesHeld(null);
  }

  /** The earliest expiry among pending invitations, to arm the timer for. */
  Optional<Instant> nextExpiry() {
    return invitations.values().stream()
        .filter(i -> i.status() == InvitationStatus.PENDING)
        .map(Invitation::expiresAt)
        .min(Comparator.naturalOrder());
  }

  EmcState apply(Event event) {
    long next = version + 1;
    if (HelpCases.isHelpEvent(event)) {
      return new EmcState(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, next, accounts, HelpCaseChanges.apply(help, event), removals);
    }
    HelpCases.Cases cases = help;
    Map<String, Member> ms = new TreeMap<>(members);
    Map<String, Invitation> is = new LinkedHashMap<>(invitations);
    String newName = name;
    String newOwner = ownerMeId;
    Status newStatus = status;
    String newUserGroup = userGroup;
    Instant created = createdAt;
    Accounts acc = accounts;
    if (event instanceof EmcStarted e) {
      acc = new Accounts(e.currency(), List.of(new OwnerSpell(e.ownerMeId(), e.at())), List.of(), Map.of(), null, Map.of(), Map.of());
      newName = e.name();
      newUserGroup = e.userGroup();
      newOwner = e.ownerMeId();
      newStatus = Status.FORMING;
      created = e.at();
      ms.put(e.ownerMeId(), new Member(e.ownerMeId(), e.ownerSide(), OWNER_ROLE, true, List.of(), null, e.at()));
    } else if (event instanceof MemberInvited e) {
      is.put(
          e.invitationId(),
          new Invitation(
              e.invitationId(),
              e.meId(),
              e.side(),
              e.role(),
              e.terms(),
              InvitationStatus.PENDING,
              e.expiresAt(),
              e.at(),
              e.replacesMeId(),
              e.emcMember()));
    } else if (event instanceof MemberJoined e) {
      is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.ACCEPTED));
      ms.put(
          e.meId(),
          new Member(e.meId(), e.side(), e.role(), false, List.of(), null, e.at(), e.emcMember()).withContract(e.terms(), e.at(), e.charter()));
      // Active from the first moment both sides have a member; it stays active.
      if (newStatus == Status.FORMING && ms.values().stream().map(Member::side).distinct().count() == 2) {
        newStatus = Status.ACTIVE;
      }
    } else if (event instanceof InvitationDeclined e) {
      is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.DECLINED));
    } else if (event instanceof InvitationsExpired e) {
      e.invitationIds().forEach(id -> is.computeIfPresent(id, (k, i) -> i.withStatus(InvitationStatus.EXPIRED)));
    } else if (event instanceof MemberLeft e) {
      acc = leave(acc, ms.remove(e.meId()), e.at());
      cases = HelpCaseChanges.memberGone(cases, e.meId(), e.at());
    } else if (event instanceof TermsProposed e) {
      Member m = ms.get(e.meId());
      ms.put(e.meId(), new Member(m.meId(), m.side(), m.role(), m.owner(), m.history(), e.terms(), m.joinedAt(), m.emcMember()));
    } else if (event instanceof ContractAmended e) {
      ms.put(e.meId(), ms.get(e.meId()).withContract(e.terms(), e.at(), e.charter()));
    } else if (event instanceof EmcDissolved) {
      newStatus = Status.DISSOLVED;
      is.replaceAll((id, i) -> i.status() == InvitationStatus.PENDING ? i.withStatus(InvitationStatus.EXPIRED) : i);
    } else if (event instanceof OwnershipTransferred e) {
      Member from = ms.get(e.fromMeId());
      Member to = ms.get(e.toMeId());
      // The new owner's share returns to the remainder it now keeps; the old
      // owner stays on as a member with a contract of no share, to be amended.
      ms.put(e.toMeId(), new Member(to.meId(), to.side(), OWNER_ROLE, true, to.history(), null, to.joinedAt()));
      ms.put(
          e.fromMeId(),
          new Member(from.meId(), from.side(), "member", false, from.history(), null, from.joinedAt())
              .withContract(new Terms(0, new Target(Metric.REPORTED, 0), 0), e.at(), EmcMembership.CharterVersions.BEFORE));
      newOwner = e.toMeId();
      List<OwnerSpell> owners = new ArrayList<>(acc.owners());
      owners.add(new OwnerSpell(e.toMeId(), e.at()));
      acc = new Accounts(acc.currency(), owners, acc.formers(), acc.revenues(), acc.closedThrough(), acc.tallies(), acc.standings());
    } else if (event instanceof RevenueShared e) {
      acc = recordRevenue(acc, e, ms);
    } else if (event instanceof PeriodValueReported e) {
      Map<String, Tally> tallies = new TreeMap<>(acc.tallies());
      Tally t = tallies.getOrDefault(e.period(), Tally.EMPTY);
      Map<String, Long> reported = new TreeMap<>(t.reported());
      reported.put(e.meId(), e.value());
      tallies.put(e.period(), new Tally(t.revenue(), t.cycles(), reported));
      acc = new Accounts(acc.currency(), acc.owners(), acc.formers(), acc.revenues(), acc.closedThrough(), tallies, acc.standings());
    } else if (event instanceof PeriodClosed e) {
      Map<String, Tally> tallies = new TreeMap<>(acc.tallies());
      tallies.remove(e.period());
      Map<String, Standing> standings = new TreeMap<>(acc.standings());
      for (TargetResult r : e.results()) {
        standings.put(r.meId(), new Standing(r.missedInRow(), r.atRisk()));
      }
      acc = new Accounts(acc.currency(), acc.owners(), acc.formers(), acc.revenues(), e.period(), tallies, standings);
      cases = HelpCaseChanges.periodClosed(cases, e);
    } else if (event instanceof SeatReplaced e) {
      is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.ACCEPTED));
      acc = leave(acc, ms.remove(e.oldMeId()), e.at());
      cases = HelpCaseChanges.memberGone(cases, e.oldMeId(), e.at());
      ms.put(
          e.newMeId(),
          new Member(e.newMeId(), e.side(), e.role(), false, List.of(), null, e.at()).withContract(e.terms(), e.at(), e.charter()));
    } else if (!(event instanceof RemovalNotice.RemovalScheduled || event instanceof RemovalNotice.RemovalCancelled)) {
      throw new IllegalStateException("unknown event " + event.getClass());
    }
    return new EmcState(emcId, newName, newUserGroup, newOwner, newStatus, ms, is, created, next, acc, cases, RemovalNotice.apply(removals, event));
  }

  private static Accounts leave(Accounts acc, Member gone, Instant at) {
    if (gone == null) {
      return acc;
    }
    List<FormerMember> formers = new ArrayList<>(acc.formers());
    formers.add(new FormerMember(gone.meId(), gone.history(), gone.joinedAt(), at, gone.emcMember()));
    Map<String, Standing> standings = new TreeMap<>(acc.standings());
    standings.remove(gone.meId());
    return new Accounts(acc.currency(), acc.owners(), formers, acc.revenues(), acc.closedThrough(), acc.tallies(), standings);
  }

  /**
   * Keeps the revenue (for idempotency) and adds it to its period's tally. Ids
   * and seats given up that the window can no longer reach are dropped here,
   * by the event's own time, so that replay gives the same state.
   */
  private Accounts recordRevenue(Accounts acc, RevenueShared e, Map<String, Member> ms) {
    Map<String, RevenueShared> revenues = new LinkedHashMap<>(acc.revenues());
    revenues.put(e.revenueId(), e);
    Instant oldest = e.keepSince();
    revenues.values().removeIf(r -> r.earnedAt().isBefore(oldest));
    List<FormerMember> formers = new ArrayList<>(acc.formers());
    formers.removeIf(f -> f.leftAt().isBefore(oldest));
    String period = YearMonth.from(e.earnedAt().atOffset(ZoneOffset.UTC)).toString();
    Map<String, Tally> tallies = new TreeMap<>(acc.tallies());
    Tally t = tallies.getOrDefault(period, Tally.EMPTY);
    Map<String, Long> revenue = new TreeMap<>(t.revenue());
    Map<String, Long> cycles = new TreeMap<>(t.cycles());
    for (RevenueSplit.Part part : e.parts()) {
      if (!part.owner()) {
        revenue.merge(part.meId(), part.amountMinor(), Long::sum);
        if (e.units() != 0 && e.attributedMeId() == null) {
          cycles.merge(part.meId(), e.units(), Long::sum);
        }
      }
    }
    if (e.units() != 0 && e.attributedMeId() != null) {
      cycles.merge(e.attributedMeId(), e.units(), Long::sum);
    }
    tallies.put(period, new Tally(revenue, cycles, t.reported()));
    return new Accounts(acc.currency(), acc.owners(), formers, revenues, acc.closedThrough(), tallies, acc.standings());
  }
}
