package io.rendan.emc;

import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.HelpCases.AdvanceRepaid;
import io.rendan.emc.HelpCases.CaseStatus;
import io.rendan.emc.HelpCases.HelpCaseClosed;
import io.rendan.emc.HelpCases.HelpCaseOpened;
import io.rendan.emc.HelpCases.HelpDelivered;
import io.rendan.emc.HelpCases.HelpPledged;
import io.rendan.emc.MembershipDelivery.Delivery;
import io.rendan.emc.MembershipDelivery.HelpDue;
import io.rendan.me.MeEntity.HelpNote;
import io.rendan.me.MeEntity.HelpStep;
import java.util.ArrayList;
import java.util.List;

/**
 * What each ME learns from a help event of its EMC: the steps that make its
 * record of help, and the money of an advance (helper to helped) and of its
 * repayments (helped to helper) as signed ledger entries. One event names an
 * ME at most once (the ME's de-duplication cursor is the EMC's sequence number),
 * and the two entries of a transfer add up to zero, so the books stay balanced.
 */
final class HelpDeliveries {
  private HelpDeliveries() {}

  static List<Delivery> of(Event event, long emcSeq) {
    java.time.Instant when = event instanceof AdvanceRepaid r ? r.earnedAt() : event.at();
    if (event instanceof HelpCaseOpened e) {
      return List.of(due(e.meId(), e.emcId(), emcSeq, e.caseId(), "", HelpStep.CASE_OPENED, 0, "", when));
    }
    if (event instanceof HelpPledged e) {
      return List.of(
          due(e.helperMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.PLEDGE_GIVEN, 0, "", when),
          due(e.helpedMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.PLEDGE_RECEIVED, 0, "", when));
    }
    if (event instanceof HelpDelivered e) {
      return List.of(
          due(e.helperMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.DELIVERED_GIVEN, -e.amountMinor(), e.currency(), when),
          due(e.helpedMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.DELIVERED_RECEIVED, e.amountMinor(), e.currency(), when));
    }
    if (event instanceof AdvanceRepaid e) {
      return List.of(
          due(e.helpedMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.REPAYMENT_PAID, -e.amountMinor(), e.currency(), when),
          due(e.helperMeId(), e.emcId(), emcSeq, e.caseId(), e.pledgeId(), HelpStep.REPAYMENT_RECEIVED, e.amountMinor(), e.currency(), when));
    }
    if (event instanceof HelpCaseClosed e) {
      List<Delivery> all = new ArrayList<>();
      if (e.outcome() == CaseStatus.RECOVERED) {
        all.add(due(e.meId(), e.emcId(), emcSeq, e.caseId(), "", HelpStep.CASE_RECOVERED, 0, "", when));
        e.helperMeIds().stream()
            .filter(h -> !h.equals(e.meId()))
            .forEach(h -> all.add(due(h, e.emcId(), emcSeq, e.caseId(), "", HelpStep.RECOVERY_HELPED, 0, "", when)));
      } else if (e.outcome() == CaseStatus.FAILED) {
        all.add(due(e.meId(), e.emcId(), emcSeq, e.caseId(), "", HelpStep.CASE_FAILED, 0, "", when));
      }
      return all;
    }
    return List.of(); // an answer to a pledge, an agreement to leave: the EMC shows them
  }

  private static Delivery due(
      String meId, String emcId, long emcSeq, String caseId, String pledgeId, HelpStep step, long amount, String currency, java.time.Instant when) {
    return new HelpDue(meId, new HelpNote(emcId, emcSeq, caseId, pledgeId, step, amount, currency, when));
  }
}
