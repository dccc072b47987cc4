package io.rendan.emc;

import static io.rendan.emc.HelpCases.MAX_CASES_KEPT;

import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.HelpCases.AdvanceRepaid;
import io.rendan.emc.HelpCases.CaseStatus;
import io.rendan.emc.HelpCases.Cases;
import io.rendan.emc.HelpCases.HelpCase;
import io.rendan.emc.HelpCases.HelpCaseClosed;
import io.rendan.emc.HelpCases.HelpCaseOpened;
import io.rendan.emc.HelpCases.HelpDelivered;
import io.rendan.emc.HelpCases.HelpPledgeAnswered;
import io.rendan.emc.HelpCases.HelpPledged;
import io.rendan.emc.HelpCases.LeaveAgreed;
import io.rendan.emc.HelpCases.Pledge;
import io.rendan.emc.HelpCases.PledgeStatus;
import io.rendan.emc.HelpCases.Shortfall;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How help events change an EMC's cases, and what a closed period or a member
 * giving up its seat does to them; the rules that decide those events are
 * {@link HelpCases}.
 */
final class HelpCaseChanges {
  private HelpCaseChanges() {}

  /** The cases after one help event. */
  public static Cases apply(Cases cases, Event event) {
    if (event instanceof HelpCaseOpened e) {
      HelpCase c =
          new HelpCase(e.caseId(), e.meId(), e.helpPeriods(), CaseStatus.OPEN, false, List.of(e.shortfall()), Map.of(), e.at(), null);
      Map<String, HelpCase> next = new LinkedHashMap<>(cases.cases());
      next.put(c.caseId(), c);
      // bounded: the oldest closed cases go first
      var it = next.values().iterator();
      while (next.size() > MAX_CASES_KEPT && it.hasNext()) {
        if (!it.next().isOpen()) {
          it.remove();
        }
      }
      return new Cases(next, cases.opened() + 1);
    }
    if (event instanceof HelpPledged e) {
      HelpCase c = cases.cases().get(e.caseId());
      Map<String, Pledge> ps = new LinkedHashMap<>(c.pledges());
      ps.put(e.pledgeId(), new Pledge(e.pledgeId(), e.helperMeId(), e.kind(), e.description(), e.amountMinor(), e.repayBps(), PledgeStatus.PLEDGED, 0, e.at()));
      return cases.put(c.with(c.status(), c.leaveAgreed(), c.shortfalls(), ps, c.closedAt()));
    }
    if (event instanceof HelpPledgeAnswered e) {
      return withPledge(cases, e.caseId(), e.pledgeId(), p -> p.with(e.accepted() ? PledgeStatus.ACCEPTED : PledgeStatus.DECLINED, p.repaidMinor()));
    }
    if (event instanceof HelpDelivered e) {
      return withPledge(cases, e.caseId(), e.pledgeId(), p -> p.with(PledgeStatus.DELIVERED, p.repaidMinor()));
    }
    if (event instanceof AdvanceRepaid e) {
      return withPledge(cases, e.caseId(), e.pledgeId(), p -> p.with(p.status(), p.repaidMinor() + e.amountMinor()));
    }
    if (event instanceof HelpCaseClosed e) {
      HelpCase c = cases.cases().get(e.caseId());
      return cases.put(c.with(e.outcome(), c.leaveAgreed(), c.shortfalls(), c.pledges(), e.at()));
    }
    if (event instanceof LeaveAgreed e) {
      HelpCase c = cases.cases().get(e.caseId());
      return cases.put(c.with(c.status(), true, c.shortfalls(), c.pledges(), c.closedAt()));
    }
    throw new IllegalArgumentException("not a help event: " + event);
  }

  /** A period's close adds its result to every open case of a member it evaluated (before the case may close). */
  public static Cases periodClosed(Cases cases, PeriodClosed e) {
    Cases next = cases;
    for (TargetResult r : e.results()) {
      Optional<HelpCase> latest = next.latestOf(r.meId());
      if (latest.isPresent() && latest.get().isOpen()) {
        HelpCase c = latest.get();
        List<Shortfall> sf = new ArrayList<>(c.shortfalls());
        sf.add(new Shortfall(e.period(), r.metric(), r.target(), r.achieved()));
        next = next.put(c.with(c.status(), c.leaveAgreed(), sf, c.pledges(), c.closedAt()));
      }
    }
    return next;
  }

  /** A member that gives up its seat ends its open case; what it still owes stays recorded. */
  public static Cases memberGone(Cases cases, String meId, Instant at) {
    Optional<HelpCase> latest = cases.latestOf(meId);
    if (latest.isPresent() && latest.get().isOpen()) {
      HelpCase c = latest.get();
      return cases.put(c.with(CaseStatus.ENDED, c.leaveAgreed(), c.shortfalls(), c.pledges(), at));
    }
    return cases;
  }

  private static Cases withPledge(Cases cases, String caseId, String pledgeId, java.util.function.UnaryOperator<Pledge> change) {
    HelpCase c = cases.cases().get(caseId);
    Map<String, Pledge> ps = new LinkedHashMap<>(c.pledges());
    ps.put(pledgeId, change.apply(ps.get(pledgeId)));
    return cases.put(c.with(c.status(), c.leaveAgreed(), c.shortfalls(), ps, c.closedAt()));
  }
}
