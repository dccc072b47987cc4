package io.rendan.emc;

import io.rendan.vocabulary.ErrorCode;
import java.util.List;

/** Stable codes of the EMC's typed rejections; each with its HTTP status (CODES). */
public final class EmcCodes {
  public static final String NOT_FOUND = "emc:not-found";
  public static final String ALREADY_EXISTS = "emc:already-exists";
  public static final String NOT_OWNER = "emc:not-owner";
  public static final String NOT_INVITEE = "emc:not-invitee";
  public static final String NOT_MEMBER = "emc:not-member";
  public static final String ALREADY_MEMBER = "emc:already-member";
  /** The seat would make EMCs hold seats in each other, directly or deeper. */
  public static final String CYCLE = "emc:cycle";
  public static final String MEMBER_NOT_FOUND = "emc:member.not-found";
  public static final String OWNER_CANNOT_LEAVE = "emc:owner.cannot-leave";
  public static final String SHARE_EXCEEDED = "emc:share.exceeded";
  public static final String TOO_MANY_MEMBERS = "emc:members.too-many";
  public static final String INVITATION_NOT_FOUND = "emc:invitation.not-found";
  public static final String INVITATION_EXPIRED = "emc:invitation.expired";
  public static final String INVITATION_DECLINED = "emc:invitation.declined";
  public static final String INVITATION_ACCEPTED = "emc:invitation.accepted";
  public static final String INVITATION_PENDING = "emc:invitation.pending";
  public static final String INVITATION_CONFLICT = "emc:invitation.conflict";
  public static final String NO_TERMS_PROPOSED = "emc:terms.none-proposed";
  public static final String DISSOLVED = "emc:dissolved";
  public static final String REVENUE_CONFLICT = "emc:revenue.conflict";
  public static final String REVENUE_TOO_OLD = "emc:revenue.too-old";
  public static final String REVENUE_NOT_FOUND = "emc:revenue.not-found";
  /** Revenue whose split would take a party's ledger balance past rendan.ledger.max-balance. */
  public static final String REVENUE_OVER_LIMIT = "emc:revenue.over-limit";
  public static final String CURRENCY_MISMATCH = "emc:currency.mismatch";
  public static final String PERIOD_CLOSED = "emc:period.closed";
  public static final String PERIOD_NOT_CLOSABLE = "emc:period.not-closable";
  public static final String NOT_AT_RISK = "emc:member.not-at-risk";
  /** Help before replacement (HelpCases). */
  public static final String HELP_OPEN = "emc:help.open";
  public static final String HELP_CASE_NOT_FOUND = "emc:help.case-not-found";
  public static final String HELP_CASE_CLOSED = "emc:help.case-closed";
  public static final String HELP_PLEDGE_NOT_FOUND = "emc:help.pledge-not-found";
  public static final String HELP_PLEDGE_CONFLICT = "emc:help.pledge-conflict";
  public static final String HELP_PLEDGE_ANSWERED = "emc:help.pledge-answered";
  public static final String HELP_PLEDGE_NOT_ACCEPTED = "emc:help.pledge-not-accepted";
  public static final String HELP_SELF = "emc:help.self";
  public static final String HELP_NOT_HELPED = "emc:help.not-helped-member";
  public static final String HELP_NOT_HELPER = "emc:help.not-helper";
  public static final String HELP_TOO_MANY = "emc:help.too-many-pledges";
  public static final String HELP_ADVANCE_EXCEEDS_BALANCE = "emc:help.advance-exceeds-balance";
  public static final String REMOVAL_NOT_SCHEDULED = "emc:removal.not-scheduled";

  /** Every code of the package and its HTTP status; the node registers them with http/ErrorCodes. */
  public static final List<ErrorCode> CODES =
      List.of(
          ErrorCode.of(NOT_FOUND, 404),
          ErrorCode.of(ALREADY_EXISTS, 409),
          ErrorCode.of(NOT_OWNER, 403),
          ErrorCode.of(NOT_INVITEE, 403),
          ErrorCode.of(NOT_MEMBER, 403),
          ErrorCode.of(ALREADY_MEMBER, 409),
          ErrorCode.of(CYCLE, 409),
          ErrorCode.of(MEMBER_NOT_FOUND, 404),
          ErrorCode.of(OWNER_CANNOT_LEAVE, 409),
          ErrorCode.of(SHARE_EXCEEDED, 409),
          ErrorCode.of(TOO_MANY_MEMBERS, 409),
          ErrorCode.of(INVITATION_NOT_FOUND, 404),
          ErrorCode.of(INVITATION_EXPIRED, 410),
          ErrorCode.of(INVITATION_DECLINED, 409),
          ErrorCode.of(INVITATION_ACCEPTED, 409),
          ErrorCode.of(INVITATION_PENDING, 409),
          ErrorCode.of(INVITATION_CONFLICT, 409),
          ErrorCode.of(NO_TERMS_PROPOSED, 409),
          ErrorCode.of(DISSOLVED, 409),
          ErrorCode.of(REVENUE_CONFLICT, 409),
          ErrorCode.of(REVENUE_TOO_OLD, 409),
          ErrorCode.of(REVENUE_NOT_FOUND, 404),
          ErrorCode.of(REVENUE_OVER_LIMIT, 409),
          ErrorCode.of(CURRENCY_MISMATCH, 409),
          ErrorCode.of(PERIOD_CLOSED, 409),
          ErrorCode.of(PERIOD_NOT_CLOSABLE, 409),
          ErrorCode.of(NOT_AT_RISK, 409),
          ErrorCode.of(HELP_OPEN, 409),
          ErrorCode.of(HELP_CASE_NOT_FOUND, 404),
          ErrorCode.of(HELP_CASE_CLOSED, 409),
          ErrorCode.of(HELP_PLEDGE_NOT_FOUND, 404),
          ErrorCode.of(HELP_PLEDGE_CONFLICT, 409),
          ErrorCode.of(HELP_PLEDGE_ANSWERED, 409),
          ErrorCode.of(HELP_PLEDGE_NOT_ACCEPTED, 409),
          ErrorCode.of(HELP_SELF, 409),
          ErrorCode.of(HELP_NOT_HELPED, 403),
          ErrorCode.of(HELP_NOT_HELPER, 403),
          ErrorCode.of(HELP_TOO_MANY, 409),
          ErrorCode.of(HELP_ADVANCE_EXCEEDS_BALANCE, 409),
          ErrorCode.of(REMOVAL_NOT_SCHEDULED, 404));

  private EmcCodes() {}
}
