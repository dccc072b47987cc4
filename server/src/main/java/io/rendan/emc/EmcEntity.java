package io.rendan.emc;

import io.rendan.BusinessClock;
import io.rendan.CborSerializable;
import io.rendan.vocabulary.CommonCodes;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Clock;
import java.time.Duration;
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
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * An ecosystem micro-community: an alliance of MEs around one user group, with
 * an owner ME, members on the experience or solution side, their contracts
 * (versioned: revenue is split by the version in force when it was earned) and
 * invitations. Commands name the ME the caller acts for ({@code actingMeId});
 * {@link EmcApi} has checked that the caller operates it, this entity checks
 * what that ME may do here.
 *
 * <p>Every event is tagged with one of {@code tagSlices} tags so that the
 * membership delivery (and later read models) can follow the journal.
 */
public final class EmcEntity
    extends EventSourcedBehaviorWithEnforcedReplies<EmcEntity.Command, EmcEntity.Event, EmcEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Emc");
  public static final int MAX_BPS = 10_000;
  public static final String OWNER_ROLE = "owner";

  public enum Status {
    FORMING,
    ACTIVE,
    DISSOLVED
  }

  public enum InvitationStatus {
    PENDING,
    ACCEPTED,
    DECLINED,
    EXPIRED
  }

  /** {@code helpPeriods}: closed periods a help case of the member stays open; 0 means one. */
  public record Terms(int shareBps, Target target, int missedPeriodLimit, int helpPeriods) {
    public Terms(int shareBps, Target target, int missedPeriodLimit) {
      this(shareBps, target, missedPeriodLimit, 0);
    }
  }

  public record Contract(int version, Terms terms, Instant effectiveFrom) {}

  /** A seat in the EMC; the owner's has no contract (it keeps the rest). */
  public record Member(
      String meId, Side side, String role, boolean owner, List<Contract> history, Terms proposedTerms, Instant joinedAt) {
    public Member {
      history = List.copyOf(history);
    }

    public Optional<Contract> contract() {
      return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
    }

    public int shareBps() {
      return owner ? 0 : contract().map(c -> c.terms().shareBps()).orElse(0);
    }

    Member withContract(Terms terms, Instant from) {
      List<Contract> next = new ArrayList<>(history);
      next.add(new Contract(history.size() + 1, terms, from));
      return new Member(meId, side, role, owner, next, null, joinedAt);
    }
  }

  /** A seat that was given up: kept so that revenue earned while it was held is split by it. */
  public record FormerMember(String meId, List<Contract> history, Instant joinedAt, Instant leftAt) {
    public FormerMember {
      history = List.copyOf(history);
    }
  }

  /** Who owned the EMC from when: the owner of an instant keeps the rest of revenue earned then. */
  public record OwnerSpell(String meId, Instant from) {}

  /**
   * Revenue as recorded, with its split; kept for the idempotency window.
   * {@code keepSince}: the start of that window when it was recorded (revenue ids
   * earned before it are forgotten then, and revenue earned before it refused).
   */
  public record RevenueShared(
      String emcId,
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String attributedMeId,
      String refundOf,
      List<RevenueSplit.Part> parts,
      Instant at,
      Instant keepSince)
      implements Event {
    public RevenueShared {
      parts = List.copyOf(parts);
    }

    /** Whether a repeated request asks for exactly this (an absent earnedAt matches any). */
    boolean sameAs(RecordRevenue c) {
      return amountMinor == c.amountMinor()
          && currency.equals(c.currency())
          && source.equals(c.source())
          && (c.earnedAt() == null || earnedAt.equals(c.earnedAt()))
          && units == c.units()
          && java.util.Objects.equals(attributedMeId, c.attributedMeId())
          && java.util.Objects.equals(refundOf, c.refundOf());
    }
  }

  /** What members achieved in a period that is still open, by ME id. */
  public record Tally(Map<String, Long> revenue, Map<String, Long> cycles, Map<String, Long> reported) {
    public Tally {
      revenue = Collections.unmodifiableMap(new TreeMap<>(revenue));
      cycles = Collections.unmodifiableMap(new TreeMap<>(cycles));
      reported = Collections.unmodifiableMap(new TreeMap<>(reported));
    }

    static final Tally EMPTY = new Tally(Map.of(), Map.of(), Map.of());

    long achieved(String meId, Metric metric) {
      Map<String, Long> source =
          switch (metric) {
            case REVENUE -> revenue;
            case CYCLES -> cycles;
            case UPTIME, REPORTED -> reported;
          };
      return source.getOrDefault(meId, 0L);
    }
  }

  /** A member's record of periods: missed in a row, and whether that makes it at risk. */
  public record Standing(int missedInRow, boolean atRisk) {}

  /** One member's target in a closed period. */
  public record TargetResult(
      String meId, int contractVersion, Metric metric, long target, long achieved, boolean met, int missedInRow, boolean atRisk) {}

  /**
   * The money side of the EMC: its currency (null: the configured default, for
   * EMCs started before currencies were stored), who owned it when, seats given
   * up, revenue within the idempotency window, open periods' tallies, the last
   * closed period and each member's standing.
   */
  public record Accounts(
      String currency,
      List<OwnerSpell> owners,
      List<FormerMember> formers,
      Map<String, RevenueShared> revenues,
      String closedThrough,
      Map<String, Tally> tallies,
      Map<String, Standing> standings) {
    public Accounts {
      owners = List.copyOf(owners);
      formers = List.copyOf(formers);
      revenues = Collections.unmodifiableMap(new LinkedHashMap<>(revenues));
      tallies = Collections.unmodifiableMap(new TreeMap<>(tallies));
      standings = Collections.unmodifiableMap(new TreeMap<>(standings));
    }

    public static final Accounts EMPTY = new Accounts(null, List.of(), List.of(), Map.of(), null, Map.of(), Map.of());
  }

  public record Invitation(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      InvitationStatus status,
      Instant expiresAt,
      Instant createdAt,
      String replacesMeId) {

    public Invitation(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        InvitationStatus status,
        Instant expiresAt,
        Instant createdAt) {
      this(invitationId, meId, side, role, terms, status, expiresAt, createdAt, null);
    }

    Invitation withStatus(InvitationStatus next) {
      return new Invitation(invitationId, meId, side, role, terms, next, expiresAt, createdAt, replacesMeId);
    }

    boolean isPendingAt(Instant now) {
      return status == InvitationStatus.PENDING && now.isBefore(expiresAt);
    }
  }

  // ---- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable
      permits StartEmc,
          GetEmc,
          InviteMember,
          AcceptInvitation,
          DeclineInvitation,
          RemoveMember,
          ProposeTerms,
          AcceptTerms,
          DissolveEmc,
          TransferOwnership,
          ExpireInvitations,
          RecordRevenue,
          ReportPeriodValue,
          ClosePeriod,
          ReplaceSeat,
          HelpCases.PledgeHelp,
          HelpCases.AnswerPledge,
          HelpCases.DeliverHelp,
          HelpCases.AgreeToLeave {}

  public record StartEmc(
      String name,
      String userGroup,
      String ownerMeId,
      Side ownerSide,
      String startedBy,
      String currency,
      ActorRef<Reply> replyTo)
      implements Command {
    public StartEmc(String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, ActorRef<Reply> replyTo) {
      this(name, userGroup, ownerMeId, ownerSide, startedBy, null, replyTo);
    }
  }

  public record GetEmc(ActorRef<Reply> replyTo) implements Command {}

  public record InviteMember(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Duration validFor,
      String actingMeId,
      String replacesMeId,
      ActorRef<Reply> replyTo)
      implements Command {
    public InviteMember(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        Duration validFor,
        String actingMeId,
        ActorRef<Reply> replyTo) {
      this(invitationId, meId, side, role, terms, validFor, actingMeId, null, replyTo);
    }
  }

  public record AcceptInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record DeclineInvitation(String invitationId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /** The member leaves ({@code actingMeId == meId}) or the owner removes it. */
  public record RemoveMember(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record ProposeTerms(String meId, Terms terms, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record AcceptTerms(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record DissolveEmc(String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  public record TransferOwnership(String meId, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Revenue earned by the EMC, split at once. {@code earnedAt} null: now.
   * {@code refundOf}: the id of revenue this gives back (amount negative), split
   * by the same parties and shares as that revenue.
   */
  public record RecordRevenue(
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String attributedMeId,
      String refundOf,
      String actingMeId,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** A member's own figure for a period (UPTIME or REPORTED targets). */
  public record ReportPeriodValue(String period, String meId, long value, String actingMeId, ActorRef<Reply> replyTo)
      implements Command {}

  /** The owner closes a period (YYYY-MM, UTC): every member's target is evaluated. */
  public record ClosePeriod(String period, String actingMeId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * The winner of a replacement round takes over an at-risk member's seat: the
   * invited ME ({@code invitationId}) joins, the old member leaves, in one event.
   */
  public record ReplaceSeat(String invitationId, String replacesMeId, String actingMeId, ActorRef<Reply> replyTo)
      implements Command {}

  /** From the entity's own timer: pending invitations past their expiry are closed. */
  public enum ExpireInvitations implements Command {
    INSTANCE
  }

  // ---- replies --------------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  public record Accepted(State emc, boolean created) implements Reply {}

  public record Rejected(String code, String message) implements Reply {}

  // ---- events ---------------------------------------------------------------------------------

  public sealed interface Event
      permits EmcStarted,
          MemberInvited,
          MemberJoined,
          InvitationDeclined,
          InvitationsExpired,
          MemberLeft,
          TermsProposed,
          ContractAmended,
          EmcDissolved,
          OwnershipTransferred,
          RevenueShared,
          PeriodValueReported,
          PeriodClosed,
          SeatReplaced,
          HelpCases.HelpCaseOpened,
          HelpCases.HelpPledged,
          HelpCases.HelpPledgeAnswered,
          HelpCases.HelpDelivered,
          HelpCases.AdvanceRepaid,
          HelpCases.HelpCaseClosed,
          HelpCases.LeaveAgreed {
    String emcId();

    Instant at();
  }

  /** {@code currency} null in events stored before EMCs had one: the configured default. */
  public record EmcStarted(
      String emcId,
      String name,
      String userGroup,
      String ownerMeId,
      Side ownerSide,
      String startedBy,
      Instant at,
      String currency)
      implements Event {
    public EmcStarted(
        String emcId, String name, String userGroup, String ownerMeId, Side ownerSide, String startedBy, Instant at) {
      this(emcId, name, userGroup, ownerMeId, ownerSide, startedBy, at, null);
    }
  }

  public record PeriodValueReported(String emcId, String period, String meId, long value, Instant at) implements Event {}

  public record PeriodClosed(String emcId, String period, List<TargetResult> results, Instant at) implements Event {
    public PeriodClosed {
      results = List.copyOf(results);
    }
  }

  /** The newcomer joins with the terms of its invitation and the old member leaves, at once. */
  public record SeatReplaced(
      String emcId,
      String emcName,
      String invitationId,
      String oldMeId,
      String newMeId,
      Side side,
      String role,
      Terms terms,
      Instant at)
      implements Event {}

  public record MemberInvited(
      String emcId,
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      Instant expiresAt,
      Instant at,
      String replacesMeId)
      implements Event {
    public MemberInvited(
        String emcId, String invitationId, String meId, Side side, String role, Terms terms, Instant expiresAt, Instant at) {
      this(emcId, invitationId, meId, side, role, terms, expiresAt, at, null);
    }
  }

  public record MemberJoined(
      String emcId, String emcName, String invitationId, String meId, Side side, String role, Terms terms, Instant at)
      implements Event {}

  public record InvitationDeclined(String emcId, String invitationId, Instant at) implements Event {}

  /** One event for all invitations found due at once: one change, one version, one push. */
  public record InvitationsExpired(String emcId, List<String> invitationIds, Instant at) implements Event {
    public InvitationsExpired {
      invitationIds = List.copyOf(invitationIds);
    }
  }

  public record MemberLeft(String emcId, String meId, boolean removed, Instant at) implements Event {}

  public record TermsProposed(String emcId, String meId, Terms terms, Instant at) implements Event {}

  public record ContractAmended(String emcId, String meId, Terms terms, Instant at) implements Event {}

  public record EmcDissolved(String emcId, List<String> memberMeIds, Instant at) implements Event {}

  public record OwnershipTransferred(
      String emcId,
      String emcName,
      String fromMeId,
      Side fromSide,
      String toMeId,
      Side toSide,
      String toRole,
      Instant at)
      implements Event {}

  // ---- state ----------------------------------------------------------------------------------

  /** The EMC; {@code name == null} until it is started. */
  public record State(
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
      HelpCases.Cases help) {

    public State {
      members = Collections.unmodifiableMap(new TreeMap<>(members));
      invitations = Collections.unmodifiableMap(new LinkedHashMap<>(invitations));
      accounts = accounts == null ? Accounts.EMPTY : accounts;
      help = help == null ? HelpCases.Cases.EMPTY : help;
    }

    public State(
        String emcId,
        String name,
        String userGroup,
        String ownerMeId,
        Status status,
        Map<String, Member> members,
        Map<String, Invitation> invitations,
        Instant createdAt,
        long version,
        Accounts accounts) {
      this(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, version, accounts, HelpCases.Cases.EMPTY);
    }

    /** The same state under another version: the earlier pushes of several events stored at once. */
    State atVersion(long v) {
      return new State(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, v, accounts, help);
    }

    public State(
        String emcId,
        String name,
        String userGroup,
        String ownerMeId,
        Status status,
        Map<String, Member> members,
        Map<String, Invitation> invitations,
        Instant createdAt,
        long version) {
      this(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, version, Accounts.EMPTY);
    }

    static State empty(String emcId) {
      return new State(emcId, null, null, null, null, Map.of(), Map.of(), null, 0);
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
          contractAt(m.history(), t).ifPresent(c -> parties.add(new RevenueSplit.Party(m.meId(), c.terms().shareBps(), c.version(), false)));
        }
      }
      for (FormerMember f : accounts.formers()) {
        if (!f.meId().equals(owner) && !f.joinedAt().isAfter(t) && t.isBefore(f.leftAt())) {
          contractAt(f.history(), t).ifPresent(c -> parties.add(new RevenueSplit.Party(f.meId(), c.terms().shareBps(), c.version(), false)));
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
      Member seat = members.get(meId);
      if (seat == null || seat.owner()) {
        return Optional.of(new Rejected(EmcCodes.MEMBER_NOT_FOUND, meId + " is not a member with a seat"));
      }
      if (!standing(meId).atRisk()) {
        return Optional.of(new Rejected(EmcCodes.NOT_AT_RISK, meId + " is not at risk"));
      }
      return HelpCases.replacementRefused(help, meId);
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

    State apply(Event event) {
      long next = version + 1;
      if (HelpCases.isHelpEvent(event)) {
        return new State(emcId, name, userGroup, ownerMeId, status, members, invitations, createdAt, next, accounts, HelpCases.apply(help, event));
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
                e.replacesMeId()));
      } else if (event instanceof MemberJoined e) {
        is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.ACCEPTED));
        ms.put(
            e.meId(),
            new Member(e.meId(), e.side(), e.role(), false, List.of(), null, e.at()).withContract(e.terms(), e.at()));
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
        cases = HelpCases.memberGone(cases, e.meId(), e.at());
      } else if (event instanceof TermsProposed e) {
        Member m = ms.get(e.meId());
        ms.put(e.meId(), new Member(m.meId(), m.side(), m.role(), m.owner(), m.history(), e.terms(), m.joinedAt()));
      } else if (event instanceof ContractAmended e) {
        ms.put(e.meId(), ms.get(e.meId()).withContract(e.terms(), e.at()));
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
                .withContract(new Terms(0, new Target(Metric.REPORTED, 0), 0), e.at()));
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
        cases = HelpCases.periodClosed(cases, e);
      } else if (event instanceof SeatReplaced e) {
        is.computeIfPresent(e.invitationId(), (id, i) -> i.withStatus(InvitationStatus.ACCEPTED));
        acc = leave(acc, ms.remove(e.oldMeId()), e.at());
        cases = HelpCases.memberGone(cases, e.oldMeId(), e.at());
        ms.put(
            e.newMeId(),
            new Member(e.newMeId(), e.side(), e.role(), false, List.of(), null, e.at()).withContract(e.terms(), e.at()));
      } else {
        throw new IllegalStateException("unknown event " + event.getClass());
      }
      return new State(emcId, newName, newUserGroup, newOwner, newStatus, ms, is, created, next, acc, cases);
    }

    private static Accounts leave(Accounts acc, Member gone, Instant at) {
      if (gone == null) {
        return acc;
      }
      List<FormerMember> formers = new ArrayList<>(acc.formers());
      formers.add(new FormerMember(gone.meId(), gone.history(), gone.joinedAt(), at));
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

  /** Where live changes go; the real one is the cluster-wide topic {@code emc/{emcId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State emc);
  }

  /**
   * {@code defaultCurrency}: of EMCs started without one; {@code revenueWindow}:
   * how long revenue ids are remembered (by earnedAt), and so how old revenue may be.
   */
  public record Settings(
      int snapshotEvery,
      Duration backoffMin,
      Duration backoffMax,
      int tagSlices,
      int maxMembers,
      String defaultCurrency,
      Duration revenueWindow) {
    public Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax, int tagSlices, int maxMembers) {
      this(snapshotEvery, backoffMin, backoffMax, tagSlices, maxMembers, "EUR", Duration.ofDays(90));
    }
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String emcId, Settings settings, ChangePublisher publisher, Clock clock) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new EmcEntity(ctx, timers, emcId, settings, publisher, clock)));
  }

  public static PersistenceId persistenceId(String emcId) {
    return PersistenceId.of(TYPE_KEY.name(), emcId);
  }

  /** The journal tag of an EMC's events: one of {@code slices}, stable for an id. */
  public static String tag(String emcId, int slices) {
    return "emc-" + Math.floorMod(emcId.hashCode(), slices);
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String emcId;
  private final Settings settings;
  private final ChangePublisher publisher;
  private final Clock clock;

  private EmcEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String emcId,
      Settings settings,
      ChangePublisher publisher,
      Clock clock) {
    super(
        persistenceId(emcId),
        SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.context = context;
    this.timers = timers;
    this.emcId = emcId;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.empty(emcId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Events are never deleted: pekko-persistence-jdbc 1.1.1 loses events after a gap.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tag(emcId, settings.tagSlices()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

    builder
        .forState(state -> !state.isStarted())
        .onCommand(StartEmc.class, this::start)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(InviteMember.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AcceptInvitation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DeclineInvitation.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RemoveMember.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ProposeTerms.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(AcceptTerms.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(TransferOwnership.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(RecordRevenue.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReportPeriodValue.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ClosePeriod.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ReplaceSeat.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.PledgeHelp.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.AnswerPledge.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.DeliverHelp.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(HelpCases.AgreeToLeave.class, (s, c) -> Effect().reply(c.replyTo(), notFound()))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply());

    builder
        .forState(State::isDissolved)
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(DissolveEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(ExpireInvitations.class, (s, c) -> Effect().noReply())
        // A retried revenue of before the dissolution still gets its answer.
        .onCommand(RecordRevenue.class, (s, c) -> s.accounts().revenues().containsKey(c.revenueId()) ? recordRevenue(s, c) : refuseDissolved(s, c))
        .onAnyCommand(this::refuseDissolved);

    builder
        .forAnyState()
        .onCommand(StartEmc.class, this::startAgain)
        .onCommand(GetEmc.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s, false)))
        .onCommand(InviteMember.class, this::invite)
        .onCommand(AcceptInvitation.class, this::accept)
        .onCommand(DeclineInvitation.class, this::decline)
        .onCommand(RemoveMember.class, this::remove)
        .onCommand(ProposeTerms.class, this::proposeTerms)
        .onCommand(AcceptTerms.class, this::acceptTerms)
        .onCommand(DissolveEmc.class, this::dissolve)
        .onCommand(TransferOwnership.class, this::transferOwnership)
        .onCommand(RecordRevenue.class, this::recordRevenue)
        .onCommand(ReportPeriodValue.class, this::reportPeriodValue)
        .onCommand(ClosePeriod.class, this::closePeriod)
        .onCommand(ReplaceSeat.class, this::replaceSeat)
        .onCommand(HelpCases.PledgeHelp.class, this::help)
        .onCommand(HelpCases.AnswerPledge.class, this::help)
        .onCommand(HelpCases.DeliverHelp.class, this::help)
        .onCommand(HelpCases.AgreeToLeave.class, this::help)
        .onCommand(ExpireInvitations.class, this::expireInvitations);

    return builder.build();
  }

  private ReplyEffect<Event, State> start(State state, StartEmc cmd) {
    EmcStarted event =
        new EmcStarted(
            emcId,
            cmd.name(),
            cmd.userGroup(),
            cmd.ownerMeId(),
            cmd.ownerSide(),
            cmd.startedBy(),
            clock.instant(),
            cmd.currency() == null ? settings.defaultCurrency() : cmd.currency());
    return persist(event, "emc.started", cmd.replyTo(), true);
  }

  /** The same start again (a retry) gets the same answer; anything else is a conflict. */
  private ReplyEffect<Event, State> startAgain(State state, StartEmc cmd) {
    Member owner = state.members().get(state.ownerMeId());
    boolean same =
        state.name().equals(cmd.name())
            && state.userGroup().equals(cmd.userGroup())
            && state.ownerMeId().equals(cmd.ownerMeId())
            && owner != null
            && owner.side() == cmd.ownerSide()
            && (cmd.currency() == null || cmd.currency().equals(currency(state)));
    if (same) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    return reject(cmd.replyTo(), EmcCodes.ALREADY_EXISTS, "an EMC with id " + emcId + " exists");
  }

  private ReplyEffect<Event, State> invite(State state, InviteMember cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Invitation existing = state.invitations().get(cmd.invitationId());
    if (existing != null) {
      boolean same =
          existing.meId().equals(cmd.meId())
              && existing.side() == cmd.side()
              && existing.role().equals(cmd.role())
              && existing.terms().equals(cmd.terms());
      return same
          ? Effect().reply(cmd.replyTo(), new Accepted(state, false))
          : reject(cmd.replyTo(), EmcCodes.INVITATION_CONFLICT, "invitation " + cmd.invitationId() + " has other terms");
    }
    if (state.members().containsKey(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, cmd.meId() + " is already a member");
    }
    Instant now = clock.instant();
    boolean pendingForMe =
        state.invitations().values().stream().anyMatch(i -> i.meId().equals(cmd.meId()) && i.isPendingAt(now));
    if (pendingForMe) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_PENDING, cmd.meId() + " already has a pending invitation");
    }
    if (state.members().size() >= settings.maxMembers()) {
      return reject(cmd.replyTo(), EmcCodes.TOO_MANY_MEMBERS, "an EMC has at most " + settings.maxMembers() + " members");
    }
    if (cmd.replacesMeId() != null) {
      Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId());
      if (refused.isPresent()) {
        return Effect().reply(cmd.replyTo(), refused.get());
      }
    }
    // A replacement frees the old seat's share when it is accepted.
    int heldAfter = state.sharesHeld(cmd.replacesMeId());
    if (heldAfter + cmd.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), heldAfter, cmd.terms().shareBps());
    }
    MemberInvited event =
        new MemberInvited(
            emcId,
            cmd.invitationId(),
            cmd.meId(),
            cmd.side(),
            cmd.role(),
            cmd.terms(),
            now.plus(cmd.validFor()),
            now,
            cmd.replacesMeId());
    return persist(event, "emc.member-invited", cmd.replyTo(), true);
  }

  private ReplyEffect<Event, State> accept(State state, AcceptInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    switch (invitation.status()) {
      case ACCEPTED:
        return Effect().reply(cmd.replyTo(), new Accepted(state, false));
      case DECLINED:
        return reject(cmd.replyTo(), EmcCodes.INVITATION_DECLINED, "the invitation was declined");
      case EXPIRED:
        return reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING:
        break;
    }
    Instant now = clock.instant();
    if (!now.isBefore(invitation.expiresAt())) {
      // The entity's clock decides; the expiry is stored before the refusal goes out.
      return Effect()
          .persist(new InvitationsExpired(emcId, List.of(invitation.invitationId()), now))
          .thenRun(s -> published("emc.invitation-expired", s))
          .thenReply(cmd.replyTo(), s -> new Rejected(EmcCodes.INVITATION_EXPIRED, "the invitation has expired"));
    }
    if (invitation.replacesMeId() != null) {
      return replaceSeat(state, new ReplaceSeat(invitation.invitationId(), invitation.replacesMeId(), cmd.actingMeId(), cmd.replyTo()));
    }
    if (state.members().containsKey(invitation.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(null);
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
    }
    MemberJoined joined =
        new MemberJoined(
            emcId,
            state.name(),
            invitation.invitationId(),
            invitation.meId(),
            invitation.side(),
            invitation.role(),
            invitation.terms(),
            now);
    return persist(joined, "emc.member-joined", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> decline(State state, DeclineInvitation cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    return switch (invitation.status()) {
      case DECLINED -> Effect().reply(cmd.replyTo(), new Accepted(state, false));
      case ACCEPTED -> reject(cmd.replyTo(), EmcCodes.INVITATION_ACCEPTED, "the invitation was accepted");
      case EXPIRED -> reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation has expired");
      case PENDING ->
          persist(new InvitationDeclined(emcId, invitation.invitationId(), clock.instant()),
              "emc.invitation-declined",
              cmd.replyTo(),
              false);
    };
  }

  private ReplyEffect<Event, State> remove(State state, RemoveMember cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member");
    }
    if (member.owner()) {
      return reject(
          cmd.replyTo(),
          EmcCodes.OWNER_CANNOT_LEAVE,
          "the owner cannot leave: dissolve the EMC or transfer ownership first");
    }
    boolean leaving = cmd.actingMeId().equals(cmd.meId());
    if (!leaving && !cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    return persist(new MemberLeft(emcId, cmd.meId(), !leaving, clock.instant()),
        leaving ? "emc.member-left" : "emc.member-removed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> proposeTerms(State state, ProposeTerms cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + cmd.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, cmd.terms().shareBps());
    }
    return persist(new TermsProposed(emcId, cmd.meId(), cmd.terms(), clock.instant()),
        "emc.terms-proposed",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> acceptTerms(State state, AcceptTerms cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member accepts its terms");
    }
    if (member.proposedTerms() == null) {
      return reject(cmd.replyTo(), EmcCodes.NO_TERMS_PROPOSED, "no new terms are proposed");
    }
    int held = state.sharesHeld(cmd.meId());
    if (held + member.proposedTerms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, member.proposedTerms().shareBps());
    }
    return persist(new ContractAmended(emcId, cmd.meId(), member.proposedTerms(), clock.instant()),
        "emc.contract-amended",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> dissolve(State state, DissolveEmc cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    List<String> memberIds = new ArrayList<>(state.members().keySet());
    return persist(new EmcDissolved(emcId, memberIds, clock.instant()), "emc.dissolved", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> transferOwnership(State state, TransferOwnership cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    Member to = state.members().get(cmd.meId());
    if (to == null || to.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member who could own the EMC");
    }
    Member from = state.members().get(state.ownerMeId());
    return persist(
            new OwnershipTransferred(
                emcId, state.name(), from.meId(), from.side(), to.meId(), to.side(), OWNER_ROLE, clock.instant()),
        "emc.ownership-transferred",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> expireInvitations(State state, ExpireInvitations cmd) {
    Instant now = clock.instant();
    List<String> due =
        state.invitations().values().stream()
            .filter(i -> i.status() == InvitationStatus.PENDING && !now.isBefore(i.expiresAt()))
            .map(Invitation::invitationId)
            .toList();
    if (due.isEmpty()) {
      armExpiryTimer(state);
      return Effect().noReply();
    }
    return Effect()
        .persist(new InvitationsExpired(emcId, due, now))
        .thenRun(
            s -> {
              published("emc.invitation-expired", s);
              armExpiryTimer(s);
            })
        .thenNoReply();
  }

  private String currency(State state) {
    return state.accounts().currency() == null ? settings.defaultCurrency() : state.accounts().currency();
  }

  private ReplyEffect<Event, State> recordRevenue(State state, RecordRevenue cmd) {
    RevenueShared known = state.accounts().revenues().get(cmd.revenueId());
    if (known != null) {
      return known.sameAs(cmd)
          ? Effect().reply(cmd.replyTo(), new Accepted(state, false))
          : reject(cmd.replyTo(), EmcCodes.REVENUE_CONFLICT, "revenue " + cmd.revenueId() + " was recorded with other content");
    }
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    if (!cmd.currency().equals(currency(state))) {
      return reject(
          cmd.replyTo(), EmcCodes.CURRENCY_MISMATCH, "the EMC keeps its books in " + currency(state) + ", not " + cmd.currency());
    }
    Instant now = clock.instant();
    Instant keepSince = now.minus(settings.revenueWindow());
    List<RevenueSplit.Party> parties;
    Instant earnedAt;
    if (cmd.refundOf() != null) {
      // A refund flows back through the split of the revenue it refunds.
      RevenueShared original = state.accounts().revenues().get(cmd.refundOf());
      if (original == null || original.refundOf() != null) {
        return reject(cmd.replyTo(), EmcCodes.REVENUE_NOT_FOUND, "no revenue " + cmd.refundOf() + " to refund within the window");
      }
      long refunded =
          state.accounts().revenues().values().stream()
              .filter(r -> cmd.refundOf().equals(r.refundOf()))
              .mapToLong(RevenueShared::amountMinor)
              .sum();
      if (cmd.amountMinor() >= 0 || original.amountMinor() + refunded + cmd.amountMinor() < 0) {
        return reject(
            cmd.replyTo(),
            CommonCodes.REQUEST_INVALID,
            "a refund is negative and at most what is left of the revenue: " + (original.amountMinor() + refunded));
      }
      parties =
          original.parts().stream()
              .map(p -> new RevenueSplit.Party(p.meId(), p.shareBps(), p.contractVersion(), p.owner()))
              .toList();
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
    } else {
      if (cmd.amountMinor() <= 0) {
        return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "amountMinor must be positive; give money back with refundOf");
      }
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
      parties = null;
    }
    if (earnedAt.isAfter(now)) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is in the future");
    }
    if (earnedAt.isBefore(state.createdAt())) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is before the EMC started");
    }
    if (earnedAt.isBefore(keepSince)) {
      return reject(
          cmd.replyTo(),
          EmcCodes.REVENUE_TOO_OLD,
          "revenue earned more than " + settings.revenueWindow().toDays() + " days ago can no longer be recorded");
    }
    YearMonth period = YearMonth.from(earnedAt.atOffset(ZoneOffset.UTC));
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (cmd.attributedMeId() != null && state.partiesAt(earnedAt).stream().noneMatch(p -> p.meId().equals(cmd.attributedMeId()))) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.attributedMeId() + " was not a member when it was earned");
    }
    if (parties == null) {
      parties = state.partiesAt(earnedAt);
    }
    if (parties.stream().anyMatch(p -> p.shareBps() < 0)) {
      // Cannot happen while every change keeps shares within 10 000 bps.
      return reject(cmd.replyTo(), EmcCodes.SHARE_EXCEEDED, "shares in force at " + earnedAt + " exceed " + MAX_BPS);
    }
    List<RevenueSplit.Part> parts = RevenueSplit.split(cmd.amountMinor(), parties);
    RevenueShared event =
        new RevenueShared(
            emcId,
            cmd.revenueId(),
            cmd.amountMinor(),
            cmd.currency(),
            cmd.source(),
            earnedAt,
            cmd.units(),
            cmd.attributedMeId(),
            cmd.refundOf(),
            parts,
            now,
            keepSince);
    return persistWithHelp(event, "emc.revenue-shared", HelpCases.repayments(state, event), cmd.replyTo(), true);
  }

  private ReplyEffect<Event, State> reportPeriodValue(State state, ReportPeriodValue cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member reports its own value");
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (period.isAfter(YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)))) {
      return reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "period " + period + " has not begun");
    }
    return persist(
        new PeriodValueReported(emcId, cmd.period(), cmd.meId(), cmd.value(), clock.instant()),
        "emc.period-value-reported",
        cmd.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> closePeriod(State state, ClosePeriod cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return notOwner(cmd.replyTo());
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is already closed");
    }
    YearMonth next = state.nextPeriodToClose();
    Instant end = period.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (!period.equals(next) || clock.instant().isBefore(end)) {
      return reject(
          cmd.replyTo(),
          EmcCodes.PERIOD_NOT_CLOSABLE,
          "periods close in order once they have ended; the next to close is " + next);
    }
    Tally tally = state.accounts().tallies().getOrDefault(period.toString(), Tally.EMPTY);
    Instant last = end.minusNanos(1);
    List<TargetResult> results = new ArrayList<>();
    for (Member m : state.members().values()) {
      if (m.owner() || m.joinedAt().isAfter(last)) {
        continue;
      }
      Optional<Contract> contract = State.contractAt(m.history(), last);
      if (contract.isEmpty()) {
        continue;
      }
      Terms terms = contract.get().terms();
      long achieved = tally.achieved(m.meId(), terms.target().metric());
      boolean met = achieved >= terms.target().amount();
      int missed = met ? 0 : state.standing(m.meId()).missedInRow() + 1;
      int limit = terms.missedPeriodLimit() <= 0 ? 3 : terms.missedPeriodLimit();
      results.add(
          new TargetResult(
              m.meId(), contract.get().version(), terms.target().metric(), terms.target().amount(), achieved, met, missed, missed >= limit));
    }
    PeriodClosed closed = new PeriodClosed(emcId, period.toString(), results, clock.instant());
    return persistWithHelp(closed, "emc.period-closed", HelpCases.afterPeriod(state, closed), cmd.replyTo(), false);
  }

  /** Accepting an invitation that replaces a seat: only while that member is still at risk. */
  private ReplyEffect<Event, State> replaceSeat(State state, ReplaceSeat cmd) {
    Invitation invitation = state.invitations().get(cmd.invitationId());
    if (invitation == null) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_NOT_FOUND, "no invitation " + cmd.invitationId());
    }
    if (!invitation.meId().equals(cmd.actingMeId())) {
      return reject(cmd.replyTo(), EmcCodes.NOT_INVITEE, "only the invited ME answers an invitation");
    }
    if (invitation.status() == InvitationStatus.ACCEPTED) {
      return Effect().reply(cmd.replyTo(), new Accepted(state, false));
    }
    if (invitation.status() != InvitationStatus.PENDING || !clock.instant().isBefore(invitation.expiresAt())) {
      return reject(cmd.replyTo(), EmcCodes.INVITATION_EXPIRED, "the invitation is no longer open");
    }
    Optional<Rejected> refused = state.seatNotReplaceable(cmd.replacesMeId());
    if (refused.isPresent()) {
      return Effect().reply(cmd.replyTo(), refused.get());
    }
    Member old = state.members().get(cmd.replacesMeId());
    if (state.members().containsKey(invitation.meId())) {
      return reject(cmd.replyTo(), EmcCodes.ALREADY_MEMBER, invitation.meId() + " is already a member");
    }
    int held = state.sharesHeld(old.meId());
    if (held + invitation.terms().shareBps() > MAX_BPS) {
      return shareExceeded(cmd.replyTo(), held, invitation.terms().shareBps());
    }
    SeatReplaced event =
        new SeatReplaced(
            emcId,
            state.name(),
            invitation.invitationId(),
            old.meId(),
            invitation.meId(),
            invitation.side(),
            invitation.role(),
            invitation.terms(),
            clock.instant());
    return persist(event, "emc.seat-replaced", cmd.replyTo(), false);
  }

  private ReplyEffect<Event, State> refuseDissolved(State state, Command cmd) {
    ActorRef<Reply> replyTo = replyTo(cmd);
    return reject(replyTo, EmcCodes.DISSOLVED, "the EMC is dissolved");
  }

  private static ActorRef<Reply> replyTo(Command cmd) {
    if (cmd instanceof InviteMember c) return c.replyTo();
    if (cmd instanceof AcceptInvitation c) return c.replyTo();
    if (cmd instanceof DeclineInvitation c) return c.replyTo();
    if (cmd instanceof RemoveMember c) return c.replyTo();
    if (cmd instanceof ProposeTerms c) return c.replyTo();
    if (cmd instanceof AcceptTerms c) return c.replyTo();
    if (cmd instanceof TransferOwnership c) return c.replyTo();
    if (cmd instanceof RecordRevenue c) return c.replyTo();
    if (cmd instanceof ReportPeriodValue c) return c.replyTo();
    if (cmd instanceof ClosePeriod c) return c.replyTo();
    if (cmd instanceof ReplaceSeat c) return c.replyTo();
    if (HelpCases.replyTo(cmd) != null) return HelpCases.replyTo(cmd);
    throw new IllegalArgumentException("no reply for " + cmd);
  }

  /** One command, one event: the version (and a push's seq) grows by exactly one per change. */
  private ReplyEffect<Event, State> persist(Event event, String eventName, ActorRef<Reply> replyTo, boolean created) {
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              published(eventName, s);
              armExpiryTimer(s);
            })
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  /** A help command: its event, or the unchanged state, or its refusal. */
  private ReplyEffect<Event, State> help(State state, Command cmd) {
    ActorRef<Reply> replyTo = HelpCases.replyTo(cmd);
    HelpCases.Decision decision = HelpCases.decide(state, emcId, cmd, currency(state), clock.instant());
    if (decision instanceof HelpCases.Persist p) {
      return persist(p.event(), HelpCases.eventName(p.event()), replyTo, cmd instanceof HelpCases.PledgeHelp);
    }
    if (decision instanceof HelpCases.Refused r) {
      return Effect().reply(replyTo, r.rejection());
    }
    return Effect().reply(replyTo, new Accepted(state, false));
  }

  /**
   * An event and the help events it brings (cases opened or closed by a period's
   * close, advances repaid from a revenue), stored in one atomic write; one push
   * per event, with consecutive sequence numbers.
   */
  private ReplyEffect<Event, State> persistWithHelp(
      Event event, String eventName, List<Event> help, ActorRef<Reply> replyTo, boolean created) {
    if (help.isEmpty()) {
      return persist(event, eventName, replyTo, created);
    }
    List<Event> all = new ArrayList<>();
    all.add(event);
    all.addAll(help);
    return Effect()
        .persist(all)
        .thenRun(
            s -> {
              long first = s.version() - all.size() + 1;
              published(eventName, s.atVersion(first));
              for (int i = 0; i < help.size(); i++) {
                published(HelpCases.eventName(help.get(i)), s.atVersion(first + 1 + i));
              }
              armExpiryTimer(s);
            })
        .thenReply(replyTo, s -> new Accepted(s, created));
  }

  private void published(String eventName, State state) {
    publisher.published(eventName, state);
  }

  /** Re-armed after every change and on recovery: the entity's own deadline. */
  private void armExpiryTimer(State state) {
    Optional<Instant> next = state.isDissolved() ? Optional.empty() : state.nextExpiry();
    if (next.isEmpty()) {
      timers.cancel(ExpireInvitations.INSTANCE);
      return;
    }
    timers.startSingleTimer(
        ExpireInvitations.INSTANCE, ExpireInvitations.INSTANCE, BusinessClock.delayUntil(clock, next.get()));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, String code, String message) {
    return Effect().reply(replyTo, new Rejected(code, message));
  }

  private ReplyEffect<Event, State> notOwner(ActorRef<Reply> replyTo) {
    return reject(replyTo, EmcCodes.NOT_OWNER, "only the owner of the EMC may do this");
  }

  private ReplyEffect<Event, State> shareExceeded(ActorRef<Reply> replyTo, int held, int asked) {
    return reject(
        replyTo,
        EmcCodes.SHARE_EXCEEDED,
        "members hold " + held + " bps; " + asked + " more would exceed " + MAX_BPS);
  }

  private Rejected notFound() {
    return new Rejected(EmcCodes.NOT_FOUND, "no EMC with id " + emcId);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              context.getLog().debug("EMC {} recovered at version {}", emcId, state.version());
              armExpiryTimer(state);
            })
        .build();
  }
}
