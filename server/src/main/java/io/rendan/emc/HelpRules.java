package io.rendan.emc;

import static io.rendan.emc.HelpCases.MAX_PLEDGES_PER_CASE;

import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcProtocol.Rejected;
import io.rendan.emc.HelpCases.AdvanceRepaid;
import io.rendan.emc.HelpCases.AgreeToLeave;
import io.rendan.emc.HelpCases.AnswerPledge;
import io.rendan.emc.HelpCases.CaseStatus;
import io.rendan.emc.HelpCases.Cases;
import io.rendan.emc.HelpCases.DeliverHelp;
import io.rendan.emc.HelpCases.HelpCase;
import io.rendan.emc.HelpCases.HelpCaseClosed;
import io.rendan.emc.HelpCases.HelpCaseOpened;
import io.rendan.emc.HelpCases.HelpDelivered;
import io.rendan.emc.HelpCases.HelpPledgeAnswered;
import io.rendan.emc.HelpCases.HelpPledged;
import io.rendan.emc.HelpCases.Kind;
import io.rendan.emc.HelpCases.LeaveAgreed;
import io.rendan.emc.HelpCases.Pledge;
import io.rendan.emc.HelpCases.PledgeHelp;
import io.rendan.emc.HelpCases.PledgeStatus;
import io.rendan.emc.HelpCases.Shortfall;
import io.rendan.http.ErrorCodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The rules of help cases ({@link HelpCases}): what a help command decides in an
 * EMC's state (a pledge, its answer, its delivery, agreeing to leave), when a seat
 * may be replaced, and what a closed period and shared revenue do to open cases
 * and outstanding advances. Pure functions of the EMC's state: the entity
 * persists what they return.
 */
final class HelpRules {
  private HelpRules() {}

  /** What a help command decides in this state. */
  static Decision decide(EmcState state, String emcId, EmcProtocol.Command cmd, String currency, Instant now) {
    if (cmd instanceof PledgeHelp c) {
      return pledge(state, emcId, c.caseId(), c.pledgeId(), c.actingMeId(), c.kind(), c.description(), c.amountMinor(), c.repayBps(), now);
    }
    if (cmd instanceof AnswerPledge c) {
      return answer(state, emcId, c.caseId(), c.pledgeId(), c.accept(), c.actingMeId(), now);
    }
    if (cmd instanceof DeliverHelp c) {
      return deliver(state, emcId, c.caseId(), c.pledgeId(), c.actingMeId(), currency, now);
    }
    if (cmd instanceof AgreeToLeave c) {
      return agreeToLeave(state, emcId, c.caseId(), c.actingMeId(), now);
    }
    throw new IllegalArgumentException("not a help command: " + cmd);
  }

  /** The outcome of a help command: an event to persist, an answer that changes nothing, or a refusal. */
  public sealed interface Decision permits Persist, Unchanged, Refused {}

  public record Persist(Event event) implements Decision {}

  public record Unchanged() implements Decision {}

  public record Refused(Rejected rejection) implements Decision {}

  private static Refused refuse(String code, String message) {
    return new Refused(new Rejected(code, message));
  }

  /** Why the seat of an at-risk member may not be replaced yet: its case is open and it has not agreed to leave. */
  public static Optional<Rejected> replacementRefused(Cases cases, String meId) {
    Optional<HelpCase> latest = cases.latestOf(meId);
    if (latest.isPresent() && latest.get().isOpen() && !latest.get().leaveAgreed()) {
      return Optional.of(
          new Rejected(
              EmcCodes.HELP_OPEN,
              meId + " has an open help case (" + latest.get().caseId() + "): its seat may be replaced once the case has "
                  + "failed or the member agreed to leave"));
    }
    return Optional.empty();
  }

