package io.rendan.charter;

import com.google.protobuf.Timestamp;
import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.emc.CharterGate;
import io.rendan.emc.EmcApi;
import io.rendan.emc.EmcCodes;
import io.rendan.emc.EmcMembership;
import io.rendan.emc.EmcState;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.AdoptEmcCharterRequest;
import io.rendan.protocol.api.v1.Charter;
import io.rendan.protocol.api.v1.EmcCharter;
import io.rendan.protocol.api.v1.SetCharterRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The charter: the organisation's (admins set it, everyone signed in reads it)
 * and the stricter values an EMC's owner adopts; and, as the EMC's
 * {@link CharterGate}, the check of every command a clause governs
 * against what is in force in that EMC, refused with the clause's code.
 */
public final class CharterApi implements CharterGate {
  /** At most ten years of notice or interval: beyond that a value is a mistake. */
  private static final long MAX_SECONDS = Duration.ofDays(3650).toSeconds();

  private final ClusterSharding sharding;
  private final EmcApi emcApi;
  private final MeApi meApi;
  private final Duration askTimeout;
  private final Clock clock;

  private CharterApi(ClusterSharding sharding, EmcApi emcApi, MeApi meApi, Duration askTimeout, Clock clock) {
    this.sharding = sharding;
    this.emcApi = emcApi;
    this.meApi = meApi;
    this.askTimeout = askTimeout;
    this.clock = clock;
  }

