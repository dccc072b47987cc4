package io.rendan.emc;

import com.google.protobuf.Timestamp;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.AgreeToLeaveRequest;
import io.rendan.protocol.api.v1.AnswerPledgeRequest;
import io.rendan.protocol.api.v1.DeliverHelpRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.HelpCase;
import io.rendan.protocol.api.v1.Pledge;
import io.rendan.protocol.api.v1.PledgeHelpRequest;
import io.rendan.protocol.api.v1.Shortfall;
import io.rendan.protocol.api.v1.Target;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * What clients do with help cases, shared by {@link HelpRoutes} and the
 * WebSocket session: it establishes that the caller operates the ME it acts for
 * (the helper, or the helped member) and leaves the rules to {@link HelpCases}.
 */
public final class HelpApi {
  /** Pledge ids are short: they key ledger entries ("advance:" + id) of at most 64 characters. */
  private static final Pattern PLEDGE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,39}");

  private final EmcApi emcApi;
  private final MeApi meApi;

  HelpApi(EmcApi emcApi, MeApi meApi) {
    this.emcApi = emcApi;
    this.meApi = meApi;
  }

  /** A member pledges help on a case (operators of {@code helperMeId}). */
  public CompletionStage<EmcApi.Started> pledge(Caller caller, PledgeHelpRequest request) {
    String emcId = EmcChecks.checkId("emcId", request.getEmcId());
    String caseId = EmcChecks.checkId("caseId", request.getCaseId());
    String pledgeId = request.getPledgeId().isEmpty() ? UUID.randomUUID().toString() : request.getPledgeId();
    if (!PLEDGE_ID.matcher(pledgeId).matches()) {
      throw invalid("pledgeId must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit");
    }
    String helper = EmcChecks.checkId("helperMeId", request.getHelperMeId());
    HelpCases.Kind kind =
        switch (request.getKind()) {
          case KNOWLEDGE -> HelpCases.Kind.KNOWLEDGE;
          case STAFF -> HelpCases.Kind.STAFF;
          case RESOURCES -> HelpCases.Kind.RESOURCES;
          case ADVANCE -> HelpCases.Kind.ADVANCE;
          case INTRODUCTION -> HelpCases.Kind.INTRODUCTION;
          default -> throw invalid("kind is required: KNOWLEDGE, STAFF, RESOURCES, ADVANCE or INTRODUCTION");
        };
    String description = request.getDescription().strip();
    if (description.isEmpty() || description.length() > HelpCases.MAX_DESCRIPTION || description.chars().anyMatch(Character::isISOControl)) {
      throw invalid("description is required: 1 to " + HelpCases.MAX_DESCRIPTION + " characters, no control characters");
    }
    long amount = request.getAmountMinor();
    if (kind == HelpCases.Kind.ADVANCE ? amount <= 0 || amount > RevenueSplit.MAX_AMOUNT : amount != 0) {
      throw invalid("an ADVANCE needs a positive amountMinor (at most " + RevenueSplit.MAX_AMOUNT + "); other kinds none");
    }
    int repayBps = request.getRepayBps();
    if (repayBps < 0 || repayBps > EmcMembership.MAX_BPS || (kind != HelpCases.Kind.ADVANCE && repayBps != 0)) {
      throw invalid("repayBps is for an ADVANCE only: 1 to 10 000 (0: 10 000)");
    }
    return meApi
        .requireOperator(caller, helper)
        .thenCompose(
            me ->
                emcApi.ask(
                    emcId,
                    replyTo -> new HelpCases.PledgeHelp(caseId, pledgeId, kind, description, amount, repayBps, helper, replyTo)))
        .thenApply(a -> new EmcApi.Started(emcApi.view(a), a.created()));
  }

  /** The helped member accepts or declines a pledge. */
  public CompletionStage<Emc> answer(Caller caller, AnswerPledgeRequest request) {
    String emcId = EmcChecks.checkId("emcId", request.getEmcId());
    String caseId = EmcChecks.checkId("caseId", request.getCaseId());
    String pledgeId = EmcChecks.checkId("pledgeId", request.getPledgeId());
    return asHelped(caller, emcId, caseId)
        .thenCompose(helped -> emcApi.ask(emcId, replyTo -> new HelpCases.AnswerPledge(caseId, pledgeId, request.getAccept(), helped, replyTo)))
        .thenApply(emcApi::view);
  }

  /** The helper marks its accepted pledge delivered; an advance moves its money then. */
  public CompletionStage<Emc> deliver(Caller caller, DeliverHelpRequest request) {
    String emcId = EmcChecks.checkId("emcId", request.getEmcId());
    String caseId = EmcChecks.checkId("caseId", request.getCaseId());
    String pledgeId = EmcChecks.checkId("pledgeId", request.getPledgeId());
    return emcApi
        .current(emcId)
        .thenCompose(
            state -> {
              HelpCases.HelpCase c = state.help().cases().get(caseId);
              HelpCases.Pledge p = c == null ? null : c.pledges().get(pledgeId);
              if (p == null) {
                throw new ApiException(
                    c == null ? EmcCodes.HELP_CASE_NOT_FOUND : EmcCodes.HELP_PLEDGE_NOT_FOUND, "no pledge " + pledgeId + " on case " + caseId);
              }
              return meApi
                  .requireOperator(caller, p.helperMeId(), EmcCodes.HELP_NOT_HELPER, "only operators of the helper deliver its pledge")
                  .thenCompose(
                      helper -> {
                        // an advance is paid from the helper's balance: never into the red (a delivered one answers as before)
                        long balance = helper.balances().getOrDefault(state.accounts().currency(), 0L);
                        if (p.kind() == HelpCases.Kind.ADVANCE && p.status() == HelpCases.PledgeStatus.ACCEPTED && p.amountMinor() > balance) {
                          throw new ApiException(
                              EmcCodes.HELP_ADVANCE_EXCEEDS_BALANCE,
                              "an advance of " + p.amountMinor() + " exceeds the balance of " + p.helperMeId() + " (" + balance + " "
                                  + state.accounts().currency() + ")");
                        }
                        return emcApi.ask(emcId, replyTo -> new HelpCases.DeliverHelp(caseId, pledgeId, p.helperMeId(), replyTo));
                      });
            })
        .thenApply(emcApi::view);
  }

  /** The helped member agrees to give up its seat: the owner may replace it before the case fails. */
  public CompletionStage<Emc> agreeToLeave(Caller caller, AgreeToLeaveRequest request) {
    String emcId = EmcChecks.checkId("emcId", request.getEmcId());
    String caseId = EmcChecks.checkId("caseId", request.getCaseId());
    return asHelped(caller, emcId, caseId)
        .thenCompose(helped -> emcApi.ask(emcId, replyTo -> new HelpCases.AgreeToLeave(caseId, helped, replyTo)))
        .thenApply(emcApi::view);
  }

  /** The helped member of the case, if the caller operates it. */
  private CompletionStage<String> asHelped(Caller caller, String emcId, String caseId) {
    return emcApi
        .current(emcId)
        .thenCompose(
            state -> {
              HelpCases.HelpCase c = state.help().cases().get(caseId);
              if (c == null) {
                throw new ApiException(EmcCodes.HELP_CASE_NOT_FOUND, "no help case " + caseId);
              }
              return meApi
                  .requireOperator(caller, c.meId(), EmcCodes.HELP_NOT_HELPED, "only operators of the helped member may do this")
                  .thenApply(me -> c.meId());
            });
  }

  static HelpCase toProto(HelpCases.HelpCase c) {
    HelpCase.Builder b =
        HelpCase.newBuilder()
            .setCaseId(c.caseId())
            .setMeId(c.meId())
            .setStatus(HelpCase.Status.valueOf(c.status().name()))
            .setHelpPeriods(c.helpPeriods())
            .setLeaveAgreed(c.leaveAgreed())
            .setOpenedAt(ts(c.openedAt()))
            .setOutstandingMinor(c.outstanding());
    if (c.closedAt() != null) {
      b.setClosedAt(ts(c.closedAt()));
    }
    for (HelpCases.Shortfall s : c.shortfalls()) {
      b.addShortfalls(
          Shortfall.newBuilder()
              .setPeriod(s.period())
              .setMetric(Target.Metric.valueOf(s.metric().name()))
              .setTarget(s.target())
              .setAchieved(s.achieved())
              .setShortBy(s.shortBy()));
    }
    for (HelpCases.Pledge p : c.pledges().values()) {
      b.addPledges(
          Pledge.newBuilder()
              .setPledgeId(p.pledgeId())
              .setHelperMeId(p.helperMeId())
              .setKind(Pledge.Kind.valueOf(p.kind().name()))
              .setDescription(p.description())
              .setAmountMinor(p.amountMinor())
              .setRepayBps(p.kind() == HelpCases.Kind.ADVANCE && p.repayBps() == 0 ? EmcMembership.MAX_BPS : p.repayBps())
              .setStatus(Pledge.Status.valueOf(p.status().name()))
              .setRepaidMinor(p.repaidMinor())
              .setPledgedAt(ts(p.at())));
    }
    return b.build();
  }

  private static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  private static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }
}
