package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.StartEmcRequest;
import io.rendan.protocol.api.v1.Target;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One hot round: every bidder bids on the same SEALED round over HTTP, each bid
 * with its own bidId (a bidder's new bid replaces its last one). The round takes
 * bids that arrive while a write is in flight together, in one event. Check:
 * every acknowledged bid is in the round, once, as the owner sees it.
 *
 * <p>A round holds at most {@code rendan.bidding.max-bids-per-round} bids
 * (100 000 by default): keep rate × (warm-up + duration) below it.
 */
final class HotRoundScenario implements Scenario {
  /** Over WebSocket: one connection per bidder, authenticated once at the handshake. */
  private final boolean overWebSocket;
  private final List<io.rendan.load.client.WsConnection> connections = new ArrayList<>();
  private ScenarioContext context;
  private OperationStats bid;
  private HttpLane lane;
  private int bidders;
  private String ownerToken;
  private String[] bidderTokens;
  private String[] bidderIds;
  private String roundId;
  private final AtomicInteger next = new AtomicInteger();
  private final ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Integer> inDoubt = new ConcurrentLinkedQueue<>();
  private final AtomicInteger overloaded = new AtomicInteger();

  HotRoundScenario(boolean overWebSocket) {
    this.overWebSocket = overWebSocket;
  }

  @Override
  public String name() {
    return overWebSocket ? "hot-round-ws" : "hot-round";
  }

  @Override
  public String description() {
    return "every bidder on one SEALED round over "
        + (overWebSocket ? "WebSocket (a connection per bidder)" : "HTTP")
        + "; bids in flight together are written as one event";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    bid = context.metrics().operation("round.bid", "POST /v1/rounds/{id}/bids on one round, acknowledged once stored");
    lane = context.lane();
    bidders = context.options().getInt("bidders", context.smoke() ? 20 : overWebSocket ? 100 : 500);
    ownerToken = context.tokens().operator(900_000);
    String prefix = "lt-" + context.runId() + "-" + name();
    String owner = Fixtures.register(context, lane, ownerToken, prefix + "-owner", "laundry");
    Emc emc =
        Api.parse(
                call(
                    "POST",
                    "/v1/emcs",
                    ownerToken,
                    StartEmcRequest.newBuilder()
                        .setName("Hot Laundry")
                        .setUserGroup("load testers")
                        .setOwnerMeId(owner)
                        .setOwnerSide(Member.Side.EXPERIENCE)
                        .build(),
                    201),
                Emc.newBuilder())
            .build();
    Round round =
        Api.parse(
                call(
                    "POST",
                    "/v1/emcs/" + emc.getEmcId() + "/calls",
                    ownerToken,
                    PostCallRequest.newBuilder()
                        .setCall(
                            Call.newBuilder()
                                .setCapability("iot-programming")
                                .setSide(Member.Side.SOLUTION)
                                .setRole("firmware")
                                .setMaxShareBps(10_000)
                                .setMode(Call.Mode.SEALED)
                                .setTarget(Target.newBuilder().setMetric(Target.Metric.CYCLES).setAmount(1)))
                        .setClosesInSeconds(86_400)
                        .build(),
                    201),
                Round.newBuilder())
            .build();
    roundId = round.getRoundId();
    bidderTokens = new String[bidders];
    bidderIds = new String[bidders];
    for (int i = 0; i < bidders; i++) {
      bidderTokens[i] = context.tokens().operator(i);
      bidderIds[i] = Fixtures.register(context, lane, bidderTokens[i], prefix + "-bidder" + i, "iot-programming");
    }
    if (overWebSocket) {
      for (int i = 0; i < bidders; i++) {
        connections.add(
            io.rendan.load.client.WsConnection.open(
                    context.webSockets(), context.api().wsUri(), bidderTokens[i], context.api().protobuf(), push -> {})
                .get(30, java.util.concurrent.TimeUnit.SECONDS));
      }
    }
  }

  private HttpLane.Response call(String method, String path, String token, com.google.protobuf.Message body, int expected)
      throws Exception {
    HttpLane.Response r = lane.send(context.api().send(method, path, token, body));
    if (r.status() != expected) {
      throw new IllegalStateException(method + " " + path + " answered " + r.status() + " " + Api.errorCode(r));
    }
    return r;
  }

  private String bidId(int n) {
    return "b" + n;
  }

  @Override
  public void fire(long intendedNanos) {
    int n = next.getAndIncrement();
    int bidder = n % bidders;
    PlaceBidRequest request =
        PlaceBidRequest.newBuilder()
            .setBidId(bidId(n))
            .setMeId(bidderIds[bidder])
            .setAskShareBps(1 + (int) ((n * 7919L) % 9_999))
            .setPlan("plan " + n)
            .build();
    if (overWebSocket) {
      connections
          .get(bidder)
          .request(io.rendan.protocol.api.v1.ClientFrame.newBuilder().setPlaceBid(request.toBuilder().setRoundId(roundId)))
          .whenComplete(
              (response, failure) -> {
                if (failure != null) {
                  bid.error(
                      intendedNanos,
                      failure instanceof io.rendan.load.client.WsConnection.Unanswered u ? u.code() : Api.failureCode(failure));
                  inDoubt.add(n);
                } else if (response.hasError()) {
                  bid.error(intendedNanos, response.getError().getCode());
                  if ("bidding:round.overloaded".equals(response.getError().getCode())) {
                    overloaded.incrementAndGet();
                  } else if (response.getError().getStatus() >= 500) {
                    inDoubt.add(n);
                  }
                } else {
                  bid.success(intendedNanos);
                  acknowledged.add(n);
                }
              });
      return;
    }
    lane.submit(
        context.api().send("POST", "/v1/rounds/" + roundId + "/bids", bidderTokens[bidder], request),
        (response, failure) -> {
          if (failure != null) {
            bid.error(intendedNanos, Api.failureCode(failure));
            if (Api.mayHaveReachedTheNode(failure)) {
              inDoubt.add(n);
            }
          } else if (response.status() == 200) {
            bid.success(intendedNanos);
            acknowledged.add(n);
          } else {
            String code = Api.errorCode(response);
            bid.error(intendedNanos, code);
            if ("bidding:round.overloaded".equals(code)) {
              overloaded.incrementAndGet();
            } else if (response.status() >= 500) {
              inDoubt.add(n);
            }
          }
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    if (overWebSocket) {
      Waits.until(() -> connections.stream().mapToInt(io.rendan.load.client.WsConnection::pending).sum() == 0, deadlineNanos);
      connections.forEach(io.rendan.load.client.WsConnection::abandonPending);
    }
    Waits.drain(lane, deadlineNanos);
  }

  @Override
  public Verification verify() throws Exception {
    HttpLane.Response r = lane.send(context.api().get("/v1/rounds/" + roundId, ownerToken));
    if (r.status() != 200) {
      return new Verification(false, "the round could not be read: " + Api.errorCode(r), List.of(), List.of());
    }
    Round round = Api.parse(r, Round.newBuilder()).build();
    Set<String> stored = new HashSet<>();
    int duplicates = 0;
    for (io.rendan.protocol.api.v1.Bid b : round.getBidsList()) {
      if (!stored.add(b.getBidId())) {
        duplicates++;
      }
    }
    List<String> problems = new ArrayList<>();
    int lost = 0;
    for (int n : acknowledged) {
      if (!stored.contains(bidId(n))) {
        lost++;
        MeRegisterScenario.note(problems, "acknowledged but not in the round: " + bidId(n));
      }
    }
    int doubtStored = 0;
    for (int n : inDoubt) {
      if (stored.contains(bidId(n))) {
        doubtStored++;
      }
    }
    List<String> notes = new ArrayList<>();
    notes.add(inDoubt.size() + " bids in doubt (5xx or no answer); " + doubtStored + " of them were stored");
    notes.add(overloaded.get() + " bids refused at once with 429 bidding:round.overloaded");
    notes.add("the round holds " + round.getBidsCount() + " bids after " + round.getVersion() + " writes");
    boolean passed = lost == 0 && duplicates == 0;
    String summary =
        String.format(
            "%d acknowledged bids: %d in the round once, %d lost, %d stored twice",
            acknowledged.size(), acknowledged.size() - lost, lost, duplicates);
    return new Verification(passed, summary, problems, notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("bidders", String.valueOf(bidders));
    s.put("mode", "SEALED");
    s.put("transport", overWebSocket ? "websocket" : "http");
    return s;
  }

  @Override
  public void close() {
    connections.forEach(io.rendan.load.client.WsConnection::close);
  }
}
