package io.rendan.emc;

import static io.rendan.emc.EmcChecks.checkId;
import static io.rendan.emc.EmcChecks.invalid;

import io.rendan.auth.Caller;
import io.rendan.emc.EmcProtocol.Accepted;
import io.rendan.emc.EmcProtocol.Command;
import io.rendan.emc.EmcProtocol.Reply;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.Emc;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Who may act on an EMC and see it, for {@link EmcApi}: as its owner, as an
 * invitee (an ME, or the owner of an EMC invited as one member), as anyone its
 * members involve; and the checks of an EMC as a member (started, no cycle).
 */
final class EmcAccess {
  private final EmcApi emcs;
  private final MeApi meApi;

  EmcAccess(EmcApi emcs, MeApi meApi) {
    this.emcs = emcs;
    this.meApi = meApi;
  }


  CompletionStage<Accepted> asOwner(
      Caller caller, String emcId, Function<String, Function<ActorRef<Reply>, Command>> command) {
    return asOwner(caller, emcId, state -> CompletableFuture.completedFuture(null), command);
  }

  /** As the owner, once {@code check} (the charter's) passed on the EMC as it is; a command sent once. */
  CompletionStage<Accepted> asOwner(
      Caller caller,
      String emcId,
      Function<EmcState, CompletionStage<?>> check,
      Function<String, Function<ActorRef<Reply>, Command>> command) {
    return asOwner(caller, emcId, check, command, emcs::ask);
  }

  /** {@link #asOwner}, the command sent by {@code send} ({@link EmcApi#askAgain} for one the EMC takes twice as once). */
  CompletionStage<Accepted> asOwner(
      Caller caller,
      String emcId,
      Function<EmcState, CompletionStage<?>> check,
      Function<String, Function<ActorRef<Reply>, Command>> command,
      java.util.function.BiFunction<String, Function<ActorRef<Reply>, Command>, CompletionStage<Accepted>> send) {
    return emcs.current(emcId)
        .thenCompose(
            state ->
                meApi
                    .requireOperator(caller, state.ownerMeId(), EmcCodes.NOT_OWNER, "only operators of the owner ME may do this")
                    .thenCompose(owner -> state.isStarted() ? check.apply(state) : CompletableFuture.completedFuture(null))
                    .thenCompose(checked -> send.apply(emcId, command.apply(state.ownerMeId()))));
  }

  CompletionStage<Emc> asInvitee(
      Caller caller,
      AnswerInvitationRequest request,
      boolean accepting,
      java.util.function.BiFunction<String, String, Function<ActorRef<Reply>, Command>> command) {
    String emcId = checkId("emcId", request.getEmcId());
    String invitationId = checkId("invitationId", request.getInvitationId());
    return emcs.current(emcId)
        .thenCompose(
            state -> {
              EmcMembership.Invitation invitation = state.invitations().get(invitationId);
              if (invitation == null) {
                throw new ApiException(EmcCodes.INVITATION_NOT_FOUND, "no invitation " + invitationId);
              }
              if (!invitation.emcMember()) {
                return meApi
                    .requireOperator(caller, invitation.meId(), EmcCodes.NOT_INVITEE, "only operators of the invited ME answer it")
                    .thenCompose(me -> emcs.askAgain(emcId, command.apply(invitationId, invitation.meId())));
              }
              // An EMC invited as one member: its owner's operators answer for it.
              return requireStartedEmc(invitation.meId())
                  .thenCompose(
                      inner ->
                          meApi.requireOperator(
                              caller, inner.ownerMeId(), EmcCodes.NOT_INVITEE, "only operators of the invited EMC's owner answer it"))
                  .thenCompose(
                      owner ->
                          accepting
                              // the check and the seat it allows, with no other EMC seat taken in between (NestingGate)
                              ? emcs.asUnit().oneSeatAtATime(
                                  () -> refuseCycle(emcId, invitation.meId()).thenCompose(checked -> emcs.askAgain(emcId, command.apply(invitationId, invitation.meId()))))
                              : emcs.askAgain(emcId, command.apply(invitationId, invitation.meId())));
            })
        .thenApply(emcs::view);
  }

