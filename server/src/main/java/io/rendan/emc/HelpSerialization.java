package io.rendan.emc;

import static io.rendan.emc.EmcSerializer.instant;
import static io.rendan.emc.EmcSerializer.ts;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rendan.emc.HelpCases.AdvanceRepaid;
import io.rendan.emc.HelpCases.CaseStatus;
import io.rendan.emc.HelpCases.Cases;
import io.rendan.emc.HelpCases.HelpCase;
import io.rendan.emc.HelpCases.HelpCaseClosed;
import io.rendan.emc.HelpCases.HelpCaseOpened;
import io.rendan.emc.HelpCases.HelpDelivered;
import io.rendan.emc.HelpCases.HelpPledgeAnswered;
import io.rendan.emc.HelpCases.HelpPledged;
import io.rendan.emc.HelpCases.Kind;
import io.rendan.emc.HelpCases.LeaveAgreed;
import io.rendan.emc.HelpCases.Pledge;
import io.rendan.emc.HelpCases.PledgeStatus;
import io.rendan.emc.HelpCases.Shortfall;
import io.rendan.protocol.persistence.v1.EmcSnapshot;
import io.rendan.protocol.persistence.v1.HelpKind;
import io.rendan.protocol.persistence.v1.StoredHelpCase;
import io.rendan.protocol.persistence.v1.StoredPledge;
import io.rendan.protocol.persistence.v1.StoredShortfall;
import io.rendan.vocabulary.StoredVocabulary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The stored form of help cases (EmcSerializer hands their events and snapshot part here). */
final class HelpSerialization {
  static final String CASE_OPENED = "emc.help-case-opened";
  static final String PLEDGED = "emc.help-pledged";
  static final String PLEDGE_ANSWERED = "emc.help-pledge-answered";
  static final String DELIVERED = "emc.help-delivered";
  static final String ADVANCE_REPAID = "emc.advance-repaid";
  static final String CASE_CLOSED = "emc.help-case-closed";
  static final String LEAVE_AGREED = "emc.leave-agreed";
  static final Set<String> MANIFESTS = Set.of(CASE_OPENED, PLEDGED, PLEDGE_ANSWERED, DELIVERED, ADVANCE_REPAID, CASE_CLOSED, LEAVE_AGREED);

  private HelpSerialization() {}

  static String manifest(Object o) {
    if (o instanceof HelpCaseOpened) return CASE_OPENED;
    if (o instanceof HelpPledged) return PLEDGED;
    if (o instanceof HelpPledgeAnswered) return PLEDGE_ANSWERED;
    if (o instanceof HelpDelivered) return DELIVERED;
    if (o instanceof AdvanceRepaid) return ADVANCE_REPAID;
    if (o instanceof HelpCaseClosed) return CASE_CLOSED;
    if (o instanceof LeaveAgreed) return LEAVE_AGREED;
    return null;
  }

  static byte[] toBinary(Object o) {
    if (o instanceof HelpCaseOpened e) {
      return io.rendan.protocol.persistence.v1.EmcHelpCaseOpened.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setMeId(e.meId()).setHelpPeriods(e.helpPeriods())
          .setShortfall(shortfall(e.shortfall())).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof HelpPledged e) {
      return io.rendan.protocol.persistence.v1.EmcHelpPledged.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setPledgeId(e.pledgeId()).setHelperMeId(e.helperMeId())
          .setHelpedMeId(e.helpedMeId()).setKind(kind(e.kind())).setDescription(e.description())
          .setAmountMinor(e.amountMinor()).setRepayBps(e.repayBps()).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof HelpPledgeAnswered e) {
      return io.rendan.protocol.persistence.v1.EmcHelpPledgeAnswered.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setPledgeId(e.pledgeId()).setHelperMeId(e.helperMeId())
          .setHelpedMeId(e.helpedMeId()).setAccepted(e.accepted()).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof HelpDelivered e) {
      return io.rendan.protocol.persistence.v1.EmcHelpDelivered.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setPledgeId(e.pledgeId()).setHelperMeId(e.helperMeId())
          .setHelpedMeId(e.helpedMeId()).setKind(kind(e.kind())).setAmountMinor(e.amountMinor())
          .setCurrency(e.currency()).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof AdvanceRepaid e) {
      return io.rendan.protocol.persistence.v1.EmcAdvanceRepaid.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setPledgeId(e.pledgeId()).setHelperMeId(e.helperMeId())
          .setHelpedMeId(e.helpedMeId()).setRevenueId(e.revenueId()).setAmountMinor(e.amountMinor())
          .setCurrency(e.currency()).setAt(ts(e.at())).setEarnedAt(ts(e.earnedAt())).build().toByteArray();
    }
    if (o instanceof HelpCaseClosed e) {
      return io.rendan.protocol.persistence.v1.EmcHelpCaseClosed.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setMeId(e.meId()).setOutcome(status(e.outcome()))
          .addAllHelperMeIds(e.helperMeIds()).setAt(ts(e.at())).build().toByteArray();
    }
    if (o instanceof LeaveAgreed e) {
      return io.rendan.protocol.persistence.v1.EmcLeaveAgreed.newBuilder()
          .setEmcId(e.emcId()).setCaseId(e.caseId()).setMeId(e.meId()).setAt(ts(e.at())).build().toByteArray();
    }
    throw new IllegalArgumentException("not a help event: " + o.getClass());
  }

