package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.Invitation;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Terms;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * EMCs forming and re-forming while the marketplace bids: owners invite MEs,
 * the MEs accept, and members leave again (then are invited anew), over HTTP,
 * beside the {@link BiddingScenario}'s traffic on other EMCs. Each ME takes one
 * step at a time, so the outcome of each acknowledged step is known.
 *
 * <p>Check: each EMC's members and pending invitations are exactly what the
 * acknowledged steps leave, and its version is 1 + the acknowledged steps
 * (each stored once), give or take the steps in doubt.
 */
final class AllianceChurnScenario implements Scenario {
  private enum State {
    NONE,
    INVITED,
    MEMBER
  }

  /** One ME that joins and leaves its EMC over and over. */
  private static final class Churner {
    final int index;
    final int emc;
    final String meId;
    final AtomicBoolean busy = new AtomicBoolean();
    volatile State state = State.NONE;
    volatile int invitations;
    /** A step answered 5xx or not at all: its state is unknown from then on. */
    volatile boolean inDoubt;

    Churner(int index, int emc, String meId) {
      this.index = index;
      this.emc = emc;
      this.meId = meId;
    }

    String invitationId() {
      return meId + "-i" + invitations;
    }
  }

  private final BiddingScenario bidding = new BiddingScenario(500);
  private ScenarioContext context;
  private OperationStats change;
  private HttpLane lane;
  private int emcs;
  private int churnerCount;
  private int operators;
  private double share;
  private String[] emcIds;
  private String[] ownerTokens;
  private String[] operatorTokens;
  private Churner[] churners;
  private AtomicLong[] acknowledgedSteps;
  private AtomicLong[] doubtfulSteps;
  private final AtomicInteger fired = new AtomicInteger();
  private final AtomicLong allBusy = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();

  @Override
  public String name() {
    return "alliance-churn";
  }

