package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.WsConnection;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.AwardBidRequest;
import io.rendan.protocol.api.v1.Bid;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many rounds at once, as a marketplace has them: owners of several EMCs keep
 * {@code --rounds} SEALED rounds open, each for {@code --round-seconds} of
 * business time (a new one is posted as one nears its deadline); thousands of
 * MEs bid over WebSocket (a connection per operator, each operating many MEs),
 * each bid on a round picked with a Zipf skew; when a round has closed by its
 * own timer its owner reads it and awards the lowest active ask.
 *
 * <p>Check: every acknowledged bid is in its round, once; every acknowledged
 * award is stored (the round is {@code AWARDED} to that bid).
 *
 * <p>The node's business clock may run fast ({@code --clock-speed}, passed to
 * the node that {@code bench} starts as {@code RENDAN_CLOCK_SPEED}) so that
 * rounds close within a short run.
 */
final class BiddingScenario implements Scenario {
  static final String CAPABILITY = "load-bidding";

  /** One round: where its bids went, and what became of it. */
  static final class RoundRun {
    final String id;
    final int emc;
    /** Estimated System.nanoTime() of its deadline (from the send of its post: early rather than late). */
    final long closesAtNanos;
    final ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> inDoubt = new ConcurrentLinkedQueue<>();
    volatile boolean retired;
    /** AWARDED, UNSUCCESSFUL, CANCELLED once seen so; the award this scenario got acknowledged. */
    volatile String finalStatus;
    volatile String awardedBidId;
    volatile boolean awardInDoubt;

    RoundRun(String id, int emc, long closesAtNanos) {
      this.id = id;
      this.emc = emc;
      this.closesAtNanos = closesAtNanos;
    }
  }

  /** Bidders when {@code --bidders} is not given (outside a smoke run). */
  private final int defaultBidders;
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private ScenarioContext context;
  private OperationStats bid;
  private OperationStats post;
  private OperationStats award;
  private HttpLane lane;
  /** Round posts and awards go to the nodes in turn ({@link ScenarioContext#nodeLane}). */
  private final java.util.concurrent.atomic.AtomicInteger postTurn = new java.util.concurrent.atomic.AtomicInteger();
  private int emcs;
  private int slots;
  private int bidders;
  private int operators;
  private double skew;
  private double roundSeconds;
  private double clockSpeed;
  private Zipf zipf;
  private String prefix;
  private String[] emcIds;
  private String[] ownerTokens;
  private String[] bidderIds;
  private final List<WsConnection> connections = new ArrayList<>();
  private String[] operatorTokens;
  private RoundRun[] slot;
  private final List<RoundRun> rounds = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger roundSerial = new AtomicInteger();
  private final AtomicLong closedRefusals = new AtomicLong();
  private final AtomicLong overloaded = new AtomicLong();
  private final AtomicLong noOpenRound = new AtomicLong();
  /** Bids sent again because their node never read them (it was stopping, or the connection had closed). */
  private final AtomicLong resent = new AtomicLong();
  private static final long RESEND_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long RESEND_PAUSE_MILLIS = 200;
  private volatile boolean posting = true;
  private volatile boolean stopped;
  private Thread poster;
  private Thread awarder;

  BiddingScenario() {
    this(2000);
  }

  BiddingScenario(int defaultBidders) {
    this.defaultBidders = defaultBidders;
  }

  @Override
  public String name() {
    return "bidding";
  }

  @Override
  public String description() {
    return "many SEALED rounds of several EMCs; MEs bid over WebSocket with a Zipf skew over rounds; rounds close by their timer and owners award";
  }

