package io.rendan.emc;

import static io.rendan.emc.EmcChecks.checkCurrency;
import static io.rendan.emc.EmcChecks.checkId;
import static io.rendan.emc.EmcChecks.checkPeriod;
import static io.rendan.emc.EmcChecks.checkText;
import static io.rendan.emc.EmcChecks.invalid;
import static io.rendan.emc.EmcViews.toProto;

import io.rendan.auth.Caller;
import io.rendan.emc.EmcProtocol.Command;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.http.ApiException;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.ClosePeriodRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.RecordRevenueRequest;
import io.rendan.protocol.api.v1.ReportPeriodValueRequest;
import io.rendan.protocol.api.v1.Revenue;
import io.rendan.vocabulary.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * An EMC's books, shared by {@link EmcRoutes}, {@link RevenuePassOn} and the
 * appliances' metering: revenue recorded by the owner, passed on from an outer
 * EMC or metered by an appliance, and the periods whose targets the members are
 * measured against. Like {@link EmcApi} it establishes which ME the caller acts
 * for and leaves the rules to {@link RevenueRules}.
 */
public final class RevenueApi {
  private final EmcApi emcApi;
  private final MeApi meApi;

  RevenueApi(EmcApi emcApi, MeApi meApi) {
    this.emcApi = emcApi;
    this.meApi = meApi;
  }

  /**
   * Records revenue (operators of the owner): answers the split, the same one for
   * a repeat of the same revenue id and content.
   */
  public CompletionStage<Revenue> recordRevenue(Caller caller, RecordRevenueRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String revenueId = checkId("revenueId", request.getRevenueId());
    long amount = request.getAmountMinor();
    if (amount == 0 || amount > RevenueSplit.MAX_AMOUNT || amount < -RevenueSplit.MAX_AMOUNT) {
      throw invalid("amountMinor must be non-zero and at most " + RevenueSplit.MAX_AMOUNT + " in size");
    }
    String currency = checkCurrency(request.getCurrency());
    String source = checkText("source", request.getSource());
    Instant earnedAt = request.hasEarnedAt() ? Timestamps.instant(request.getEarnedAt()) : null;
    if (request.getUnits() < 0) {
      throw invalid("units must not be negative");
    }
    String attributed = request.getAttributedMeId().isEmpty() ? null : checkId("attributedMeId", request.getAttributedMeId());
    String refundOf = request.getRefundOf().isEmpty() ? null : checkId("refundOf", request.getRefundOf());
    // as asOwner, with the balance check between the owner check and the write
    return emcApi
        .current(emcId)
        .thenCompose(
            state ->
                meApi
                    .requireOperator(caller, state.ownerMeId(), EmcCodes.NOT_OWNER, "only operators of the owner ME may do this")
                    .thenCompose(owner -> refuseOverLimit(state, revenueId, amount, currency, earnedAt))
                    .thenCompose(
                        checked ->
                            emcApi.askAgain( // by its revenue id: the same revenue again is answered with its split
                                emcId,
                                replyTo ->
                                    new EmcProtocol.RecordRevenue(
                                        revenueId, amount, currency, source, earnedAt, request.getUnits(), attributed, refundOf,
                                        state.ownerMeId(), replyTo))))
        .thenApply(a -> toProto(a.emc().accounts().revenues().get(revenueId)));
  }

