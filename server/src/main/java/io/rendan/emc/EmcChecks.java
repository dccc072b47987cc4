package io.rendan.emc;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Terms;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;

/**
 * What EMC requests must hold before anything is asked of an entity: ids, texts,
 * roles, sides, contract terms, currencies and periods. Each check returns the
 * value as the entity takes it or throws {@code request:invalid}.
 */
public final class EmcChecks {
  private static final int MAX_TEXT = 200;
  private static final int MAX_ROLE = 64;
  private static final int DEFAULT_MISSED_PERIOD_LIMIT = 3;
  private static final int MAX_MISSED_PERIOD_LIMIT = 24;

  private EmcChecks() {}

  static String checkId(String field, String id) {
    return io.rendan.http.Ids.check(field, id);
  }

  static String checkText(String field, String value) {
    String trimmed = value.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_TEXT || trimmed.chars().anyMatch(Character::isISOControl)) {
      throw invalid(field + " is required: 1 to " + MAX_TEXT + " characters, no control characters");
    }
    return trimmed;
  }

  static String checkRole(String role) {
    String trimmed = role.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_ROLE || trimmed.chars().anyMatch(Character::isISOControl)) {
      throw invalid("role is required: 1 to " + MAX_ROLE + " characters");
    }
    return trimmed;
  }

  static Side side(String field, Member.Side side) {
    return switch (side) {
      case EXPERIENCE -> Side.EXPERIENCE;
      case SOLUTION -> Side.SOLUTION;
      default -> throw invalid(field + " is required: EXPERIENCE or SOLUTION");
    };
  }

  static EmcMembership.Terms terms(Terms terms) {
    return checkTerms(terms, "terms");
  }

  /** Contract terms as a request gives them; {@code field} names them in messages. */
  public static EmcMembership.Terms checkTerms(Terms terms, String field) {
    if (terms.getShareBps() < 0 || terms.getShareBps() > EmcMembership.MAX_BPS) {
      throw invalid(field + ".shareBps must be between 0 and " + EmcMembership.MAX_BPS);
    }
    if (!terms.hasTarget()) {
      throw invalid(field + ".target is required: a metric and an amount per month");
    }
    Metric metric =
        switch (terms.getTarget().getMetric()) {
          case REVENUE -> Metric.REVENUE;
          case CYCLES -> Metric.CYCLES;
          case UPTIME -> Metric.UPTIME;
          case REPORTED -> Metric.REPORTED;
          default -> throw invalid(field + ".target.metric is required: REVENUE, CYCLES, UPTIME or REPORTED");
        };
    if (terms.getTarget().getAmount() < 0) {
      throw invalid(field + ".target.amount must not be negative");
    }
    if (metric == Metric.UPTIME && terms.getTarget().getAmount() > EmcMembership.MAX_BPS) {
      throw invalid("an UPTIME target is in basis points: at most " + EmcMembership.MAX_BPS);
    }
    int limit = terms.getMissedPeriodLimit();
    if (limit < 0 || limit > MAX_MISSED_PERIOD_LIMIT) {
      throw invalid(field + ".missedPeriodLimit must be between 1 and " + MAX_MISSED_PERIOD_LIMIT + " (0 means 3)");
    }
    int helpPeriods = terms.getHelpPeriods();
    if (helpPeriods < 0 || helpPeriods > MAX_MISSED_PERIOD_LIMIT) {
      throw invalid(field + ".helpPeriods must be between 1 and " + MAX_MISSED_PERIOD_LIMIT + " (0 means 1)");
    }
    return new EmcMembership.Terms(
        terms.getShareBps(),
        new io.rendan.vocabulary.Target(metric, terms.getTarget().getAmount()),
        limit == 0 ? DEFAULT_MISSED_PERIOD_LIMIT : limit,
        helpPeriods == 1 ? 0 : helpPeriods);
  }

  static String checkCurrency(String currency) {
    if (currency == null || !currency.matches("[A-Z]{3}")) {
      throw invalid("currency must be an ISO-4217 code such as EUR");
    }
    return currency;
  }

  static ApiException invalid(String message) {
    return new ApiException(ErrorCodes.REQUEST_INVALID, message);
  }

  /** A period of an EMC (its targets, its statements): a month, YYYY-MM. */
  public static String checkPeriod(String period) {
    try {
      return YearMonth.parse(period == null ? "" : period).toString();
    } catch (DateTimeParseException e) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "period must be a month: YYYY-MM");
    }
  }
}
