package io.rendan.emc;

import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An EMC taking part as one unit in another EMC, through its owner: what it
 * brings to a bid (its capabilities, its rating from its members' records),
 * who acts for a seat it holds, and the checks that keep EMCs out of cycles.
 * The bidding package asks it through {@link EmcApi#asUnit()}.
 */
public final class EmcUnit {
  /** The neutral rating (0..1000) of a unit with no record to weigh. */
  public static final int NEUTRAL_RATING = 500;

  /** How deep EMC seats are followed when a unit's rating weighs the EMCs among its members. */
  static final int MAX_RATING_DEPTH = 8;

  private final EmcApi emcs;
  private final MeApi meApi;
  private final EmcAccess access;
  private final boolean enabled;

  private final NestingGate gate;

  EmcUnit(EmcApi emcs, MeApi meApi, EmcAccess access, boolean enabled, NestingGate gate) {
    this.emcs = emcs;
    this.meApi = meApi;
    this.access = access;
    this.enabled = enabled;
    this.gate = gate;
  }

  /**
   * Runs {@code acceptance} (a cycle check and the seat it allows) while no other
   * EMC seat is being accepted anywhere in the cluster ({@link NestingGate}).
   */
  <T> CompletionStage<T> oneSeatAtATime(java.util.function.Supplier<CompletionStage<T>> acceptance) {
    return gate.exclusively(acceptance);
  }

  /**
   * An EMC as a bidder in a round of {@code roundEmcId}: the EMC's id, its
   * owner (who acts for it), the capabilities of its ME members, its rating and
   * the round's EMC if it already holds a seat there.
   */
  public record UnitBidder(String emcId, String ownerMeId, List<String> capabilities, int rating, List<String> memberOf) {}

  /**
   * The EMC {@code emcId} as a bidder, if the caller operates its owner and
   * EMCs may be members on this node. Bidding in a round of itself, or of an EMC
   * that holds a seat in it (directly or deeper), is {@code emc:cycle}.
   */
  public CompletionStage<UnitBidder> bidder(Caller caller, String emcId, String roundEmcId) {
    requireEnabled();
    return access
        .requireStartedEmc(emcId)
        .thenCompose(
            unit ->
                meApi
                    .requireOperator(caller, unit.ownerMeId(), ErrorCodes.AUTH_FORBIDDEN, "only operators of the EMC's owner bid for it")
                    .thenCompose(owner -> roundEmcId == null ? CompletableFuture.completedFuture(null) : access.refuseCycle(roundEmcId, emcId))
                    .thenCompose(checked -> capabilities(unit))
                    .thenCombine(
                        rating(unit),
                        (capabilities, rating) -> new UnitBidder(emcId, unit.ownerMeId(), capabilities, rating, List.of())))
        .thenCompose(
            bidder ->
                roundEmcId == null
                    ? CompletableFuture.completedFuture(bidder)
                    : emcs.current(roundEmcId)
                        .thenApply(
                            round ->
                                new UnitBidder(
                                    bidder.emcId(), bidder.ownerMeId(), bidder.capabilities(), bidder.rating(),
                                    round.members().containsKey(emcId) ? List.of(roundEmcId) : List.of())));
  }

  /**
   * The owner of the EMC {@code emcId}, if the caller operates it: who may
   * withdraw the EMC's bid or see it ({@code auth:forbidden} otherwise).
   */
  public CompletionStage<String> requireOwnerOperator(Caller caller, String emcId) {
    return emcs.current(emcId)
        .thenCompose(
            unit -> {
              if (!unit.isStarted()) {
                throw new ApiException(EmcCodes.NOT_FOUND, "no EMC " + emcId);
              }
              return meApi
                  .requireOperator(caller, unit.ownerMeId(), ErrorCodes.AUTH_FORBIDDEN, "only operators of the EMC's owner act for it")
                  .thenApply(owner -> unit.ownerMeId());
            });
  }

  /** The owner of the EMC, for the charter's self-award check of a bid it places (no permission check). */
  public CompletionStage<String> ownerOf(String emcId) {
    return emcs.current(emcId).thenApply(EmcState::ownerMeId);
  }

  /**
   * Checks that the caller acts for the member {@code meId} of {@code emc}: for a
   * seat held by an EMC, an operator of that EMC's owner; for an ME, one of its
   * operators. Refuses with {@code auth:forbidden} (or the ME's own not-found).
   */
  CompletionStage<Void> requireMemberOperator(Caller caller, EmcState emc, String meId) {
    EmcMembership.Member member = emc.members().get(meId);
    if (member == null || !member.emcMember()) {
      return meApi.requireOperator(caller, meId).thenApply(me -> null);
    }
    return requireOwnerOperator(caller, meId).thenApply(owner -> null);
  }

  /** The capabilities of the ME seats of the unit (its owner's included), sorted; EMC seats bring their own. */
  CompletionStage<List<String>> capabilities(EmcState unit) {
    Set<String> all = new TreeSet<>();
    CompletionStage<Set<String>> gathered = CompletableFuture.completedFuture(all);
    for (EmcMembership.Member member : unit.members().values()) {
      if (member.emcMember()) {
        continue;
      }
      gathered =
          gathered.thenCombine(
              meApi.current(member.meId()).handle((me, failure) -> failure == null ? me.capabilities() : List.<String>of()),
              (acc, caps) -> {
                acc.addAll(caps);
                return acc;
              });
    }
    return gathered.thenApply(List::copyOf);
  }

  /**
   * The unit's rating (0..1000), from its members' records: the mean of its
   * members' ratings weighted by their seat's share of revenue (a member's
   * contract share; the owner's seat the rest, 10 000 bps less the others'), an
   * EMC seat counting with its own unit rating (followed {@value #MAX_RATING_DEPTH}
   * seats deep, neutral below), rounded to the nearest; with no weight at all the
   * plain mean; neutral (500) with no member.
   */
  public CompletionStage<Integer> rating(EmcState unit) {
    return rating(unit, 0, new HashSet<>(Set.of(unit.emcId())));
  }

  private CompletionStage<Integer> rating(EmcState unit, int depth, Set<String> seen) {
    List<EmcMembership.Member> members = List.copyOf(unit.members().values());
    int others = members.stream().filter(m -> !m.owner()).mapToInt(EmcMembership.Member::shareBps).sum();
    List<CompletableFuture<long[]>> weighted = new ArrayList<>();
    for (EmcMembership.Member member : members) {
      long weight = member.owner() ? Math.max(0, EmcMembership.MAX_BPS - others) : member.shareBps();
      weighted.add(memberRating(member, depth, seen).thenApply(r -> new long[] {r, weight}).toCompletableFuture());
    }
    return CompletableFuture.allOf(weighted.toArray(CompletableFuture[]::new))
        .thenApply(done -> weightedMean(weighted.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<Integer> memberRating(EmcMembership.Member member, int depth, Set<String> seen) {
    if (!member.emcMember()) {
      return meApi.current(member.meId()).handle((me, failure) -> failure == null ? me.rating() : NEUTRAL_RATING);
    }
    if (depth + 1 >= MAX_RATING_DEPTH || !seen.add(member.meId())) {
      return CompletableFuture.completedFuture(NEUTRAL_RATING);
    }
    return emcs.current(member.meId()).thenCompose(inner -> rating(inner, depth + 1, seen));
  }

  /** {@code [rating, weight]} pairs to one rating: see {@link #rating(EmcState)}. */
  static int weightedMean(List<long[]> ratings) {
    if (ratings.isEmpty()) {
      return NEUTRAL_RATING;
    }
    long total = ratings.stream().mapToLong(p -> p[1]).sum();
    if (total == 0) {
      long sum = ratings.stream().mapToLong(p -> p[0]).sum();
      return (int) ((2 * sum + ratings.size()) / (2L * ratings.size()));
    }
    long sum = ratings.stream().mapToLong(p -> p[0] * p[1]).sum();
    return (int) ((2 * sum + total) / (2 * total));
  }

  private void requireEnabled() {
    if (!enabled) {
      throw new ApiException(
          ErrorCodes.REQUEST_INVALID, "EMCs as members are not enabled on this node (rendan.emc.emc-members)");
    }
  }

  /**
   * An award of a round to an EMC becomes an invitation of that EMC as one
   * member, as {@link EmcApi#inviteFromAward} does for an ME: under the round's
   * invitation id, so a redelivery is the same invitation. Its owner accepts it
   * (and the cycle check runs again then). Completes with the refusal code, or null.
   */
  public CompletionStage<String> inviteFromAward(
      String emcId, String invitationId, String ownerMeId, String memberEmcId, io.rendan.vocabulary.Side side, String role,
      EmcMembership.Terms terms) {
    return emcs.charter()
        .helpFirst(emcId)
        .thenCompose(
            helpFirst ->
                emcs.ask(
                    emcId,
                    replyTo ->
                        new EmcProtocol.InviteMember(
                            invitationId, memberEmcId, side, role, terms, emcs.limits().defaultInvitationTtl(), ownerMeId, null, true,
                            helpFirst, replyTo)))
        .handle(
            (accepted, failure) -> {
              if (failure == null) {
                return null;
              }
              ApiException api = ErrorCodes.fromThrowable(failure);
              if (api.status() >= 500) {
                throw new java.util.concurrent.CompletionException(failure); // try again
              }
              return api.code();
            });
  }
}