  static Object fromBinary(byte[] bytes, String manifest) throws InvalidProtocolBufferException {
    return switch (manifest) {
      case CASE_OPENED -> {
        var p = io.rendan.protocol.persistence.v1.EmcHelpCaseOpened.parseFrom(bytes);
        yield new HelpCaseOpened(p.getEmcId(), p.getCaseId(), p.getMeId(), p.getHelpPeriods(), shortfall(p.getShortfall()), instant(p.getAt()));
      }
      case PLEDGED -> {
        var p = io.rendan.protocol.persistence.v1.EmcHelpPledged.parseFrom(bytes);
        yield new HelpPledged(
            p.getEmcId(), p.getCaseId(), p.getPledgeId(), p.getHelperMeId(), p.getHelpedMeId(), kind(p.getKind()),
            p.getDescription(), p.getAmountMinor(), p.getRepayBps(), instant(p.getAt()));
      }
      case PLEDGE_ANSWERED -> {
        var p = io.rendan.protocol.persistence.v1.EmcHelpPledgeAnswered.parseFrom(bytes);
        yield new HelpPledgeAnswered(
            p.getEmcId(), p.getCaseId(), p.getPledgeId(), p.getHelperMeId(), p.getHelpedMeId(), p.getAccepted(), instant(p.getAt()));
      }
      case DELIVERED -> {
        var p = io.rendan.protocol.persistence.v1.EmcHelpDelivered.parseFrom(bytes);
        yield new HelpDelivered(
            p.getEmcId(), p.getCaseId(), p.getPledgeId(), p.getHelperMeId(), p.getHelpedMeId(), kind(p.getKind()),
            p.getAmountMinor(), p.getCurrency(), instant(p.getAt()));
      }
      case ADVANCE_REPAID -> {
        var p = io.rendan.protocol.persistence.v1.EmcAdvanceRepaid.parseFrom(bytes);
        yield new AdvanceRepaid(
            p.getEmcId(), p.getCaseId(), p.getPledgeId(), p.getHelperMeId(), p.getHelpedMeId(), p.getRevenueId(),
            p.getAmountMinor(), p.getCurrency(), instant(p.getAt()), instant(p.getEarnedAt()));
      }
      case CASE_CLOSED -> {
        var p = io.rendan.protocol.persistence.v1.EmcHelpCaseClosed.parseFrom(bytes);
        yield new HelpCaseClosed(p.getEmcId(), p.getCaseId(), p.getMeId(), status(p.getOutcome()), List.copyOf(p.getHelperMeIdsList()), instant(p.getAt()));
      }
      case LEAVE_AGREED -> {
        var p = io.rendan.protocol.persistence.v1.EmcLeaveAgreed.parseFrom(bytes);
        yield new LeaveAgreed(p.getEmcId(), p.getCaseId(), p.getMeId(), instant(p.getAt()));
      }
      default -> throw new IllegalArgumentException("not a help manifest: " + manifest);
    };
  }

