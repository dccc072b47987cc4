package io.rendan.emc;

import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The seats of an EMC: members, their versioned contracts and terms, invitations, owners over time. */
public final class EmcMembership {
  private EmcMembership() {}

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

  /**
   * The charter versions in force when a contract took effect: the
   * organisation's and the EMC's adopted values. {@link #BEFORE} (0, 0): a
   * contract made before charters, or under the defaults.
   */
  public record CharterVersions(int org, int emc) {
    public static final CharterVersions BEFORE = new CharterVersions(0, 0);
  }

  /** {@code charter}: the versions it was made under; a later charter change applies from the next contract. */
  public record Contract(int version, Terms terms, Instant effectiveFrom, CharterVersions charter) {
    public Contract(int version, Terms terms, Instant effectiveFrom) {
      this(version, terms, effectiveFrom, CharterVersions.BEFORE);
    }
  }

  /**
   * A seat in the EMC; the owner's has no contract (it keeps the rest).
   * {@code emcMember}: the seat is held by another EMC as one member ({@code meId}
   * is that EMC's id; its owner acts for it).
   */
  public record Member(
      String meId,
      Side side,
      String role,
      boolean owner,
      List<Contract> history,
      Terms proposedTerms,
      Instant joinedAt,
      boolean emcMember) {
    public Member {
      history = List.copyOf(history);
    }

    public Member(
        String meId, Side side, String role, boolean owner, List<Contract> history, Terms proposedTerms, Instant joinedAt) {
      this(meId, side, role, owner, history, proposedTerms, joinedAt, false);
    }

    public Optional<Contract> contract() {
      return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
    }

    public int shareBps() {
      return owner ? 0 : contract().map(c -> c.terms().shareBps()).orElse(0);
    }

    Member withContract(Terms terms, Instant from, CharterVersions charter) {
      List<Contract> next = new ArrayList<>(history);
      next.add(new Contract(history.size() + 1, terms, from, charter));
      return new Member(meId, side, role, owner, next, null, joinedAt, emcMember);
    }
  }

  /** A seat that was given up: kept so that revenue earned while it was held is split by it. */
  /** {@code emcMember}: the seat was held by an EMC (false in snapshots from before it was stored). */
  public record FormerMember(String meId, List<Contract> history, Instant joinedAt, Instant leftAt, boolean emcMember) {
    public FormerMember {
      history = List.copyOf(history);
    }

    public FormerMember(String meId, List<Contract> history, Instant joinedAt, Instant leftAt) {
      this(meId, history, joinedAt, leftAt, false);
    }
  }

  /** Who owned the EMC from when: the owner of an instant keeps the rest of revenue earned then. */
  public record OwnerSpell(String meId, Instant from) {}

  public record Invitation(
      String invitationId,
      String meId,
      Side side,
      String role,
      Terms terms,
      InvitationStatus status,
      Instant expiresAt,
      Instant createdAt,
      String replacesMeId,
      boolean emcMember) {

    public Invitation(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        InvitationStatus status,
        Instant expiresAt,
        Instant createdAt,
        String replacesMeId) {
      this(invitationId, meId, side, role, terms, status, expiresAt, createdAt, replacesMeId, false);
    }

    public Invitation(
        String invitationId,
        String meId,
        Side side,
        String role,
        Terms terms,
        InvitationStatus status,
        Instant expiresAt,
        Instant createdAt) {
      this(invitationId, meId, side, role, terms, status, expiresAt, createdAt, null, false);
    }

    Invitation withStatus(InvitationStatus next) {
      return new Invitation(invitationId, meId, side, role, terms, next, expiresAt, createdAt, replacesMeId, emcMember);
    }

    boolean isPendingAt(Instant now) {
      return status == InvitationStatus.PENDING && now.isBefore(expiresAt);
    }
  }
}
