package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.ListRoundsResponse;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.Prospectus;
import io.rendan.protocol.api.v1.RecordRevenueRequest;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.ReportPeriodValueRequest;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Terms;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reading prospectuses with many rounds open: {@code GET
 * /v1/rounds/{id}/prospectus?askBps=} on one of {@code --rounds} open rounds
 * (1 000), half of them by the EMC's owner (the bids beside it), half by a bidder.
 *
 * <p>Set-up builds history first: {@code --emcs} EMCs (20), each with a member on
 * a reported target, earn revenue for {@code --months} months (6) and close each
 * month as it ends, at the node's business clock; so it needs a fast clock, and
 * rounds that stay open long enough in business time:
 * {@code --clock-speed 200000 --server-env RENDAN_ROUND_MAX_CLOSES_IN=3650d} (a
 * month is then about 13 s, and a round stays open about 26 minutes). Then the
 * rounds are posted across the EMCs, each with three bids.
 *
 * <p>Check: every prospectus of an EMC agrees with the EMC's statements of its
 * closed periods to the minor unit, and the rounds were still open at the end.
 */
final class ProspectusScenario implements Scenario {
  private static final int TARGET = 10;

  private ScenarioContext context;
  private OperationStats read;
  private HttpLane lane;
  private int emcs;
  private int rounds;
  private int months;
  private String[] ownerTokens;
  private String[] owners;
  private String[] emcIds;
  private String[] bidderTokens;
  private String[] bidders;
  private final List<String> roundIds = new ArrayList<>();
  private final List<Integer> roundEmc = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  @Override
  public String name() {
    return "prospectus";
  }