  /** The business clock's speed of the node: {@code --clock-speed}, 4 in a smoke run (the harness starts the node so). */
  static double clockSpeed(ScenarioContext context) {
    return context.options().getDouble("clock-speed", context.smoke() ? 4 : 1);
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    bid = context.metrics().operation("round.bid", "PlaceBid over WebSocket on one of many rounds, answered once stored");
    post = context.metrics().operation("round.post", "POST /v1/emcs/{id}/calls by an owner, opening a round (latency from its send)");
    award = context.metrics().operation("round.award", "POST /v1/rounds/{id}/award by the owner once the round closed (latency from its send)");
    lane = context.lane();
    emcs = context.options().getInt("emcs", context.smoke() ? 2 : 4);
    slots = context.options().getInt("rounds", context.smoke() ? 6 : 40);
    bidders = context.options().getInt("bidders", context.smoke() ? 40 : defaultBidders);
    operators = Math.min(bidders, context.options().getInt("operators", context.smoke() ? 4 : 40));
    skew = context.options().getDouble("skew", 1.0);
    roundSeconds = context.options().getDouble("round-seconds", context.smoke() ? 10 : 20);
    clockSpeed = clockSpeed(context);
    zipf = new Zipf(slots, skew, 7);
    prefix = "lt-" + context.runId() + "-" + name() + INSTANCES.incrementAndGet(); // unique when other scenarios of the run embed one

    emcIds = new String[emcs];
    ownerTokens = new String[emcs];
    for (int e = 0; e < emcs; e++) {
      ownerTokens[e] = context.tokens().operator(910_000 + e);
      emcIds[e] = Fixtures.startEmc(context, lane, ownerTokens[e], prefix + "-emc" + e, "Bidding EMC " + e);
    }
    operatorTokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      operatorTokens[i] = context.tokens().operator(i);
    }
    bidderIds = new String[bidders];
    for (int i = 0; i < bidders; i++) {
      bidderIds[i] = prefix + "-me" + i;
    }
    Fixtures.registerAll(context, lane, bidderIds, i -> operatorTokens[i % operators], CAPABILITY);
    openConnections();
    slot = new RoundRun[slots];
    for (int s = 0; s < slots; s++) {
      // staggered first deadlines, so that rounds do not all close at once
      slot[s] = postRound(s % emcs, roundSeconds * (1 + (double) s / slots));
      if (slot[s] == null) {
        throw new IllegalStateException("could not post the first rounds");
      }
    }
    poster = new Thread(this::keepRoundsOpen, "bidding-poster");
    awarder = new Thread(this::awardClosedRounds, "bidding-awarder");
    poster.setDaemon(true);
    awarder.setDaemon(true);
    poster.start();
    awarder.start();
    context
        .log()
        .printf(
            Locale.ROOT,
            "bidding: %d EMCs, %d rounds open at once (%.0f s of business time each, clock x%.1f), %d MEs over %d connections, skew %.2f (hottest round gets %.1f%%)%n",
            emcs,
            slots,
            roundSeconds,
            clockSpeed,
            bidders,
            operators,
            skew,
            100 * zipf.hottestShare());
  }

  /** (Re)opens the operators' connections that are not open: at set-up, and after a node restart. */
  synchronized void openConnections() throws Exception {
    for (int i = 0; i < operators; i++) {
      if (i < connections.size() && !connections.get(i).isClosed()) {
        continue;
      }
      WsConnection c =
          WsConnection.open(context.webSockets(), context.node(i).wsUri(), operatorTokens[i], context.api().protobuf(), p -> {})
              .get(30, TimeUnit.SECONDS);
      if (i < connections.size()) {
        connections.set(i, c);
      } else {
        connections.add(c);
      }
    }
  }

  /** Posts a round of EMC {@code e} closing in {@code seconds} of business time; null when the post failed. */
  private RoundRun postRound(int e, double seconds) {
    String id = prefix + "-r" + roundSerial.incrementAndGet();
    long sent = System.nanoTime();
    try {
      PostCallRequest request =
          PostCallRequest.newBuilder()
              .setRoundId(id)
              .setCall(
                  Call.newBuilder()
                      .setCapability(CAPABILITY)
                      .setSide(Member.Side.SOLUTION)
                      .setRole("bidder")
                      .setMaxShareBps(5_000)
                      .setMode(Call.Mode.SEALED)
                      .setTarget(Target.newBuilder().setMetric(Target.Metric.CYCLES).setAmount(1)))
              .setClosesInSeconds(Math.max(10, Math.round(seconds)))
              .build();
      // spread over the nodes like the other clients, and away from one that is stopping or killed
      HttpLane.Response r = context.nodeLane(postTurn.getAndIncrement()).send(context.api().send("POST", "/v1/emcs/" + emcIds[e] + "/calls", ownerTokens[e], request));
      if (r.status() != 201) {
        post.error(sent, Api.errorCode(r));
        return null;
      }
      post.successWithLatency((System.nanoTime() - sent) / 1_000);
      Round round = Api.parse(r, Round.newBuilder()).build();
      long businessNanos =
          TimeUnit.SECONDS.toNanos(round.getClosesAt().getSeconds() - round.getPostedAt().getSeconds())
              + (round.getClosesAt().getNanos() - round.getPostedAt().getNanos());
      RoundRun run = new RoundRun(id, e, sent + (long) (businessNanos / clockSpeed));
      synchronized (rounds) {
        rounds.add(run);
      }
      return run;
    } catch (Exception ex) {
      post.error(sent, Api.failureCode(ex));
      return null;
    }
  }

  /** A round is retired (no more bids sent to it) this long before its estimated deadline. */
  private long retireMarginNanos() {
    return Math.max(TimeUnit.MILLISECONDS.toNanos(500), (long) (roundSeconds / clockSpeed * 1e9 * 0.1));
  }

  private void keepRoundsOpen() {
    while (!stopped) {
      long now = System.nanoTime();
      for (int s = 0; s < slots && !stopped; s++) {
        RoundRun r = slot[s];
        if (r != null && r.closesAtNanos - now > retireMarginNanos()) {
          continue;
        }
        if (r != null) {
          r.retired = true;
          slot[s] = null;
        }
        if (posting) {
          slot[s] = postRound(s % emcs, roundSeconds);
          if (slot[s] == null) {
            sleep(500); // the node is refusing or away (a restart): do not hammer it
          }
        }
      }
      sleep(50);
    }
  }

  /** Reads each round past its deadline as its owner, and awards its lowest active ask. */
  private void awardClosedRounds() {
    while (!stopped) {
      List<RoundRun> due = new ArrayList<>();
      long now = System.nanoTime();
      synchronized (rounds) {
        for (RoundRun r : rounds) {
          if (r.finalStatus == null && now - r.closesAtNanos > TimeUnit.MILLISECONDS.toNanos(200)) {
            due.add(r);
          }
        }
      }
      for (RoundRun r : due) {
        if (stopped) {
          return;
        }
        tryToAward(r);
      }
      sleep(100);
    }
  }

  private void tryToAward(RoundRun r) {
    try {
      HttpLane nodeLane = context.nodeLane(postTurn.getAndIncrement());
      HttpLane.Response read = nodeLane.send(context.api().get("/v1/rounds/" + r.id, ownerTokens[r.emc]));
      if (read.status() != 200) {
        return;
      }
      Round round = Api.parse(read, Round.newBuilder()).build();
      switch (round.getStatus()) {
        case CLOSED -> {
          Bid best = null;
          for (Bid b : round.getBidsList()) {
            if (b.getStatus() == Bid.Status.ACTIVE && (best == null || b.getAskShareBps() < best.getAskShareBps())) {
              best = b;
            }
          }
          if (best == null) {
            return;
          }
          long sent = System.nanoTime();
          HttpLane.Response a =
              nodeLane.send(
                  context
                      .api()
                      .send("POST", "/v1/rounds/" + r.id + "/award", ownerTokens[r.emc], AwardBidRequest.newBuilder().setBidId(best.getBidId()).build()));
          if (a.status() == 200) {
            award.successWithLatency((System.nanoTime() - sent) / 1_000);
            r.awardedBidId = best.getBidId();
            r.finalStatus = "AWARDED";
          } else {
            award.error(sent, Api.errorCode(a));
            r.awardInDoubt = a.status() >= 500;
          }
        }
        case AWARDED, UNSUCCESSFUL, CANCELLED -> r.finalStatus = round.getStatus().name();
        default -> {
          // still OPEN: its timer has not fired yet (or the estimate was early); try again
        }
      }
    } catch (Exception e) {
      // the node is busy or restarting: try again on the next pass
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A round to bid on: the Zipf pick, or the next slot with an open round while the pick's is being replaced. */
  private RoundRun pick() {
    int s = zipf.next();
    for (int k = 0; k < slots; k++) {
      RoundRun r = slot[(s + k) % slots];
      if (r != null && !r.retired) {
        return r;
      }
    }
    return null;
  }

  @Override
  public void fire(long intendedNanos) {
    fire(intendedNanos, bid);
  }

  /** One bid, its outcome recorded in {@code into} (the overload scenario keeps one operation per phase). */
  void fire(long intendedNanos, OperationStats into) {
    OperationStats bid = into;
    int n = next.getAndIncrement();
    RoundRun round = pick();
    if (round == null) {
      noOpenRound.incrementAndGet();
      bid.error(intendedNanos, "client:no-open-round");
      return;
    }
    int me = ThreadLocalRandom.current().nextInt(bidders);
    String bidId = "b" + n;
    PlaceBidRequest request =
        PlaceBidRequest.newBuilder()
            .setRoundId(round.id)
            .setBidId(bidId)
            .setMeId(bidderIds[me])
            .setAskShareBps(1 + (int) ((n * 7919L) % 4_999))
            .setPlan("plan " + n)
            .build();
    send(intendedNanos, bid, round, me, bidId, request, System.nanoTime() + RESEND_WITHIN_NANOS);
  }

  /**
   * Sends a bid on its operator's connection. A bid the node never read (it closed
   * the connection normally: it is stopping, {@link WsConnection#DRAINED}) is sent
   * again once the operator has reconnected, to another node; until {@code
   * giveUpAt}, after which it counts as in doubt.
   */
  private void send(
      long intendedNanos, OperationStats bid, RoundRun round, int me, String bidId, PlaceBidRequest request, long giveUpAt) {
    WsConnection c;
    synchronized (this) {
      c = connections.get(me % operators);
    }
    c.request(ClientFrame.newBuilder().setPlaceBid(request))
        .whenComplete(
            (response, failure) -> {
              if (failure instanceof WsConnection.Unanswered u
                  && u.code().equals(WsConnection.DRAINED)
                  && System.nanoTime() - giveUpAt < 0) {
                resent.incrementAndGet();
                CompletableFuture.delayedExecutor(RESEND_PAUSE_MILLIS, TimeUnit.MILLISECONDS)
                    .execute(() -> send(intendedNanos, bid, round, me, bidId, request, giveUpAt));
              } else if (failure != null) {
                bid.error(intendedNanos, failure instanceof WsConnection.Unanswered u ? u.code() : Api.failureCode(failure));
                round.inDoubt.add(bidId);
              } else if (response.hasError()) {
                String code = response.getError().getCode();
                bid.error(intendedNanos, code);
                if (code.equals("bidding:round.closed")) {
                  closedRefusals.incrementAndGet();
                } else if (response.getError().getStatus() == 429) {
                  overloaded.incrementAndGet();
                } else if (response.getError().getStatus() >= 500) {
                  round.inDoubt.add(bidId);
                }
              } else {
                bid.success(intendedNanos);
                round.acknowledged.add(bidId);
              }
            });
  }

  /** Rounds not finished yet, each with its owner's token (who may read it): the cluster scenarios probe them. */
  Map<String, String> unfinishedRounds() {
    Map<String, String> open = new LinkedHashMap<>();
    synchronized (rounds) {
      for (RoundRun r : rounds) {
        if (r.finalStatus == null) {
          open.put(r.id, ownerTokens[r.emc]);
        }
      }
    }
    return open;
  }

  /** Every bidder ME with the token of the operator that registered it. */
  Map<String, String> bidders() {
    Map<String, String> all = new LinkedHashMap<>();
    for (int i = 0; i < bidders; i++) {
      all.put(bidderIds[i], operatorTokens[i % operators]);
    }
    return all;
  }

  /** Bids still waiting for their answer. */
  int pending() {
    synchronized (this) {
      return connections.stream().mapToInt(WsConnection::pending).sum();
    }
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    posting = false;
    Waits.until(() -> pending() == 0, deadlineNanos);
    synchronized (this) {
      connections.forEach(WsConnection::abandonPending);
    }
    for (int s = 0; s < slots; s++) {
      if (slot[s] != null) {
        slot[s].retired = true;
      }
    }
    // every round closes by its timer, then is awarded (or found without bids)
    Waits.until(
        () -> {
          synchronized (rounds) {
            return rounds.stream().allMatch(r -> r.finalStatus != null);
          }
        },
        deadlineNanos);
    stopped = true;
    poster.join(5_000);
    awarder.join(30_000);
  }

  @Override
  public Verification verify() throws Exception {
    List<String> problems = new ArrayList<>();
    long acknowledged = 0;
    long lost = 0;
    long duplicates = 0;
    long doubtStored = 0;
    long doubt = 0;
    int awards = 0;
    int awardsStored = 0;
    int unfinished = 0;
    Map<String, Integer> statuses = new HashMap<>();
    List<RoundRun> all;
    synchronized (rounds) {
      all = List.copyOf(rounds);
    }
    List<CheckReads.Read> reads = new ArrayList<>();
    for (RoundRun r : all) {
      reads.add(new CheckReads.Read(r.id, context.api().get("/v1/rounds/" + r.id, ownerTokens[r.emc])));
    }
    CheckReads.Result result = CheckReads.readAll(context, "rounds", reads, 16);
    for (RoundRun r : all) {
      HttpLane.Response read = result.answered().get(r.id);
      if (read == null) {
        MeRegisterScenario.note(problems, "round " + r.id + " not confirmed before the check's deadline: " + result.unconfirmed().get(r.id));
        lost += r.acknowledged.size();
        continue;
      }
      if (read.status() != 200) {
        problems.add("round " + r.id + " could not be read: " + Api.errorCode(read));
        lost += r.acknowledged.size();
        continue;
      }
      Round round = Api.parse(read, Round.newBuilder()).build();
      statuses.merge(round.getStatus().name(), 1, Integer::sum);
      Map<String, Integer> stored = new HashMap<>();
      for (Bid b : round.getBidsList()) {
        stored.merge(b.getBidId(), 1, Integer::sum);
      }
      for (int count : stored.values()) {
        if (count > 1) {
          duplicates += count - 1;
        }
      }
      for (String b : r.acknowledged) {
        acknowledged++;
        if (!stored.containsKey(b)) {
          lost++;
          MeRegisterScenario.note(problems, "acknowledged but not in round " + r.id + ": " + b);
        }
      }
      for (String b : r.inDoubt) {
        doubt++;
        if (stored.containsKey(b)) {
          doubtStored++;
        }
      }
      if (r.awardedBidId != null) {
        awards++;
        if (round.getStatus() == Round.Status.AWARDED && round.getAwardedBidId().equals(r.awardedBidId)) {
          awardsStored++;
        } else {
          MeRegisterScenario.note(problems, "award of " + r.awardedBidId + " acknowledged but round " + r.id + " is " + round.getStatus() + " " + round.getAwardedBidId());
        }
      }
      if (r.finalStatus == null) {
        unfinished++;
      }
    }
    List<String> notes = new ArrayList<>();
    notes.add(all.size() + " rounds, by status at the end: " + statuses);
    notes.add(doubt + " bids in doubt (5xx, connection lost or no answer); " + doubtStored + " of them were stored");
    notes.add(closedRefusals.get() + " bids refused with bidding:round.closed (sent as the deadline passed); " + overloaded.get() + " refused with 429");
    if (resent.get() > 0) {
      notes.add(resent.get() + " bid sends repeated: the node had not read them (it was stopping, or the connection had closed)");
    }
    if (noOpenRound.get() > 0) {
      notes.add(noOpenRound.get() + " bids not sent: no open round at that moment");
    }
    if (unfinished > 0) {
      notes.add(unfinished + " rounds were neither awarded nor found finished before the drain ended");
    }
    boolean passed = lost == 0 && duplicates == 0 && awardsStored == awards;
    String summary =
        String.format(
            Locale.ROOT,
            "%d acknowledged bids over %d rounds: %d lost, %d stored twice; %d awards acknowledged, %d stored",
            acknowledged,
            all.size(),
            lost,
            duplicates,
            awards,
            awardsStored);
    return new Verification(passed, summary, problems, notes);
  }

  /** Every acknowledged bid, for scenarios built on this one. */
  long acknowledgedBids() {
    synchronized (rounds) {
      return rounds.stream().mapToLong(r -> r.acknowledged.size()).sum();
    }
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("emcs", String.valueOf(emcs));
    s.put("rounds open at once", String.valueOf(slots));
    s.put("round length", roundSeconds + " s business time at clock x" + clockSpeed);
    s.put("bidders", bidders + " MEs over " + operators + " WebSocket connections");
    s.put("skew", String.format(Locale.ROOT, "%.2f (hottest round %.1f%%)", skew, zipf == null ? 0 : 100 * zipf.hottestShare()));
    s.put("rounds posted", String.valueOf(roundSerial.get()));
    return s;
  }

  @Override
  public void close() {
    stopped = true;
    synchronized (this) {
      connections.forEach(WsConnection::close);
    }
  }
}