  /**
   * The EMC, if the caller is an admin or operates its owner, a member or an
   * invited ME, or the owner of an EMC that holds a seat or an invitation.
   */
  CompletionStage<EmcState> visible(Caller caller, String emcId) {
    return emcs.current(checkId("emcId", emcId))
        .thenCompose(
            state -> {
              if (caller.isAdmin()) {
                return CompletableFuture.completedFuture(state);
              }
              Set<String> involved = new LinkedHashSet<>();
              Set<String> memberEmcs = new LinkedHashSet<>();
              state.members().values().forEach(m -> (m.emcMember() ? memberEmcs : involved).add(m.meId()));
              state.invitations().values().forEach(i -> (i.emcMember() ? memberEmcs : involved).add(i.meId()));
              return withOwnersOf(memberEmcs, involved)
                  .thenCompose(mes -> meApi.operatesAny(caller, mes))
                  .thenApply(
                      allowed -> {
                        if (!allowed) {
                          throw new ApiException(
                              ErrorCodes.AUTH_FORBIDDEN, "only operators of its MEs may see an EMC");
                        }
                        return state;
                      });
            });
  }

  /** {@code mes} and the owners of the EMCs {@code emcIds} (seats or invitations of EMCs: their owners act for them). */
  CompletionStage<Set<String>> withOwnersOf(Set<String> emcIds, Set<String> mes) {
    CompletionStage<Set<String>> all = CompletableFuture.completedFuture(mes);
    for (String id : emcIds) {
      all = all.thenCombine(emcs.current(id), (acc, emc) -> {
        if (emc.isStarted()) {
          acc.add(emc.ownerMeId());
        }
        return acc;
      });
    }
    return all;
  }

  static boolean memberKind(String kind) {
    return switch (kind) {
      case "", "me" -> false;
      case EmcViews.EMC_KIND -> true;
      default -> throw invalid("memberKind must be \"me\" or \"emc\"");
    };
  }

  /** The EMC invited as a member, which must have been started and not dissolved. */
  CompletionStage<EmcState> requireStartedEmc(String emcId) {
    return emcs.current(emcId)
        .thenApply(
            inner -> {
              if (!inner.isStarted()) {
                throw new ApiException(EmcCodes.NOT_FOUND, "no EMC " + emcId);
              }
              if (inner.isDissolved()) {
                throw new ApiException(EmcCodes.DISSOLVED, "EMC " + emcId + " is dissolved");
              }
              return inner;
            });
  }

  /**
   * Refuses ({@link EmcCodes#CYCLE}) when {@code outerId} is {@code innerId} or a
   * seat holder, directly or deeper, of {@code innerId}: then {@code innerId}
   * taking a seat in {@code outerId} would make EMCs hold seats in each other.
   * Walks the EMC seats below {@code innerId} as they are now; at most
   * {@link #MAX_NESTED_EMCS} EMCs are read.
   */
  CompletionStage<Void> refuseCycle(String outerId, String innerId) {
    return walkDown(outerId, new java.util.ArrayDeque<>(List.of(innerId)), new java.util.HashSet<>());
  }

  static final int MAX_NESTED_EMCS = 256;

  CompletionStage<Void> walkDown(String outerId, java.util.Deque<String> toVisit, Set<String> seen) {
    String next = toVisit.poll();
    if (next == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (next.equals(outerId)) {
      return CompletableFuture.failedFuture(
          new ApiException(EmcCodes.CYCLE, "EMC " + outerId + " already holds a seat, directly or deeper, in the invited EMC"));
    }
    if (!seen.add(next)) {
      return walkDown(outerId, toVisit, seen);
    }
    if (seen.size() > MAX_NESTED_EMCS) {
      return CompletableFuture.failedFuture(
          new ApiException(EmcCodes.CYCLE, "EMCs nest deeper than " + MAX_NESTED_EMCS + " seats; refused"));
    }
    return emcs.current(next)
        .thenCompose(
            state -> {
              state.members().values().stream().filter(EmcMembership.Member::emcMember).forEach(m -> toVisit.add(m.meId()));
              return walkDown(outerId, toVisit, seen);
            });
  }
}