  /**
   * Refuses, before anything is stored, revenue whose split would take a party's
   * ledger balance past the limit: a credit an ME cannot hold must never be
   * acknowledged, or its delivery could never complete. Every part is at most the
   * amount times the party's share, plus one minor unit of rounding. A repeat of a
   * recorded revenue id is not checked again (its credit is in the balance
   * already); refunds lower balances.
   */
  private CompletionStage<Void> refuseOverLimit(
      EmcState emc, String revenueId, long amount, String currency, Instant earnedAt) {
    if (amount <= 0 || emc.accounts().revenues().containsKey(revenueId) || emc.ownerMeId() == null) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<Void>> checks = new ArrayList<>();
    for (RevenueSplit.Party party : emc.partiesAt(earnedAt == null ? emcApi.clock().instant() : earnedAt)) {
      if (party.shareBps() <= 0) {
        continue;
      }
      long most = amount * party.shareBps() / RevenueSplit.TOTAL_BPS + 1; // amount ≤ MAX_AMOUNT: no overflow
      checks.add(
          meApi
              .current(party.meId())
              .<Void>handle(
                  (me, failure) -> {
                    if (failure != null) {
                      return null; // an ME that does not exist gets no credit
                    }
                    long balance = me.balances().getOrDefault(currency, 0L);
                    if (balance > emcApi.limits().maxBalance() - most) {
                      throw new ApiException(
                          EmcCodes.REVENUE_OVER_LIMIT,
                          "this revenue would take the " + currency + " balance of ME " + party.meId() + " past "
                              + emcApi.limits().maxBalance() + " minor units");
                    }
                    return null;
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new));
  }

  /**
   * Revenue that an appliance of the EMC metered (a finished paid cycle), recorded
   * as the owner: delivered at least once, counted once by its revenue id.
   * Completes with the EMC's refusal code (period closed, currency, ...), or null.
   */
  public CompletionStage<String> recordMeteredRevenue(
      String emcId, String revenueId, long amountMinor, String currency, String source, Instant earnedAt) {
    return recordAsOwner(emcId, owner -> replyTo ->
        new EmcProtocol.RecordRevenue(revenueId, amountMinor, currency, source, earnedAt, 1, null, null, owner, replyTo));
  }

  /**
   * The part of an outer EMC's revenue for the seat {@code emcId} holds there,
   * recorded in {@code emcId} as the owner and split again by its own contracts
   * (a refund by the split of the revenue it refunds): delivered at least once by
   * {@link RevenuePassOn}, counted once by its revenue id. Completes like
   * {@link #recordMeteredRevenue}.
   */
  public CompletionStage<String> recordPassedOnRevenue(
      String emcId,
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      long units,
      String refundOf,
      RevenueSplit.PassedFrom passedFrom) {
    return recordAsOwner(emcId, owner -> replyTo ->
        new EmcProtocol.RecordRevenue(revenueId, amountMinor, currency, source, earnedAt, units, null, refundOf, owner, passedFrom, replyTo));
  }

  private CompletionStage<String> recordAsOwner(
      String emcId, Function<String, Function<ActorRef<Reply>, Command>> command) {
    return EmcApi.refusalCode(emcApi.current(emcId).thenCompose(state -> emcApi.ask(emcId, command.apply(state.ownerMeId()))));
  }

  /**
   * A member reports its own value of a period (for UPTIME and REPORTED targets):
   * an ME through its operators, a seat held by an EMC through the operators of
   * that EMC's owner ({@link EmcUnit#requireMemberOperator}), so that the seat's
   * target is evaluated on what the EMC reported, as an ME's is.
   */
  public CompletionStage<Emc> reportPeriodValue(Caller caller, ReportPeriodValueRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String period = checkPeriod(request.getPeriod());
    String meId = checkId("meId", request.getMeId());
    if (request.getValue() < 0) {
      throw invalid("value must not be negative");
    }
    return emcApi
        .current(emcId)
        .thenCompose(state -> emcApi.asUnit().requireMemberOperator(caller, state, meId))
        .thenCompose(acting -> emcApi.ask(emcId, replyTo -> new EmcProtocol.ReportPeriodValue(period, meId, request.getValue(), meId, replyTo)))
        .thenApply(emcApi::view);
  }

  /** The owner closes a period: every member's target is evaluated; the EMC shows who is at risk. */
  public CompletionStage<Emc> closePeriod(Caller caller, ClosePeriodRequest request) {
    String emcId = checkId("emcId", request.getEmcId());
    String period = checkPeriod(request.getPeriod());
    return emcApi.access().asOwner(caller, emcId, owner -> replyTo -> new EmcProtocol.ClosePeriod(period, owner, replyTo)).thenApply(emcApi::view);
  }
}