  @Override
  public String description() {
    return "GET /v1/rounds/{id}/prospectus on one of many open rounds, by owners and bidders, over months of closed history";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    read = context.metrics().operation("prospectus.read", "GET /v1/rounds/{id}/prospectus?askBps=, half by owners (with bids)");
    lane = context.lane();
    emcs = context.options().getInt("emcs", context.smoke() ? 2 : 20);
    rounds = context.options().getInt("rounds", context.smoke() ? 10 : 1_000);
    months = context.options().getInt("months", context.smoke() ? 0 : 6);
    Duration closesIn = context.options().getDuration("round-closes-in", Duration.ofDays(context.smoke() ? 60 : 3_650));
    double speed = BiddingScenario.clockSpeed(context);
    Duration month = Duration.ofDays(31);
    if (months > 0 && month.toMillis() / speed > 60_000) {
      throw new IllegalStateException(
          "--months " + months + " needs a business clock fast enough that a month passes in a minute or less: "
              + "--clock-speed 200000 (it is " + speed + ")");
    }
    String prefix = "lt-" + context.runId() + "-prospect";
    ownerTokens = new String[emcs];
    owners = new String[emcs];
    emcIds = new String[emcs];
    String[] members = new String[emcs];
    String[] memberTokens = new String[emcs];
    for (int e = 0; e < emcs; e++) {
      ownerTokens[e] = context.tokens().operator(800_000 + e);
      memberTokens[e] = context.tokens().operator(810_000 + e);
      emcIds[e] = Fixtures.startEmc(context, lane, ownerTokens[e], prefix + "-emc" + e, "Prospect " + e);
      owners[e] = emcIds[e] + "-owner";
      members[e] = Fixtures.register(context, lane, memberTokens[e], prefix + "-member" + e, "washers");
      Fixtures.join(
          context,
          lane,
          emcIds[e],
          InviteMemberRequest.newBuilder()
              .setInvitationId("m")
              .setMeId(members[e])
              .setSide(Member.Side.SOLUTION)
              .setRole("washers")
              .setExpiresInSeconds(Duration.ofDays(90).toSeconds()) // a fast clock: the default 7 days pass in a second
              .setTerms(
                  Terms.newBuilder()
                      .setShareBps(2_500 + 100 * (e % 10))
                      .setTarget(Target.newBuilder().setMetric(Target.Metric.REPORTED).setAmount(TARGET)))
              .build(),
          ownerTokens[e],
          memberTokens[e]);
    }
    bidderTokens = new String[3];
    bidders = new String[3];
    for (int b = 0; b < 3; b++) {
      bidderTokens[b] = context.tokens().operator(820_000 + b);
      bidders[b] = Fixtures.register(context, lane, bidderTokens[b], prefix + "-bidder" + b, "washers");
    }

    // history: revenue and reports in each month, each month closed once it has ended. An
    // EMC closes its months in order from the month it started in, which a fast clock may
    // have left behind while the others were set up: those months are closed empty.
    YearMonth[] nextToClose = new YearMonth[emcs];
    for (int e = 0; e < emcs; e++) {
      io.rendan.protocol.api.v1.Emc emc =
          Api.parse(Fixtures.call(context, lane, "GET", "/v1/emcs/" + emcIds[e], ownerTokens[e], null, 200), io.rendan.protocol.api.v1.Emc.newBuilder())
              .build();
      nextToClose[e] = YearMonth.from(Instant.ofEpochSecond(emc.getCreatedAt().getSeconds()).atOffset(ZoneOffset.UTC));
    }
    for (int m = 0; m < months; m++) {
      YearMonth current = YearMonth.from(businessNow(speed).atOffset(ZoneOffset.UTC));
      for (int e = 0; e < emcs; e++) {
        for (int k = 0; k < 2; k++) {
          long amount = 10_001L * (e + 1) * (m + 2) + 7 * k;
          Fixtures.call(
              context,
              lane,
              "POST",
              "/v1/emcs/" + emcIds[e] + "/revenue",
              ownerTokens[e],
              RecordRevenueRequest.newBuilder()
                  .setRevenueId("m" + m + "-" + k)
                  .setAmountMinor(amount)
                  .setCurrency("EUR")
                  .setSource("laundry-cycle")
                  .setUnits(1)
                  .build(),
              200,
              201);
        }
        Fixtures.call(
            context,
            lane,
            "POST",
            "/v1/emcs/" + emcIds[e] + "/periods/" + current + "/reports",
            memberTokens[e],
            ReportPeriodValueRequest.newBuilder().setMeId(members[e]).setValue((m + e) % 3 == 0 ? TARGET - 1 : TARGET + 1).build(),
            200);
      }
      YearMonth through = YearMonth.from(businessNow(speed).atOffset(ZoneOffset.UTC));
      Instant end = through.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
      while (businessNow(speed).isBefore(end.plusSeconds(3_600))) {
        Thread.sleep(50); // waiting for the business clock, not for the node
      }
      for (int e = 0; e < emcs; e++) {
        for (; !nextToClose[e].isAfter(through); nextToClose[e] = nextToClose[e].plusMonths(1)) {
          Fixtures.call(
              context,
              lane,
              "POST",
              "/v1/emcs/" + emcIds[e] + "/periods/" + nextToClose[e] + "/close",
              ownerTokens[e],
              io.rendan.protocol.api.v1.ClosePeriodRequest.getDefaultInstance(),
              200);
        }
      }
    }

    for (int r = 0; r < rounds; r++) {
      int e = r % emcs;
      Round round =
          Api.parse(
                  Fixtures.call(
                      context,
                      lane,
                      "POST",
                      "/v1/emcs/" + emcIds[e] + "/calls",
                      ownerTokens[e],
                      PostCallRequest.newBuilder()
                          .setCall(
                              Call.newBuilder()
                                  .setCapability("washers")
                                  .setSide(Member.Side.SOLUTION)
                                  .setRole("washers " + r)
                                  .setMaxShareBps(3_000)
                                  .setMode(Call.Mode.SEALED)
                                  .setTarget(Target.newBuilder().setMetric(Target.Metric.REPORTED).setAmount(TARGET)))
                          .setClosesInSeconds(closesIn.toSeconds())
                          .build(),
                      201),
                  Round.newBuilder())
              .build();
      roundIds.add(round.getRoundId());
      roundEmc.add(e);
      for (int b = 0; b < bidders.length; b++) {
        Fixtures.call(
            context,
            lane,
            "POST",
            "/v1/rounds/" + round.getRoundId() + "/bids",
            bidderTokens[b],
            PlaceBidRequest.newBuilder().setBidId("b" + b).setMeId(bidders[b]).setAskShareBps(1_000 + 500 * b).setPlan("plan").build(),
            200);
      }
    }
    // the read model follows the journal: wait until every EMC shows its closed months
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int e = 0; e < emcs; e++) {
      while (prospectus(roundIds.get(e), ownerTokens[e]).getPeriodsCount() < Math.min(6, months)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the prospectus of " + emcIds[e] + " did not show its closed months within 60 s");
        }
        Thread.sleep(100);
      }
    }
  }

  private Instant businessNow(double speed) {
    Instant now = Instant.now();
    if (speed == 1) {
      return now;
    }
    Instant origin = Instant.parse(context.options().get("clock-origin", "2026-01-01T00:00:00Z"));
    return origin.plusNanos((long) (Duration.between(origin, now).toNanos() * speed));
  }

  private Prospectus prospectus(String roundId, String token) throws Exception {
    return Api.parse(
            Fixtures.call(context, lane, "GET", "/v1/rounds/" + roundId + "/prospectus", token, null, 200), Prospectus.newBuilder())
        .build();
  }

  @Override
  public void fire(long intendedNanos) {
    int n = next.getAndIncrement();
    int r = (int) ((n * 7_919L) % roundIds.size());
    int e = roundEmc.get(r);
    String token = n % 2 == 0 ? ownerTokens[e] : bidderTokens[n % bidderTokens.length];
    int ask = (int) ((n * 131L) % 10_001);
    lane.submit(
        context.api().get("/v1/rounds/" + roundIds.get(r) + "/prospectus?askBps=" + ask, token),
        (response, failure) -> {
          if (failure != null) {
            read.error(intendedNanos, Api.failureCode(failure));
          } else if (response.status() == 200) {
            read.success(intendedNanos);
          } else {
            read.error(intendedNanos, Api.errorCode(response));
          }
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.drain(lane, deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    List<String> problems = new ArrayList<>();
    int periodsChecked = 0;
    for (int e = 0; e < emcs; e++) {
      Prospectus p = prospectus(roundIds.get(e), ownerTokens[e]);
      if (p.getBidsCount() != bidders.length) {
        MeRegisterScenario.note(problems, emcIds[e] + ": the owner sees " + p.getBidsCount() + " bids, not " + bidders.length);
      }
      for (Prospectus.Period period : p.getPeriodsList()) {
        EmcStatement s =
            Api.parse(
                    Fixtures.call(
                        context, lane, "GET", "/v1/emcs/" + emcIds[e] + "/statement?period=" + period.getPeriod(), ownerTokens[e], null, 200),
                    EmcStatement.newBuilder())
                .build();
        long owner = s.getSharesList().stream().filter(x -> x.getOwner()).mapToLong(EmcStatement.Share::getAmountMinor).sum();
        if (s.getRevenueMinor() != period.getRevenueMinor() || owner != period.getOwnerKeptMinor()) {
          MeRegisterScenario.note(
              problems,
              emcIds[e] + " " + period.getPeriod() + ": prospectus revenue " + period.getRevenueMinor() + ", owner " + period.getOwnerKeptMinor()
                  + "; statement revenue " + s.getRevenueMinor() + ", owner " + owner);
        }
        periodsChecked++;
      }
    }
    int open = 0;
    String after = "";
    do {
      ListRoundsResponse page =
          Api.parse(
                  Fixtures.call(
                      context, lane, "GET", "/v1/rounds?status=OPEN&capability=washers&limit=100" + (after.isEmpty() ? "" : "&after=" + after),
                      ownerTokens[0], null, 200),
                  ListRoundsResponse.newBuilder())
              .build();
      open += page.getRoundsCount();
      after = page.getNextPage();
    } while (!after.isEmpty());
    List<String> notes = new ArrayList<>();
    notes.add(open + " rounds open at the end (" + rounds + " posted)");
    if (open < rounds) {
      notes.add("fewer rounds open than posted: give a longer --round-closes-in (and RENDAN_ROUND_MAX_CLOSES_IN)");
    }
    return new Verification(
        problems.isEmpty(),
        periodsChecked + " closed periods of " + emcs + " EMCs checked against their statements: " + problems.size() + " differ",
        problems,
        notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("emcs", Integer.toString(emcs));
    s.put("rounds", Integer.toString(rounds));
    s.put("months", Integer.toString(months));
    return s;
  }

  @Override
  public void close() {}
}
