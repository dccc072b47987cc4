package io.rendan.emc;

import static io.rendan.emc.EmcMembership.MAX_BPS;

import io.rendan.emc.EmcAccounts.Tally;
import io.rendan.emc.EmcAccounts.TargetResult;
import io.rendan.emc.EmcEvents.Event;
import io.rendan.emc.EmcEvents.PeriodClosed;
import io.rendan.emc.EmcEvents.PeriodValueReported;
import io.rendan.emc.EmcEvents.RevenueShared;
import io.rendan.emc.EmcMembership.Contract;
import io.rendan.emc.EmcMembership.Member;
import io.rendan.emc.EmcMembership.Terms;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.ClosePeriod;
import io.rendan.emc.EmcProtocol.RecordRevenue;
import io.rendan.emc.EmcProtocol.ReportPeriodValue;
import io.rendan.vocabulary.CommonCodes;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The money commands of a started EMC: revenue recorded and split by the
 * contracts in force when it was earned (refunds by the split they refund),
 * members' own figures for a period, and a period closed with every target
 * evaluated. Answers through {@link EmcEntity}'s effects.
 */
final class RevenueRules {
  private final EmcEntity entity;
  private final String emcId;
  private final EmcSettings settings;
  private final Clock clock;

  RevenueRules(EmcEntity entity, String emcId, EmcSettings settings, Clock clock) {
    this.entity = entity;
    this.emcId = emcId;
    this.settings = settings;
    this.clock = clock;
  }

  ReplyEffect<Event, EmcState> recordRevenue(EmcState state, RecordRevenue cmd) {
    RevenueShared known = state.accounts().revenues().get(cmd.revenueId());
    if (known != null) {
      return known.sameAs(cmd)
          ? entity.effect().reply(cmd.replyTo(), new Accepted(state, false))
          : entity.reject(cmd.replyTo(), EmcCodes.REVENUE_CONFLICT, "revenue " + cmd.revenueId() + " was recorded with other content");
    }
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    if (!cmd.currency().equals(entity.currency(state))) {
      return entity.reject(
          cmd.replyTo(), EmcCodes.CURRENCY_MISMATCH, "the EMC keeps its books in " + entity.currency(state) + ", not " + cmd.currency());
    }
    Instant now = clock.instant();
    Instant keepSince = now.minus(settings.revenueWindow());
    List<RevenueSplit.Party> parties;
    Instant earnedAt;
    if (cmd.refundOf() != null) {
      // A refund flows back through the split of the revenue it refunds.
      RevenueShared original = state.accounts().revenues().get(cmd.refundOf());
      if (original == null || original.refundOf() != null) {
        return entity.reject(cmd.replyTo(), EmcCodes.REVENUE_NOT_FOUND, "no revenue " + cmd.refundOf() + " to refund within the window");
      }
      long refunded =
          state.accounts().revenues().values().stream()
              .filter(r -> cmd.refundOf().equals(r.refundOf()))
              .mapToLong(RevenueShared::amountMinor)
              .sum();
      if (cmd.amountMinor() >= 0 || original.amountMinor() + refunded + cmd.amountMinor() < 0) {
        return entity.reject(
            cmd.replyTo(),
            CommonCodes.REQUEST_INVALID,
            "a refund is negative and at most what is left of the revenue: " + (original.amountMinor() + refunded));
      }
      parties =
          original.parts().stream()
              .map(p -> new RevenueSplit.Party(p.meId(), p.shareBps(), p.contractVersion(), p.owner(), p.emcMember()))
              .toList();
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
    } else {
      if (cmd.amountMinor() <= 0) {
        return entity.reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "amountMinor must be positive; give money back with refundOf");
      }
      earnedAt = cmd.earnedAt() == null ? now : cmd.earnedAt();
      parties = null;
    }
    if (earnedAt.isAfter(now)) {
      return entity.reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is in the future");
    }
    if (earnedAt.isBefore(state.createdAt())) {
      return entity.reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "earnedAt is before the EMC started");
    }
    if (earnedAt.isBefore(keepSince)) {
      return entity.reject(
          cmd.replyTo(),
          EmcCodes.REVENUE_TOO_OLD,
          "revenue earned more than " + settings.revenueWindow().toDays() + " days ago can no longer be recorded");
    }
    YearMonth period = YearMonth.from(earnedAt.atOffset(ZoneOffset.UTC));
    if (state.isClosed(period)) {
      return entity.reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (cmd.attributedMeId() != null && state.partiesAt(earnedAt).stream().noneMatch(p -> p.meId().equals(cmd.attributedMeId()))) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.attributedMeId() + " was not a member when it was earned");
    }
    if (parties == null) {
      parties = state.partiesAt(earnedAt);
    }
    if (parties.stream().anyMatch(p -> p.shareBps() < 0)) {
      // Cannot happen while every change keeps shares within 10 000 bps.
      return entity.reject(cmd.replyTo(), EmcCodes.SHARE_EXCEEDED, "shares in force at " + earnedAt + " exceed " + MAX_BPS);
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
            keepSince,
            cmd.passedFrom());
    return entity.persistWithHelp(event, "emc.revenue-shared", HelpRules.repayments(state, event), cmd.replyTo(), true);
  }

  ReplyEffect<Event, EmcState> reportPeriodValue(EmcState state, ReportPeriodValue cmd) {
    Member member = state.members().get(cmd.meId());
    if (member == null || member.owner()) {
      return entity.reject(cmd.replyTo(), EmcCodes.MEMBER_NOT_FOUND, cmd.meId() + " is not a member with a contract");
    }
    if (!cmd.actingMeId().equals(cmd.meId())) {
      return entity.reject(cmd.replyTo(), EmcCodes.NOT_MEMBER, "only the member reports its own value");
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return entity.reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is closed");
    }
    if (period.isAfter(YearMonth.from(clock.instant().atOffset(ZoneOffset.UTC)))) {
      return entity.reject(cmd.replyTo(), CommonCodes.REQUEST_INVALID, "period " + period + " has not begun");
    }
    return entity.persist(
        new PeriodValueReported(emcId, cmd.period(), cmd.meId(), cmd.value(), clock.instant()),
        "emc.period-value-reported",
        cmd.replyTo(),
        false);
  }

  ReplyEffect<Event, EmcState> closePeriod(EmcState state, ClosePeriod cmd) {
    if (!cmd.actingMeId().equals(state.ownerMeId())) {
      return entity.notOwner(cmd.replyTo());
    }
    YearMonth period = YearMonth.parse(cmd.period());
    if (state.isClosed(period)) {
      return entity.reject(cmd.replyTo(), EmcCodes.PERIOD_CLOSED, "period " + period + " is already closed");
    }
    YearMonth next = state.nextPeriodToClose();
    Instant end = period.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    if (!period.equals(next) || clock.instant().isBefore(end)) {
      return entity.reject(
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
      Optional<Contract> contract = EmcState.contractAt(m.history(), last);
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
    return entity.persistWithHelp(closed, "emc.period-closed", HelpRules.afterPeriod(state, closed), cmd.replyTo(), false);
  }
}