  public static Decision pledge(
      EmcState state,
      String emcId,
      String caseId,
      String pledgeId,
      String helperMeId,
      Kind kind,
      String description,
      long amountMinor,
      int repayBps,
      Instant now) {
    HelpCase c = state.help().cases().get(caseId);
    if (c == null) {
      return refuse(EmcCodes.HELP_CASE_NOT_FOUND, "no help case " + caseId);
    }
    Pledge known = c.pledges().get(pledgeId);
    if (known != null) {
      boolean same =
          known.helperMeId().equals(helperMeId)
              && known.kind() == kind
              && known.description().equals(description)
              && known.amountMinor() == amountMinor
              && known.repayBps() == repayBps;
      return same ? new Unchanged() : refuse(EmcCodes.HELP_PLEDGE_CONFLICT, "pledge " + pledgeId + " was made with other content");
    }
    if (!c.isOpen()) {
      return refuse(EmcCodes.HELP_CASE_CLOSED, "help case " + caseId + " is " + c.status());
    }
    EmcMembership.Member helper = state.members().get(helperMeId);
    if (helper == null) {
      return refuse(EmcCodes.NOT_MEMBER, helperMeId + " is not a member of the EMC");
    }
    if (helperMeId.equals(c.meId())) {
      return refuse(EmcCodes.HELP_SELF, "a member does not pledge help to itself");
    }
    if (kind == Kind.ADVANCE ? amountMinor <= 0 || amountMinor > RevenueSplit.MAX_AMOUNT : amountMinor != 0) {
      return refuse(ErrorCodes.REQUEST_INVALID, "an ADVANCE has a positive amountMinor, other kinds none");
    }
    if (repayBps < 0 || repayBps > EmcMembership.MAX_BPS || (kind != Kind.ADVANCE && repayBps != 0)) {
      return refuse(ErrorCodes.REQUEST_INVALID, "repayBps is for an ADVANCE only, between 1 and 10 000 (0: 10 000)");
    }
    if (c.pledges().size() >= MAX_PLEDGES_PER_CASE) {
      return refuse(EmcCodes.HELP_TOO_MANY, "a help case holds at most " + MAX_PLEDGES_PER_CASE + " pledges");
    }
    return new Persist(
        new HelpPledged(emcId, caseId, pledgeId, helperMeId, c.meId(), kind, description, amountMinor, repayBps, now));
  }

  /** The helped member ({@code actingMeId}) accepts or declines a pledge; the same answer again changes nothing. */
  public static Decision answer(EmcState state, String emcId, String caseId, String pledgeId, boolean accept, String actingMeId, Instant now) {
    HelpCase c = state.help().cases().get(caseId);
    if (c == null) {
      return refuse(EmcCodes.HELP_CASE_NOT_FOUND, "no help case " + caseId);
    }
    if (!c.meId().equals(actingMeId)) {
      return refuse(EmcCodes.HELP_NOT_HELPED, "only the helped member answers a pledge");
    }
    Pledge p = c.pledges().get(pledgeId);
    if (p == null) {
      return refuse(EmcCodes.HELP_PLEDGE_NOT_FOUND, "no pledge " + pledgeId + " on case " + caseId);
    }
    PledgeStatus wanted = accept ? PledgeStatus.ACCEPTED : PledgeStatus.DECLINED;
    if (p.status() == wanted) {
      return new Unchanged();
    }
    if (p.status() != PledgeStatus.PLEDGED) {
      return refuse(EmcCodes.HELP_PLEDGE_ANSWERED, "pledge " + pledgeId + " is " + p.status());
    }
    if (!c.isOpen()) {
      return refuse(EmcCodes.HELP_CASE_CLOSED, "help case " + caseId + " is " + c.status());
    }
    return new Persist(new HelpPledgeAnswered(emcId, caseId, pledgeId, p.helperMeId(), c.meId(), accept, now));
  }

  /** The helper ({@code actingMeId}) marks an accepted pledge delivered; an advance moves its money then. */
  public static Decision deliver(EmcState state, String emcId, String caseId, String pledgeId, String actingMeId, String currency, Instant now) {
    HelpCase c = state.help().cases().get(caseId);
    if (c == null) {
      return refuse(EmcCodes.HELP_CASE_NOT_FOUND, "no help case " + caseId);
    }
    Pledge p = c.pledges().get(pledgeId);
    if (p == null) {
      return refuse(EmcCodes.HELP_PLEDGE_NOT_FOUND, "no pledge " + pledgeId + " on case " + caseId);
    }
    if (!p.helperMeId().equals(actingMeId)) {
      return refuse(EmcCodes.HELP_NOT_HELPER, "only the member that pledged it delivers a pledge");
    }
    if (p.status() == PledgeStatus.DELIVERED) {
      return new Unchanged();
    }
    if (p.status() != PledgeStatus.ACCEPTED) {
      return refuse(EmcCodes.HELP_PLEDGE_NOT_ACCEPTED, "pledge " + pledgeId + " is " + p.status() + ", not ACCEPTED");
    }
    if (!c.isOpen()) {
      return refuse(EmcCodes.HELP_CASE_CLOSED, "help case " + caseId + " is " + c.status());
    }
    long amount = p.kind() == Kind.ADVANCE ? p.amountMinor() : 0;
    return new Persist(new HelpDelivered(emcId, caseId, pledgeId, p.helperMeId(), c.meId(), p.kind(), amount, currency, now));
  }