  static void addTo(EmcSnapshot.Builder b, Cases cases) {
    for (HelpCase c : cases.cases().values()) {
      StoredHelpCase.Builder cb =
          StoredHelpCase.newBuilder()
              .setCaseId(c.caseId())
              .setMeId(c.meId())
              .setHelpPeriods(c.helpPeriods())
              .setStatus(status(c.status()))
              .setLeaveAgreed(c.leaveAgreed())
              .setOpenedAt(ts(c.openedAt()));
      if (c.closedAt() != null) {
        cb.setClosedAt(ts(c.closedAt()));
      }
      c.shortfalls().forEach(s -> cb.addShortfalls(shortfall(s)));
      for (Pledge p : c.pledges().values()) {
        cb.addPledges(
            StoredPledge.newBuilder()
                .setPledgeId(p.pledgeId())
                .setHelperMeId(p.helperMeId())
                .setKind(kind(p.kind()))
                .setDescription(p.description())
                .setAmountMinor(p.amountMinor())
                .setRepayBps(p.repayBps())
                .setStatus(StoredPledge.Status.forNumber(p.status().ordinal() + 1))
                .setRepaidMinor(p.repaidMinor())
                .setAt(ts(p.at())));
      }
      b.addHelpCases(cb);
    }
  }

  /** The cases of a snapshot; case ids are "case-N", so the count opened is the largest N. */
  static Cases cases(EmcSnapshot p) {
    Map<String, HelpCase> cases = new LinkedHashMap<>();
    int opened = 0;
    for (StoredHelpCase c : p.getHelpCasesList()) {
      List<Shortfall> shortfalls = new ArrayList<>();
      c.getShortfallsList().forEach(s -> shortfalls.add(shortfall(s)));
      Map<String, Pledge> pledges = new LinkedHashMap<>();
      for (StoredPledge sp : c.getPledgesList()) {
        if (sp.getStatus() == StoredPledge.Status.STATUS_UNSPECIFIED || sp.getStatus() == StoredPledge.Status.UNRECOGNIZED) {
          throw new IllegalArgumentException("stored pledge status " + sp.getStatus());
        }
        pledges.put(
            sp.getPledgeId(),
            new Pledge(
                sp.getPledgeId(), sp.getHelperMeId(), kind(sp.getKind()), sp.getDescription(), sp.getAmountMinor(), sp.getRepayBps(),
                PledgeStatus.values()[sp.getStatus().getNumber() - 1], sp.getRepaidMinor(), instant(sp.getAt())));
      }
      cases.put(
          c.getCaseId(),
          new HelpCase(
              c.getCaseId(), c.getMeId(), c.getHelpPeriods(), status(c.getStatus()), c.getLeaveAgreed(), shortfalls, pledges,
              instant(c.getOpenedAt()), c.hasClosedAt() ? instant(c.getClosedAt()) : null));
      opened = Math.max(opened, Integer.parseInt(c.getCaseId().substring("case-".length())));
    }
    return new Cases(cases, opened);
  }

  private static StoredShortfall shortfall(Shortfall s) {
    return StoredShortfall.newBuilder()
        .setPeriod(s.period())
        .setMetric(StoredVocabulary.metric(s.metric()))
        .setTarget(s.target())
        .setAchieved(s.achieved())
        .build();
  }

  private static Shortfall shortfall(StoredShortfall s) {
    return new Shortfall(s.getPeriod(), StoredVocabulary.metric(s.getMetric()), s.getTarget(), s.getAchieved());
  }

  static HelpKind kind(Kind k) {
    return HelpKind.forNumber(k.ordinal() + 1);
  }

  static Kind kind(HelpKind k) {
    if (k == HelpKind.HELP_KIND_UNSPECIFIED || k == HelpKind.UNRECOGNIZED) {
      throw new IllegalArgumentException("stored help kind " + k);
    }
    return Kind.values()[k.getNumber() - 1];
  }

  static StoredHelpCase.Status status(CaseStatus s) {
    return StoredHelpCase.Status.forNumber(s.ordinal() + 1);
  }

  static CaseStatus status(StoredHelpCase.Status s) {
    if (s == StoredHelpCase.Status.STATUS_UNSPECIFIED || s == StoredHelpCase.Status.UNRECOGNIZED) {
      throw new IllegalArgumentException("stored help case status " + s);
    }
    return CaseStatus.values()[s.getNumber() - 1];
  }
}
