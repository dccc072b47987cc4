package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.AnswerInvitationRequest;
import io.rendan.protocol.api.v1.BooksReport;
import io.rendan.protocol.api.v1.EmcStatement;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.RecordRevenueRequest;
import io.rendan.protocol.api.v1.RegisterMeRequest;
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
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Revenue through EMCs that hold seats in each other: {@code POST
 * /v1/emcs/{emcId}/revenue} on the top EMC of one of {@code --chains} chains (4)
 * of {@code levels} EMCs each, every EMC with one ME member (20 %) and the next
 * EMC of its chain holding a seat (50 %). {@code revenue-flat} is one level (one
 * split per revenue), {@code revenue-nested} three ({@code --levels}): the
 * revenue's part for a seat is passed on and split again, so a nested revenue
 * is {@code levels} splits. Compare the node's CPU per revenue, and per split
 * (divided by the levels), of the two in one run.
 *
 * <p>The node must take EMC seats, as it does by default; a node started with
 * {@code RENDAN_EMC_MEMBERS=false} refuses the set-up's seats (drop that setting, or
 * pass {@code --server-env RENDAN_EMC_MEMBERS=true}).
 * The drain waits, inside the measured CPU window, until the bottom EMC of each
 * chain has recorded every acknowledged revenue, so the splits passed on after
 * the last answer are counted.
 *
 * <p>Check, for every chain: each level recorded each acknowledged revenue once
 * (its statement's count of the month), the chain's MEs were credited exactly
 * the amounts acknowledged, and the books check is balanced.
 */
final class NestedRevenueScenario implements Scenario {
  private final String name;
  private final int defaultLevels;
  private ScenarioContext context;
  private OperationStats record;
  private HttpLane lane;
  private int chains;
  private int levels;
  private String[][] emcIds;
  private String[][] meIds;
  private String[] tokens;
  private AtomicLongArray acknowledged;
  private AtomicLongArray acknowledgedMinor;
  private final AtomicInteger next = new AtomicInteger();
  private YearMonth month;

  NestedRevenueScenario(String name, int defaultLevels) {
    this.name = name;
    this.defaultLevels = defaultLevels;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return "POST /v1/emcs/{id}/revenue on the top EMC of chains of " + defaultLevels
        + " EMC(s), each holding a seat in the one above: the revenue is split once per level";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    record = context.metrics().operation("revenue.record", "POST /v1/emcs/{id}/revenue on a chain's top EMC, passed on down the chain");
    lane = context.lane();
    chains = context.options().getInt("chains", context.smoke() ? 1 : 4);
    levels = context.options().getInt("levels", defaultLevels);
    String prefix = "lt-" + context.runId() + "-" + name;
    emcIds = new String[chains][levels];
    meIds = new String[chains][levels + 1];
    tokens = new String[chains];
    acknowledged = new AtomicLongArray(chains);
    acknowledgedMinor = new AtomicLongArray(chains);
    for (int c = 0; c < chains; c++) {
      // one operator owns every ME and EMC of a chain: it answers for the EMC seats too
      tokens[c] = context.tokens().operator(830_000 + c);
      for (int l = 0; l < levels; l++) {
        emcIds[c][l] = Fixtures.startEmc(context, lane, tokens[c], prefix + "-c" + c + "-l" + l, "Chain " + c + " level " + l);
        meIds[c][l] = Fixtures.register(context, lane, tokens[c], prefix + "-c" + c + "-l" + l + "-member", "washers");
        invite(c, emcIds[c][l], meIds[c][l], "", 2_000);
      }
      for (int l = 0; l + 1 < levels; l++) {
        invite(c, emcIds[c][l], emcIds[c][l + 1], "emc", 5_000);
      }
    }
    month = YearMonth.from(Instant.now().atOffset(ZoneOffset.UTC));
  }

  private void invite(int chain, String emcId, String memberId, String kind, int shareBps) throws Exception {
    Fixtures.join(
        context,
        lane,
        emcId,
        InviteMemberRequest.newBuilder()
            .setInvitationId(kind.isEmpty() ? "member" : "seat")
            .setMeId(memberId)
            .setMemberKind(kind)
            .setSide(Member.Side.SOLUTION)
            .setRole(kind.isEmpty() ? "washers" : "member EMC")
            .setTerms(Terms.newBuilder().setShareBps(shareBps).setTarget(Target.newBuilder().setMetric(Target.Metric.REVENUE).setAmount(1)))
            .build(),
        tokens[chain],
        tokens[chain]);
  }

  @Override
  public void fire(long intendedNanos) {
    int n = next.getAndIncrement();
    int chain = n % chains;
    long amount = 1_000 + (n * 7_919L) % 9_001;
    lane.submit(
        context.api().send(
            "POST",
            "/v1/emcs/" + emcIds[chain][0] + "/revenue",
            tokens[chain],
            RecordRevenueRequest.newBuilder()
                .setRevenueId("r" + n)
                .setAmountMinor(amount)
                .setCurrency("EUR")
                .setSource("laundry-cycle")
                .setUnits(1)
                .build()),
        (response, failure) -> {
          if (failure != null) {
            record.error(intendedNanos, Api.failureCode(failure));
          } else if (response.status() == 200 || response.status() == 201) {
            acknowledged.incrementAndGet(chain);
            acknowledgedMinor.addAndGet(chain, amount);
            record.success(intendedNanos);
          } else {
            record.error(intendedNanos, Api.errorCode(response));
          }
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.drain(lane, deadlineNanos);
    // the splits passed on after the last answer belong to the measured work
    Waits.until(
        () -> {
          try {
            for (int c = 0; c < chains; c++) {
              if (statement(c, levels - 1).getRevenueCount() < acknowledged.get(c)) {
                return false;
              }
            }
            return true;
          } catch (Exception e) {
            return false;
          }
        },
        deadlineNanos + Duration.ofSeconds(60).toNanos());
  }

  private EmcStatement statement(int chain, int level) throws Exception {
    return Api.parse(
            Fixtures.call(
                context, lane, "GET", "/v1/emcs/" + emcIds[chain][level] + "/statement?period=" + month, tokens[chain], null, 200),
            EmcStatement.newBuilder())
        .build();
  }

  private long balance(int chain, String meId) throws Exception {
    Me me = Api.parse(Fixtures.call(context, lane, "GET", "/v1/mes/" + meId, tokens[chain], null, 200), Me.newBuilder()).build();
    return me.getBalancesList().stream().mapToLong(b -> b.getAmountMinor()).sum();
  }

  @Override
  public Verification verify() throws Exception {
    List<String> problems = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    BooksReport books = null;
    while (System.nanoTime() < deadline) {
      books =
          Api.parse(Fixtures.call(context, lane, "GET", "/v1/admin/books", context.tokens().admin(), null, 200), BooksReport.newBuilder()).build();
      if (books.getBalanced()) {
        break;
      }
      Thread.sleep(250);
    }
    long revenues = 0;
    for (int c = 0; c < chains; c++) {
      revenues += acknowledged.get(c);
      for (int l = 0; l < levels; l++) {
        int count = statement(c, l).getRevenueCount();
        if (count != acknowledged.get(c)) {
          MeRegisterScenario.note(problems, emcIds[c][l] + ": " + count + " revenues recorded, " + acknowledged.get(c) + " acknowledged at the top");
        }
      }
      long credited = 0;
      for (int l = 0; l < levels; l++) {
        credited += balance(c, meIds[c][l]) + balance(c, emcIds[c][l] + "-owner");
      }
      if (credited != acknowledgedMinor.get(c)) {
        MeRegisterScenario.note(problems, "chain " + c + ": its MEs were credited " + credited + ", " + acknowledgedMinor.get(c) + " acknowledged");
      }
    }
    if (books == null || !books.getBalanced()) {
      MeRegisterScenario.note(problems, "the books check is not balanced: " + (books == null ? "not read" : books.getDifferencesList()));
    }
    List<String> notes = new ArrayList<>();
    notes.add(revenues + " revenues acknowledged, " + revenues * levels + " splits (" + levels + " per revenue)");
    notes.add("node CPU per split = node CPU per revenue / " + levels);
    return new Verification(
        problems.isEmpty(),
        chains + " chains of " + levels + " EMC(s): each revenue recorded once per level, credited once, books balanced: " + problems.size() + " problems",
        problems,
        notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("chains", Integer.toString(chains));
    s.put("levels", Integer.toString(levels));
    return s;
  }

  @Override
  public void close() {}
}