  /** The helped member agrees to leave: the owner may replace its seat before the case fails. */
  public static Decision agreeToLeave(EmcState state, String emcId, String caseId, String actingMeId, Instant now) {
    HelpCase c = state.help().cases().get(caseId);
    if (c == null) {
      return refuse(EmcCodes.HELP_CASE_NOT_FOUND, "no help case " + caseId);
    }
    if (!c.meId().equals(actingMeId)) {
      return refuse(EmcCodes.HELP_NOT_HELPED, "only the helped member agrees to leave");
    }
    if (c.leaveAgreed()) {
      return new Unchanged();
    }
    if (!c.isOpen()) {
      return refuse(EmcCodes.HELP_CASE_CLOSED, "help case " + caseId + " is " + c.status());
    }
    return new Persist(new LeaveAgreed(emcId, caseId, c.meId(), now));
  }

  /**
   * What a period's close does to help cases, stored with it: open cases of
   * members that met their target recover, those that have had their help
   * periods fail, and members newly flagged at risk get a case.
   */
  public static List<Event> afterPeriod(EmcState state, PeriodClosed closed) {
    List<Event> events = new ArrayList<>();
    Cases cases = state.help();
    int next = cases.opened();
    for (TargetResult r : closed.results()) {
      Optional<HelpCase> latest = cases.latestOf(r.meId());
      if (latest.isPresent() && latest.get().isOpen()) {
        HelpCase c = latest.get();
        if (r.met()) {
          events.add(new HelpCaseClosed(closed.emcId(), c.caseId(), c.meId(), CaseStatus.RECOVERED, c.deliveredBy(), closed.at()));
        } else if (c.shortfalls().size() >= c.helpPeriods()) {
          // the periods since it opened, this one included, are the help period
          events.add(new HelpCaseClosed(closed.emcId(), c.caseId(), c.meId(), CaseStatus.FAILED, c.deliveredBy(), closed.at()));
        }
        continue;
      }
      if (r.atRisk() && !state.standing(r.meId()).atRisk()) {
        next++;
        int periods = helpPeriods(state, r.meId());
        events.add(
            new HelpCaseOpened(
                closed.emcId(), "case-" + next, r.meId(), periods, new Shortfall(closed.period(), r.metric(), r.target(), r.achieved()), closed.at()));
      }
    }
    return events;
  }

  private static int helpPeriods(EmcState state, String meId) {
    EmcMembership.Member m = state.members().get(meId);
    int periods = m == null ? 0 : m.contract().map(c -> c.terms().helpPeriods()).orElse(0);
    return periods <= 0 ? 1 : periods;
  }

  /**
   * The repayments that a revenue's split makes: every positive part of a member
   * that owes on delivered advances repays them, oldest first, by each advance's
   * rate, never more than the part nor more than what is owed.
   */
  public static List<Event> repayments(EmcState state, RevenueShared revenue) {
    if (revenue.refundOf() != null) {
      return List.of();
    }
    List<Event> events = new ArrayList<>();
    for (RevenueSplit.Part part : revenue.parts()) {
      if (part.amountMinor() <= 0) {
        continue;
      }
      long left = part.amountMinor();
      for (HelpCase c : state.help().cases().values()) {
        if (!c.meId().equals(part.meId())) {
          continue;
        }
        for (Pledge p : c.pledges().values()) {
          long owed = p.outstanding();
          if (owed <= 0 || left <= 0) {
            continue;
          }
          int rate = p.repayBps() == 0 ? EmcMembership.MAX_BPS : p.repayBps();
          // rate ≤ 10 000 and part ≤ MAX_AMOUNT: no overflow
          long byRate = part.amountMinor() * rate / EmcMembership.MAX_BPS;
          long repay = Math.min(Math.min(owed, byRate), left);
          if (repay <= 0) {
            continue;
          }
          left -= repay;
          events.add(
              new AdvanceRepaid(
                  revenue.emcId(), c.caseId(), p.pledgeId(), p.helperMeId(), c.meId(), revenue.revenueId(), repay, revenue.currency(), revenue.at(), revenue.earnedAt()));
        }
      }
    }
    return events;
  }
}
