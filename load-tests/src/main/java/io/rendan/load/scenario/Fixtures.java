package io.rendan.load.scenario;

import com.google.protobuf.Message;
import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.StartEmcRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Set-up calls the scenarios share (not measured): register MEs, start EMCs, make members. */
final class Fixtures {
  private Fixtures() {}

  /**
   * A blocking call that must answer {@code expected}; anything else fails the set-up. A 503 (a young or
   * busy cluster allocating shards) is tried again, up to 10 times a second apart; a create that answers
   * 409 on such a second try was stored by the first.
   */
  static HttpLane.Response call(
      ScenarioContext context, HttpLane lane, String method, String path, String token, Message body, int... expected)
      throws Exception {
    for (int attempt = 0; ; attempt++) {
      HttpLane.Response r =
          lane.send(body == null ? context.api().get(path, token) : context.api().send(method, path, token, body));
      for (int e : expected) {
        if (r.status() == e || (attempt > 0 && r.status() == 409 && e == 201)) {
          return r;
        }
      }
      if (r.status() != 503 || attempt >= 10) {
        throw new IllegalStateException(method + " " + path + " answered " + r.status() + " " + Api.errorCode(r));
      }
      Thread.sleep(1_000);
    }
  }

  /**
   * Registers {@code ids.length} MEs with one capability, many at once; {@code tokenOf} says which operator
   * registers each. An ME refused with 503 (a cluster still allocating its shards) is registered again, up to
   * three more times; on such a second try, "already exists" means the first try was stored.
   */
  static void registerAll(ScenarioContext context, HttpLane lane, String[] ids, IntFunction<String> tokenOf, String capability)
      throws InterruptedException {
    List<Integer> todo = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      todo.add(i);
    }
    List<String> failures = new ArrayList<>();
    for (int attempt = 0; attempt < 4 && !todo.isEmpty(); attempt++) {
      boolean retry = attempt > 0;
      CountDownLatch done = new CountDownLatch(todo.size());
      List<Integer> again = Collections.synchronizedList(new ArrayList<>());
      List<String> failed = Collections.synchronizedList(new ArrayList<>());
      for (int me : todo) {
        RegisterMeRequest body =
            RegisterMeRequest.newBuilder()
                .setMeId(ids[me])
                .setName(ids[me])
                .setKind(Me.Kind.INTERNAL)
                .addCapabilities(capability)
                .build();
        lane.submit(
            context.api().send("POST", "/v1/mes", tokenOf.apply(me), body),
            (response, failure) -> {
              if (failure != null) {
                failed.add(ids[me] + ": " + Api.failureCode(failure));
              } else if (response.status() == 503) {
                again.add(me);
                failed.add(ids[me] + ": " + Api.errorCode(response));
              } else if (response.status() != 201 && response.status() != 200 && !(retry && response.status() == 409)) {
                failed.add(ids[me] + ": " + Api.errorCode(response));
              }
              done.countDown();
            });
      }
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("could not register the MEs within 10 minutes");
      }
      failures = failed;
      if (failed.size() > again.size()) {
        break; // failures other than 503: not worth another try
      }
      todo = again;
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("could not register the MEs: " + failures.subList(0, Math.min(5, failures.size())));
    }
  }

  /** Registers one ME with one capability (operated by {@code token}); answers its id. */
  static String register(ScenarioContext context, HttpLane lane, String token, String meId, String capability) throws Exception {
    RegisterMeRequest body =
        RegisterMeRequest.newBuilder().setMeId(meId).setName(meId).setKind(Me.Kind.INTERNAL).addCapabilities(capability).build();
    HttpLane.Response r = call(context, lane, "POST", "/v1/mes", token, body, 201, 200);
    return r.status() == 409 ? meId : Api.parse(r, Me.newBuilder()).getMeId();
  }

  /**
   * The owner's operator ({@code ownerToken}) invites as {@code invitation} says, and the invited
   * ME's operator ({@code memberToken}) accepts: a member of {@code emcId} from then on.
   */
  static void join(ScenarioContext context, HttpLane lane, String emcId, InviteMemberRequest invitation, String ownerToken, String memberToken)
      throws Exception {
    String invitations = "/v1/emcs/" + emcId + "/invitations";
    try {
      call(context, lane, "POST", invitations, ownerToken, invitation, 201, 200);
    } catch (IllegalStateException refused) {
      if (!invitation.getMemberKind().isEmpty() && refused.getMessage().contains(" answered 400 ")) {
        throw new IllegalStateException(
            "the node takes no EMC seats (" + refused.getMessage() + "): they are on by default; it was started with "
                + "RENDAN_EMC_MEMBERS=false (drop it, or pass --server-env RENDAN_EMC_MEMBERS=true)", refused);
      }
      throw refused;
    }
    call(
        context,
        lane,
        "POST",
        invitations + "/" + invitation.getInvitationId() + "/accept",
        memberToken,
        AnswerInvitationRequest.getDefaultInstance(),
        200);
  }

  /** Registers an owner ME and starts an EMC it owns (on the EXPERIENCE side); answers the EMC's id. */
  static String startEmc(ScenarioContext context, HttpLane lane, String token, String id, String name) throws Exception {
    call(
        context,
        lane,
        "POST",
        "/v1/mes",
        token,
        RegisterMeRequest.newBuilder().setMeId(id + "-owner").setName(name + " owner").setKind(Me.Kind.INTERNAL).addCapabilities("ownership").build(),
        201,
        200);
    HttpLane.Response r =
        call(
            context,
            lane,
            "POST",
            "/v1/emcs",
            token,
            StartEmcRequest.newBuilder()
                .setEmcId(id)
                .setName(name)
                .setUserGroup("load testers")
                .setOwnerMeId(id + "-owner")
                .setOwnerSide(Member.Side.EXPERIENCE)
                .build(),
            201,
            200);
    return r.status() == 409 ? id : Api.parse(r, Emc.newBuilder()).getEmcId();
  }

  /**
   * Microseconds from a server timestamp ({@code at} of a Push, in the node's
   * business time) to now. With a business clock faster than real time
   * ({@code --clock-speed}, from {@code --clock-origin}) the timestamp is first
   * brought back to real time.
   */
  static long microsSince(ScenarioContext context, com.google.protobuf.Timestamp at) {
    double speed = BiddingScenario.clockSpeed(context);
    long atMicros = at.getSeconds() * 1_000_000 + at.getNanos() / 1_000;
    if (speed != 1) {
      long origin = java.time.Instant.parse(context.options().get("clock-origin", "2026-01-01T00:00:00Z")).toEpochMilli() * 1_000;
      atMicros = origin + (long) ((atMicros - origin) / speed);
    }
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000 - atMicros;
  }
}