  /** Starts the charter's shard region and puts the EMC commands under it. */
  public static CharterApi start(
      ActorSystem<?> system, EmcApi emcApi, MeApi meApi, CharterEntity.Settings settings, Duration askTimeout, Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(CharterEntity.TYPE_KEY, ctx -> CharterEntity.create(ctx.getEntityId(), settings, clock)));
    CharterApi api = new CharterApi(sharding, emcApi, meApi, askTimeout, clock);
    emcApi.governedBy(api);
    return api;
  }

  public CompletionStage<Charter> get() {
    return state(CharterEntity.ORG).thenApply(CharterApi::toProto);
  }

  public CompletionStage<Charter> set(Caller caller, SetCharterRequest request) {
    if (!caller.isAdmin()) {
      throw new ApiException(ErrorCodes.AUTH_FORBIDDEN, "only admins set the charter");
    }
    Clauses clauses = clauses(request.getClauses(), request.hasClauses());
    return ask(CharterEntity.ORG, r -> new CharterEntity.AdoptCharter(clauses, caller.subject(), 0, r)).thenApply(CharterApi::toProto);
  }

  /** What an EMC adopted and what is in force there; for whoever may see the EMC. */
  public CompletionStage<EmcCharter> emcCharter(Caller caller, String emcId) {
    return emcApi.get(caller, emcId).thenCompose(emc -> emcView(emcId));
  }

  /** The owner adopts values for its EMC: each at least as strict as the organisation's. */
  public CompletionStage<EmcCharter> adopt(Caller caller, AdoptEmcCharterRequest request) {
    String emcId = request.getEmcId();
    Clauses clauses = clauses(request.getClauses(), request.hasClauses());
    return emcApi
        .current(emcId)
        .thenCompose(
            emc -> {
              if (!emc.isStarted()) {
                throw new ApiException(EmcCodes.NOT_FOUND, "no EMC with id " + emcId);
              }
              return meApi.requireOperator(caller, emc.ownerMeId(), EmcCodes.NOT_OWNER, "only operators of the owner ME adopt its charter");
            })
        .thenCompose(owner -> state(CharterEntity.ORG))
        .thenCompose(
            org -> {
              List<String> looser = clauses.looserThan(org.clauses());
              if (!looser.isEmpty()) {
                throw new ApiException(
                    CharterCodes.LOOSER, "an EMC may adopt stricter values only; looser than charter version " + org.version() + ": " + String.join(", ", looser));
              }
              return ask(emcId, r -> new CharterEntity.AdoptCharter(clauses, caller.subject(), org.version(), r));
            })
        .thenCompose(adopted -> emcView(emcId));
  }

  private CompletionStage<EmcCharter> emcView(String emcId) {
    return inForce(emcId)
        .thenCombine(
            emcApi.current(emcId),
            (f, emc) -> {
              EmcCharter.Builder b =
                  EmcCharter.newBuilder()
                      .setEmcId(emcId)
                      .setVersion(f.emc().version())
                      .setAdopted(toProto(f.emc().clauses()))
                      .setOrgVersion(f.org().version())
                      .setInForce(toProto(f.clauses()));
              for (EmcMembership.Member m : emc.members().values()) {
                for (EmcMembership.Contract c : m.history()) {
                  b.addContracts(
                      io.rendan.protocol.api.v1.ContractCharter.newBuilder()
                          .setMeId(m.meId())
                          .setContractVersion(c.version())
                          .setEffectiveFrom(ts(c.effectiveFrom()))
                          .setOrgVersion(c.charter().org())
                          .setEmcVersion(c.charter().emc()));
                }
              }
              return b.build();
            });
  }

  /** The organisation's charter and the EMC's, and the stricter of each clause. */
  public record InForce(CharterEntity.State org, CharterEntity.State emc, Clauses clauses) {}

  public CompletionStage<InForce> inForce(String emcId) {
    return state(CharterEntity.ORG)
        .thenCombine(
            state(emcId),
            // an EMC that adopted nothing follows the organisation's charter as it is
            (org, emc) -> new InForce(org, emc, emc.current().isEmpty() ? org.clauses() : org.clauses().strictest(emc.clauses())));
  }

  // ---- the gate: commands the clauses govern ----------------------------------------------------

  @Override
  public CompletionStage<Integer> checkTerms(EmcState emc, String meId, EmcMembership.Terms terms) {
    return inForce(emc.emcId())
        .thenApply(
            f -> {
              CharterChecks.terms(emc, meId, terms, f.clauses(), clock.instant()).ifPresent(CharterApi::refuse);
              return f.org().version();
            });
  }

  @Override
  public CompletionStage<EmcMembership.CharterVersions> versions(String emcId) {
    return inForce(emcId).thenApply(f -> new EmcMembership.CharterVersions(f.org().version(), f.emc().version()));
  }

  @Override
  public CompletionStage<java.util.Optional<io.rendan.emc.RemovalNotice.Notice>> removalNotice(EmcState emc, String meId, boolean byOwner) {
    return inForce(emc.emcId())
        .thenApply(
            f ->
                CharterChecks.removal(emc, meId, byOwner, f.clauses())
                    .map(refusal -> new io.rendan.emc.RemovalNotice.Notice(f.clauses().removalNotice(), f.org().version(), f.emc().version())));
  }

  @Override
  public CompletionStage<Void> checkAward(String emcId, String ownerMeId, String bidderMeId) {
    return inForce(emcId)
        .thenCompose(
            f -> {
              if (!f.clauses().noSelfAward() || ownerMeId.equals(bidderMeId)) {
                return CompletableFuture.completedFuture(null);
              }
              return meApi
                  .current(ownerMeId)
                  .thenCombine(
                      meApi.current(bidderMeId),
                      (owner, bidder) -> {
                        Set<String> shared = new HashSet<>(owner.operators());
                        shared.retainAll(bidder.operators());
                        if (!shared.isEmpty()) {
                          refuse(new CharterChecks.Refusal(CharterCodes.SELF_AWARD, "the owner's operators also operate " + bidderMeId + ": it may not be awarded the round"));
                        }
                        return null;
                      });
            });
  }

  @Override
  public CompletionStage<Boolean> helpFirst(String emcId) {
    return inForce(emcId).thenApply(f -> f.clauses().replaceOnlyAfterFailedHelp());
  }

  private static void refuse(CharterChecks.Refusal r) {
    throw new ApiException(r.code(), r.message());
  }

  // ---- mapping --------------------------------------------------------------------------------

  static Clauses clauses(io.rendan.protocol.api.v1.Clauses c, boolean present) {
    if (!present) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "clauses are required");
    }
    if (c.getMinShareBps() < 0 || c.getMinShareBps() > EmcMembership.MAX_BPS) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "clauses.minShareBps must be between 0 and 10 000");
    }
    if (c.getMaxOwnerShareBps() < 0 || c.getMaxOwnerShareBps() > EmcMembership.MAX_BPS) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "clauses.maxOwnerShareBps must be between 1 and 10 000 (0: 10 000)");
    }
    if (c.getRemovalNoticeSeconds() < 0 || c.getRemovalNoticeSeconds() > MAX_SECONDS
        || c.getMinTermsIntervalSeconds() < 0 || c.getMinTermsIntervalSeconds() > MAX_SECONDS) {
      throw new ApiException(ErrorCodes.REQUEST_INVALID, "notice and interval are between 0 and " + MAX_SECONDS + " seconds");
    }
    return new Clauses(
        c.getMinShareBps(),
        c.getMaxOwnerShareBps() == 0 ? EmcMembership.MAX_BPS : c.getMaxOwnerShareBps(),
        Duration.ofSeconds(c.getRemovalNoticeSeconds()),
        Duration.ofSeconds(c.getMinTermsIntervalSeconds()),
        c.getReplaceOnlyAfterFailedHelp(),
        c.getNoSelfAward());
  }

  static io.rendan.protocol.api.v1.Clauses toProto(Clauses c) {
    return io.rendan.protocol.api.v1.Clauses.newBuilder()
        .setMinShareBps(c.minShareBps())
        .setMaxOwnerShareBps(c.maxOwnerShareBps())
        .setRemovalNoticeSeconds(c.removalNotice().toSeconds())
        .setMinTermsIntervalSeconds(c.minTermsInterval().toSeconds())
        .setReplaceOnlyAfterFailedHelp(c.replaceOnlyAfterFailedHelp())
        .setNoSelfAward(c.noSelfAward())
        .build();
  }

  static Charter toProto(CharterEntity.State s) {
    Charter.Builder b = Charter.newBuilder().setVersion(s.version()).setClauses(toProto(s.clauses()));
    s.current().ifPresent(v -> b.setAdoptedBy(v.adoptedBy()).setAdoptedAt(ts(v.at())));
    return b.build();
  }

  private static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  private CompletionStage<CharterEntity.State> state(String charterId) {
    return ask(charterId, CharterEntity.GetCharter::new);
  }

  private CompletionStage<CharterEntity.State> ask(String charterId, Function<ActorRef<CharterEntity.Reply>, CharterEntity.Command> command) {
    EntityRef<CharterEntity.Command> ref = sharding.entityRefFor(CharterEntity.TYPE_KEY, charterId);
    return ApiException.failOnRefusal(Asks.<CharterEntity.Command, CharterEntity.Reply>ask(ref, command, askTimeout))
        .thenApply(reply -> ((CharterEntity.Accepted) reply).charter());
  }
}
