package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.WsConnection;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.GetMeRequest;
import io.rendan.protocol.api.v1.GetRoundRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Target;
import io.rendan.protocol.api.v1.Unsubscribe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The floor under a bid (issue 15): what a WebSocket request costs the node with
 * nothing behind it, and with a sharded entity's answer behind it but nothing
 * stored. The clients are {@code bidding}'s: {@code --operators} (40) connections,
 * one per operator subject, in the run's {@code --encoding}; each fire is one
 * request on one of them, answered once.
 *
 * <ul>
 *   <li>{@link Mode#TRIVIAL} ({@code ws-trivial}): {@code unsubscribe} of a topic the
 *       connection does not hold. The session answers it by itself (the connection's
 *       own subscription table; no entity, no admission slot, no database).
 *   <li>{@link Mode#READ_ROUND} ({@code ws-read}): {@code getRound} of one of
 *       {@code --rounds} (40) open SEALED rounds of {@code --emcs} (4) EMCs, picked with
 *       {@code bidding}'s Zipf skew; each round holds {@value #BIDS_PER_ROUND} bids.
 *       The readers do not operate the owner, so they get the public view.
 *   <li>{@link Mode#READ_ME} ({@code ws-read-me}): {@code getMe} of one of the
 *       {@code --bidders} MEs, by its operator, Zipf-picked: one ask of a sharded
 *       entity answered from its memory and nothing else.
 * </ul>
 *
 * <p>Check: the answer is the one asked for (the topic, the round, the ME), and the
 * reads stored nothing: every round and ME is at the version it had after set-up.
 */
final class WsFloorScenario implements Scenario {
  enum Mode {
    TRIVIAL("ws-trivial"),
    READ_ROUND("ws-read"),
    READ_ME("ws-read-me");

    final String scenarioName;

    Mode(String scenarioName) {
      this.scenarioName = scenarioName;
    }
  }

  /** Bids each round of {@code ws-read} holds: a few, so that a read answers a small round. */
  static final int BIDS_PER_ROUND = 3;

  /** The topic {@code ws-trivial} unsubscribes from: never subscribed to, so nothing is asked. */
  static final String NOT_HELD = "round/lt-ws-trivial-not-held";

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Mode mode;
  private ScenarioContext context;
  private OperationStats op;
  private int operators;
  private int emcs;
  private int slots;
  private int bidders;
  private double skew;
  private Zipf zipf;
  private String[] operatorTokens;
  private String[] ownerTokens;
  private String[] roundIds;
  private String[] roundOwnerTokens;
  private String[] meIds;
  /** Version of each round (or ME) once set up: a read must leave it there. */
  private final Map<String, Long> versions = new LinkedHashMap<>();
  private final List<WsConnection> connections = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong wrongAnswers = new AtomicLong();

  WsFloorScenario(Mode mode) {
    this.mode = mode;
  }

  @Override
  public String name() {
    return mode.scenarioName;
  }

  @Override
  public String description() {
    return switch (mode) {
      case TRIVIAL -> "bidding's WebSocket clients, each request an unsubscribe of a topic not held: answered by the session alone";
      case READ_ROUND -> "bidding's WebSocket clients, each request a getRound of one of 40 open rounds of 3 bids (Zipf): no write";
      case READ_ME -> "bidding's WebSocket clients, each request a getMe of one of the bidder MEs by its operator (Zipf): one sharded ask";
    };
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    op =
        context
            .metrics()
            .operation(
                switch (mode) {
                  case TRIVIAL -> "ws.unsubscribe";
                  case READ_ROUND -> "ws.get-round";
                  case READ_ME -> "ws.get-me";
                },
                switch (mode) {
                  case TRIVIAL -> "unsubscribe of a topic the connection does not hold, over WebSocket";
                  case READ_ROUND -> "getRound of an open round (public view), over WebSocket";
                  case READ_ME -> "getMe of an ME by its operator, over WebSocket";
                });
    operators = context.options().getInt("operators", context.smoke() ? 4 : 40);
    operatorTokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      operatorTokens[i] = context.tokens().operator(i);
    }
    skew = context.options().getDouble("skew", 1.0);
    String prefix = "lt-" + context.runId() + "-" + name() + INSTANCES.incrementAndGet();
    HttpLane lane = context.lane();
    if (mode != Mode.TRIVIAL) {
      bidders = context.options().getInt("bidders", context.smoke() ? 12 : 120);
      meIds = new String[bidders];
      for (int i = 0; i < bidders; i++) {
        meIds[i] = prefix + "-me" + i;
      }
      Fixtures.registerAll(context, lane, meIds, i -> operatorTokens[i % operators], BiddingScenario.CAPABILITY);
    }
    if (mode == Mode.READ_ROUND) {
      setUpRounds(lane, prefix);
      zipf = new Zipf(slots, skew, 7);
    } else if (mode == Mode.READ_ME) {
      for (int i = 0; i < bidders; i++) {
        Me me = Api.parse(Fixtures.call(context, lane, "GET", "/v1/mes/" + meIds[i], operatorTokens[i % operators], null, 200), Me.newBuilder()).build();
        versions.put(meIds[i], me.getVersion());
      }
      zipf = new Zipf(bidders, skew, 7);
    }
    for (int i = 0; i < operators; i++) {
      connections.add(
          WsConnection.open(context.webSockets(), context.api().wsUri(), operatorTokens[i], context.api().protobuf(), p -> {})
              .get(30, TimeUnit.SECONDS));
    }
    context
        .log()
        .printf(
            Locale.ROOT,
            "%s: %d WebSocket connections%s%n",
            name(),
            operators,
            switch (mode) {
              case TRIVIAL -> ", unsubscribe of " + NOT_HELD;
              case READ_ROUND -> String.format(Locale.ROOT, ", %d rounds of %d EMCs with %d bids each, skew %.2f", slots, emcs, BIDS_PER_ROUND, skew);
              case READ_ME -> String.format(Locale.ROOT, ", %d MEs, skew %.2f", bidders, skew);
            });
  }

  /** {@code bidding}'s EMCs and open rounds, each with a few bids, posted to stay open through any run. */
  private void setUpRounds(HttpLane lane, String prefix) throws Exception {
    emcs = context.options().getInt("emcs", context.smoke() ? 2 : 4);
    slots = context.options().getInt("rounds", context.smoke() ? 6 : 40);
    String[] emcIds = new String[emcs];
    ownerTokens = new String[emcs];
    for (int e = 0; e < emcs; e++) {
      ownerTokens[e] = context.tokens().operator(910_000 + e);
      emcIds[e] = Fixtures.startEmc(context, lane, ownerTokens[e], prefix + "-emc" + e, "Floor EMC " + e);
    }
    roundIds = new String[slots];
    roundOwnerTokens = new String[slots];
    for (int s = 0; s < slots; s++) {
      int e = s % emcs;
      PostCallRequest post =
          PostCallRequest.newBuilder()
              .setRoundId(prefix + "-r" + s)
              .setCall(
                  Call.newBuilder()
                      .setCapability(BiddingScenario.CAPABILITY)
                      .setSide(Member.Side.SOLUTION)
                      .setRole("bidder")
                      .setMaxShareBps(5_000)
                      .setMode(Call.Mode.SEALED)
                      .setTarget(Target.newBuilder().setMetric(Target.Metric.CYCLES).setAmount(1)))
              .setClosesInSeconds(86_400) // a day of business time: open through the run
              .build();
      Round round =
          Api.parse(Fixtures.call(context, lane, "POST", "/v1/emcs/" + emcIds[e] + "/calls", ownerTokens[e], post, 201), Round.newBuilder())
              .build();
      roundIds[s] = round.getRoundId();
      roundOwnerTokens[s] = ownerTokens[e];
      long version = round.getVersion();
      for (int b = 0; b < BIDS_PER_ROUND; b++) {
        int me = (s * BIDS_PER_ROUND + b) % bidders;
        PlaceBidRequest bid =
            PlaceBidRequest.newBuilder()
                .setBidId("b" + b)
                .setMeId(meIds[me])
                .setAskShareBps(100 + 100 * b)
                .setPlan("plan " + b)
                .build();
        Round after =
            Api.parse(
                    Fixtures.call(context, lane, "POST", "/v1/rounds/" + roundIds[s] + "/bids", operatorTokens[me % operators], bid, 200),
                    Round.newBuilder())
                .build();
        version = Math.max(version, after.getVersion());
      }
      versions.put(roundIds[s], version);
    }
  }

  /** The request reading {@code target} (a round or ME id; ws-trivial's is always {@link #NOT_HELD}). */
  static ClientFrame.Builder request(Mode mode, String target) {
    ClientFrame.Builder frame = ClientFrame.newBuilder();
    return switch (mode) {
      case TRIVIAL -> frame.setUnsubscribe(Unsubscribe.newBuilder().setTopic(NOT_HELD));
      case READ_ROUND -> frame.setGetRound(GetRoundRequest.newBuilder().setRoundId(target));
      case READ_ME -> frame.setGetMe(GetMeRequest.newBuilder().setMeId(target));
    };
  }

  /** Whether {@code response} answers the request for {@code target}: the topic, the round or the ME asked for. */
  static boolean answers(Mode mode, String target, Response response) {
    return switch (mode) {
      case TRIVIAL -> response.hasUnsubscribed() && response.getUnsubscribed().getTopic().equals(NOT_HELD);
      case READ_ROUND -> response.hasRound() && response.getRound().getRoundId().equals(target);
      case READ_ME -> response.hasMe() && response.getMe().getMeId().equals(target);
    };
  }

  @Override
  public void fire(long intendedNanos) {
    int n = next.getAndIncrement();
    String target;
    int connection;
    switch (mode) {
      case READ_ROUND -> {
        target = roundIds[zipf.next()];
        connection = n % operators;
      }
      case READ_ME -> {
        int me = zipf.next();
        target = meIds[me];
        connection = me % operators; // its operator: the one connection that may see all of it
      }
      default -> {
        target = NOT_HELD;
        connection = n % operators;
      }
    }
    connections
        .get(connection)
        .request(request(mode, target))
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                op.error(intendedNanos, failure instanceof WsConnection.Unanswered u ? u.code() : Api.failureCode(failure));
              } else if (response.hasError()) {
                op.error(intendedNanos, response.getError().getCode());
              } else if (!answers(mode, target, response)) {
                wrongAnswers.incrementAndGet();
                op.error(intendedNanos, "client:wrong-answer");
              } else {
                op.success(intendedNanos);
              }
            });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.until(() -> connections.stream().mapToInt(WsConnection::pending).sum() == 0, deadlineNanos);
    connections.forEach(WsConnection::abandonPending);
  }

  @Override
  public Verification verify() throws Exception {
    List<String> problems = new ArrayList<>();
    if (wrongAnswers.get() > 0) {
      problems.add(wrongAnswers.get() + " answers named another topic, round or ME than the request");
    }
    if (mode == Mode.TRIVIAL) {
      return new Verification(
          problems.isEmpty(),
          "nothing stored; " + wrongAnswers.get() + " answers for another topic",
          problems,
          List.of("each request: unsubscribe of " + NOT_HELD + ", never subscribed"));
    }
    // reads store nothing: every round and ME is where set-up left it
    List<CheckReads.Read> reads = new ArrayList<>();
    if (mode == Mode.READ_ROUND) {
      for (int s = 0; s < slots; s++) {
        reads.add(new CheckReads.Read(roundIds[s], context.api().get("/v1/rounds/" + roundIds[s], roundOwnerTokens[s])));
      }
    } else {
      for (int i = 0; i < bidders; i++) {
        reads.add(new CheckReads.Read(meIds[i], context.api().get("/v1/mes/" + meIds[i], operatorTokens[i % operators])));
      }
    }
    CheckReads.Result result = CheckReads.readAll(context, mode == Mode.READ_ROUND ? "rounds" : "MEs", reads, 16);
    int moved = 0;
    for (Map.Entry<String, Long> e : versions.entrySet()) {
      HttpLane.Response read = result.answered().get(e.getKey());
      if (read == null || read.status() != 200) {
        MeRegisterScenario.note(
            problems, e.getKey() + " could not be read back: " + (read == null ? result.unconfirmed().get(e.getKey()) : Api.errorCode(read)));
        continue;
      }
      long version =
          mode == Mode.READ_ROUND
              ? Api.parse(read, Round.newBuilder()).getVersion()
              : Api.parse(read, Me.newBuilder()).getVersion();
      if (version != e.getValue()) {
        moved++;
        MeRegisterScenario.note(problems, e.getKey() + " is at version " + version + ", was " + e.getValue() + " after set-up");
      }
    }
    String what = mode == Mode.READ_ROUND ? "rounds" : "MEs";
    return new Verification(
        problems.isEmpty(),
        String.format(Locale.ROOT, "%d %s read back: %d changed by the reads; %d wrong answers", versions.size(), what, moved, wrongAnswers.get()),
        problems,
        List.of());
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("connections", operators + " WebSocket connections, one per operator subject");
    switch (mode) {
      case TRIVIAL -> s.put("request", "unsubscribe of " + NOT_HELD + " (never subscribed): answered by the session");
      case READ_ROUND -> {
        s.put("request", "getRound, public view (the readers do not operate the owner)");
        s.put("rounds", String.format(Locale.ROOT, "%d open SEALED rounds of %d EMCs, %d bids each", slots, emcs, BIDS_PER_ROUND));
        s.put("skew", String.format(Locale.ROOT, "%.2f (hottest round %.1f%%)", skew, zipf == null ? 0 : 100 * zipf.hottestShare()));
      }
      case READ_ME -> {
        s.put("request", "getMe by the ME's operator");
        s.put("MEs", String.valueOf(bidders));
        s.put("skew", String.format(Locale.ROOT, "%.2f (hottest ME %.1f%%)", skew, zipf == null ? 0 : 100 * zipf.hottestShare()));
      }
    }
    return s;
  }

  @Override
  public void close() {
    connections.forEach(WsConnection::close);
  }
}