  @Override
  public String description() {
    return "EMCs forming: owners invite, MEs accept and leave over HTTP, beside the bidding scenario's rounds and bids";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    change = context.metrics().operation("emc.change", "invite (owner), accept or leave (the ME) over HTTP, answered once stored");
    lane = context.lane();
    emcs = context.options().getInt("alliances", context.smoke() ? 2 : 8);
    churnerCount = context.options().getInt("churners", context.smoke() ? 16 : 400);
    if (churnerCount > emcs * 90) {
      throw new IllegalArgumentException("--churners: at most 90 per EMC (" + emcs * 90 + "), an EMC holds 100 members");
    }
    operators = Math.min(churnerCount, context.options().getInt("churn-operators", context.smoke() ? 4 : 20));
    share = context.options().getDouble("alliance-share", 0.5);
    String prefix = "lt-" + context.runId() + "-" + name();
    emcIds = new String[emcs];
    ownerTokens = new String[emcs];
    acknowledgedSteps = new AtomicLong[emcs];
    doubtfulSteps = new AtomicLong[emcs];
    for (int e = 0; e < emcs; e++) {
      ownerTokens[e] = context.tokens().operator(920_000 + e);
      emcIds[e] = Fixtures.startEmc(context, lane, ownerTokens[e], prefix + "-emc" + e, "Alliance " + e);
      acknowledgedSteps[e] = new AtomicLong();
      doubtfulSteps[e] = new AtomicLong();
    }
    operatorTokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      operatorTokens[i] = context.tokens().operator(930_000 + i);
    }
    churners = new Churner[churnerCount];
    String[] ids = new String[churnerCount];
    for (int i = 0; i < churnerCount; i++) {
      churners[i] = new Churner(i, i % emcs, prefix + "-me" + i);
      ids[i] = churners[i].meId;
    }
    Fixtures.registerAll(context, lane, ids, i -> operatorTokens[i % operators], "alliance-work");
    bidding.setUp(context);
    context
        .log()
        .printf(
            Locale.ROOT,
            "alliance-churn: %d EMCs, %d MEs joining and leaving over %d operators; %.0f%% of operations are EMC steps, the rest bids%n",
            emcs,
            churnerCount,
            operators,
            100 * share);
  }

  @Override
  public void fire(long intendedNanos) {
    // a fixed interleaving rather than a coin: the share holds in a short run too
    int n = fired.getAndIncrement();
    if ((long) ((n + 1) * share) == (long) (n * share)) {
      bidding.fire(intendedNanos);
      return;
    }
    Churner c = null;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 8 && c == null; attempt++) {
      Churner candidate = churners[random.nextInt(churnerCount)];
      if (!candidate.inDoubt && candidate.busy.compareAndSet(false, true)) {
        c = candidate;
      }
    }
    if (c == null) {
      allBusy.incrementAndGet();
      change.error(intendedNanos, "client:all-busy");
      return;
    }
    Churner me = c;
    String emcPath = "/v1/emcs/" + emcIds[me.emc];
    String meToken = operatorTokens[me.index % operators];
    HttpLane.Request request;
    State after;
    switch (me.state) {
      case NONE -> {
        me.invitations++;
        request =
            context
                .api()
                .send(
                    "POST",
                    emcPath + "/invitations",
                    ownerTokens[me.emc],
                    InviteMemberRequest.newBuilder()
                        .setInvitationId(me.invitationId())
                        .setMeId(me.meId)
                        .setSide(Member.Side.SOLUTION)
                        .setRole("worker")
                        .setTerms(Terms.newBuilder().setShareBps(10).setTarget(Target.newBuilder().setMetric(Target.Metric.REPORTED).setAmount(1)))
                        .build());
        after = State.INVITED;
      }
      case INVITED -> {
        request =
            context.api().send("POST", emcPath + "/invitations/" + me.invitationId() + "/accept", meToken, com.google.protobuf.Empty.getDefaultInstance());
        after = State.MEMBER;
      }
      default -> {
        request = context.api().delete(emcPath + "/members/" + me.meId, meToken);
        after = State.NONE;
      }
    }
    lane.submit(
        request,
        (response, failure) -> {
          if (failure != null) {
            change.error(intendedNanos, Api.failureCode(failure));
            if (Api.mayHaveReachedTheNode(failure)) {
              me.inDoubt = true;
              doubtfulSteps[me.emc].incrementAndGet();
            }
          } else if (response.status() / 100 == 2) {
            change.success(intendedNanos);
            me.state = after;
            acknowledgedSteps[me.emc].incrementAndGet();
          } else {
            change.error(intendedNanos, Api.errorCode(response));
            if (response.status() >= 500) {
              me.inDoubt = true;
              doubtfulSteps[me.emc].incrementAndGet();
            } else {
              refused.incrementAndGet();
              if (after == State.INVITED) {
                me.invitations--; // not stored: the next invitation may use its id
              }
            }
          }
          me.busy.set(false);
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.drain(lane, deadlineNanos);
    bidding.drain(deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    List<String> problems = new ArrayList<>();
    long steps = 0;
    int mismatched = 0;
    int doubt = 0;
    for (int e = 0; e < emcs; e++) {
      HttpLane.Response r = lane.send(context.api().get("/v1/emcs/" + emcIds[e], ownerTokens[e]));
      if (r.status() != 200) {
        problems.add("EMC " + emcIds[e] + " could not be read: " + Api.errorCode(r));
        continue;
      }
      Emc emc = Api.parse(r, Emc.newBuilder()).build();
      Set<String> members = new HashSet<>();
      emc.getMembersList().forEach(m -> members.add(m.getMeId()));
      Set<String> pending = new HashSet<>();
      for (Invitation i : emc.getInvitationsList()) {
        if (i.getStatus() == Invitation.Status.PENDING) {
          pending.add(i.getInvitationId());
        }
      }
      for (Churner c : churners) {
        if (c.emc != e) {
          continue;
        }
        if (c.inDoubt) {
          doubt++;
          continue;
        }
        boolean member = members.contains(c.meId);
        boolean invited = pending.contains(c.invitationId());
        boolean ok =
            switch (c.state) {
              case NONE -> !member && !invited;
              case INVITED -> !member && invited;
              case MEMBER -> member && !invited;
            };
        if (!ok) {
          mismatched++;
          MeRegisterScenario.note(problems, c.meId + " should be " + c.state + " in " + emcIds[e] + " but is member=" + member + " invited=" + invited);
        }
      }
      long acked = acknowledgedSteps[e].get();
      long doubtful = doubtfulSteps[e].get();
      steps += acked;
      long version = emc.getVersion();
      if (version < 1 + acked || version > 1 + acked + doubtful) {
        MeRegisterScenario.note(
            problems,
            "EMC " + emcIds[e] + " is at version " + version + " after " + acked + " acknowledged steps (and " + doubtful + " in doubt): expected 1 + steps");
        mismatched++;
      }
    }
    Verification bids = bidding.verify();
    List<String> notes = new ArrayList<>();
    notes.add(doubt + " MEs had a step in doubt (5xx or no answer) and were left alone from then on");
    notes.add(refused.get() + " steps refused with a 4xx; " + allBusy.get() + " not sent because every ME picked had a step in flight");
    notes.add("bidding beside it: " + bids.summary());
    notes.addAll(bids.notes());
    List<String> allProblems = new ArrayList<>(problems);
    allProblems.addAll(bids.problems());
    boolean passed = mismatched == 0 && bids.passed();
    String summary =
        String.format(
            Locale.ROOT,
            "%d acknowledged EMC steps over %d EMCs: %s; %s",
            steps,
            emcs,
            mismatched == 0 ? "members, invitations and versions all as acknowledged" : mismatched + " mismatches",
            bids.passed() ? "bids all stored once" : "bids FAILED");
    return new Verification(passed, summary, allProblems, notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("alliances", String.valueOf(emcs));
    s.put("churners", churnerCount + " MEs over " + operators + " operators");
    s.put("alliance share", String.valueOf(share));
    bidding.settings().forEach((k, v) -> s.put("bidding " + k, v));
    return s;
  }

  @Override
  public void close() {
    bidding.close();
  }
}
