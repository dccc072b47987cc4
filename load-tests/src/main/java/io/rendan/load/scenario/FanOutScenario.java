package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.WsConnection;
import io.rendan.load.metrics.OperationStats;
import io.rendan.loadtest.device.DeviceFleet;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Bid;
import io.rendan.protocol.api.v1.Call;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.ProvisionApplianceRequest;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.protocol.api.v1.Tariff;
import io.rendan.protocol.api.v1.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live updates to many WebSocket subscribers: bids on a few rounds (over
 * WebSocket) and a few appliances streaming readings make changes; each of
 * {@code --subscribers} connections watches one round and one appliance, and
 * measures each push from the server's {@code at} timestamp to its arrival.
 * A few more connections ({@code --stalled}) watch everything and, halfway
 * through the measured time, stop reading their socket.
 *
 * <p>The others' delivery latency is reported in two operations, before and
 * while the stalled clients hang ({@code push.before-stall},
 * {@code push.while-stalled}), so one run shows what a stalled client costs
 * everyone else. Check: every acknowledged bid is in its round, once.
 */
final class FanOutScenario implements Scenario {
  private ScenarioContext context;
  private OperationStats bid;
  private OperationStats before;
  private OperationStats during;
  private HttpLane lane;
  private int roundCount;
  private int applianceCount;
  private int subscriberCount;
  private int stalledCount;
  private int bidders;
  private String ownerToken;
  private final List<String> roundIds = new ArrayList<>();
  private final List<DeviceFleet.Device> appliances = new ArrayList<>();
  private String[] bidderIds;
  private final List<WsConnection> bidderConnections = new ArrayList<>();
  private final List<WsConnection> subscribers = new ArrayList<>();
  private final List<WsConnection> stalled = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final ConcurrentLinkedQueue<String[]> acknowledged = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile long stallAtNanos = Long.MAX_VALUE;
  private volatile boolean stalling;
  private volatile DeviceFleet fleet;

  @Override
  public String name() {
    return "fan-out";
  }

  @Override
  public String description() {
    return "bids and appliance readings pushed to many WebSocket subscribers; halfway through, a few subscribers stop reading";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    bid = context.metrics().operation("round.bid", "PlaceBid over WebSocket on one of the watched rounds (each write is pushed to its subscribers)");
    before = context.metrics().operation("push.before-stall", "a push (round or appliance) at a subscriber that reads: server's at to arrival, before any client stalls");
    during = context.metrics().operation("push.while-stalled", "the same, while the stalled subscribers hang (they are left out)");
    lane = context.lane();
    roundCount = context.options().getInt("rounds", context.smoke() ? 2 : 10);
    applianceCount = context.options().getInt("appliances", context.smoke() ? 2 : 10);
    subscriberCount = context.options().getInt("subscribers", context.smoke() ? 20 : 1000);
    stalledCount = context.options().getInt("stalled", context.smoke() ? 1 : 3);
    bidders = context.options().getInt("bidders", context.smoke() ? 10 : 100);
    int operators = Math.min(bidders, 10);
    ownerToken = context.tokens().operator(950_000);
    String prefix = "lt-" + context.runId() + "-" + name();
    String emcId = Fixtures.startEmc(context, lane, ownerToken, prefix + "-emc", "Fan-out EMC");
    for (int r = 0; r < roundCount; r++) {
      HttpLane.Response answer =
          Fixtures.call(
              context,
              lane,
              "POST",
              "/v1/emcs/" + emcId + "/calls",
              ownerToken,
              PostCallRequest.newBuilder()
                  .setRoundId(prefix + "-r" + r)
                  .setCall(
                      Call.newBuilder()
                          .setCapability(BiddingScenario.CAPABILITY)
                          .setSide(Member.Side.SOLUTION)
                          .setRole("bidder")
                          .setMaxShareBps(5_000)
                          .setMode(Call.Mode.SEALED)
                          .setTarget(Target.newBuilder().setMetric(Target.Metric.CYCLES).setAmount(1)))
                  .setClosesInSeconds(30 * 86_400)
                  .build(),
              201);
      roundIds.add(Api.parse(answer, Round.newBuilder()).getRoundId());
    }
    for (int a = 0; a < applianceCount; a++) {
      HttpLane.Response answer =
          Fixtures.call(
              context,
              lane,
              "POST",
              "/v1/emcs/" + emcId + "/appliances",
              ownerToken,
              ProvisionApplianceRequest.newBuilder()
                  .setApplianceId(prefix + "-a" + a)
                  .setType(Appliance.Type.WASHER)
                  .setModel("WM-40")
                  .setLocation("fan-out " + a)
                  .setTariff(Tariff.newBuilder().setAmountMinor(250).setCurrency("EUR"))
                  .build(),
              201);
      ProvisionedAppliance p = Api.parse(answer, ProvisionedAppliance.newBuilder()).build();
      appliances.add(new DeviceFleet.Device(p.getAppliance().getApplianceId(), p.getDeviceSecret(), DeviceFleet.Kind.WASHER));
    }
    String[] operatorTokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      operatorTokens[i] = context.tokens().operator(i);
    }
    bidderIds = new String[bidders];
    for (int i = 0; i < bidders; i++) {
      bidderIds[i] = prefix + "-me" + i;
    }
    Fixtures.registerAll(context, lane, bidderIds, i -> operatorTokens[i % operators], BiddingScenario.CAPABILITY);
    boolean binary = context.api().protobuf();
    for (int i = 0; i < operators; i++) {
      bidderConnections.add(WsConnection.open(context.webSockets(), context.api().wsUri(), operatorTokens[i], binary, p -> {}).get(30, TimeUnit.SECONDS));
    }
    List<CompletableFuture<Response>> answers = new ArrayList<>();
    for (int s = 0; s < subscriberCount + stalledCount; s++) {
      boolean willStall = s >= subscriberCount;
      WsConnection c =
          WsConnection.open(context.webSockets(), context.api().wsUri(), context.tokens().watcher(s % 10), binary, willStall ? p -> {} : this::pushed)
              .get(30, TimeUnit.SECONDS);
      if (willStall) {
        stalled.add(c);
        for (String r : roundIds) {
          answers.add(subscribe(c, "round/" + r));
        }
        for (DeviceFleet.Device d : appliances) {
          answers.add(subscribe(c, "appliance/" + d.applianceId()));
        }
      } else {
        subscribers.add(c);
        answers.add(subscribe(c, "round/" + roundIds.get(s % roundCount)));
        answers.add(subscribe(c, "appliance/" + appliances.get(s % applianceCount).applianceId()));
      }
    }
    for (CompletableFuture<Response> a : answers) {
      Response r = a.get(60, TimeUnit.SECONDS);
      if (!r.hasSubscribed()) {
        throw new IllegalStateException("could not subscribe: " + r.getError().getCode() + " " + r.getError().getMessage());
      }
    }
    context
        .log()
        .printf(
            Locale.ROOT,
            "fan-out: %d subscribers (one round and one appliance each) and %d that will stall (watching all); %d rounds, %d appliances streaming, %d bidders%n",
            subscriberCount,
            stalledCount,
            roundCount,
            applianceCount,
            bidders);
  }

  private static CompletableFuture<Response> subscribe(WsConnection c, String topic) {
    return c.request(ClientFrame.newBuilder().setSubscribe(Subscribe.newBuilder().setTopic(topic)));
  }

  private void pushed(Push p) {
    long latency = Fixtures.microsSince(context, p.getAt());
    (stalling ? during : before).successWithLatency(latency);
  }

  @Override
  public void fire(long intendedNanos) {
    if (started.compareAndSet(false, true)) {
      stallAtNanos = intendedNanos + context.warmup().toNanos() + context.duration().toNanos() / 2;
      try {
        fleet =
            DeviceFleet.start(
                appliances,
                DeviceFleet.Options.defaults(context.api().base()).withRate(context.options().getDouble("readings-per-appliance", 2)).withProtobuf(context.api().protobuf()),
                new io.rendan.loadtest.device.FleetStats());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("could not start the appliances", e);
      }
    }
    if (!stalling && intendedNanos - stallAtNanos >= 0) {
      stalled.forEach(WsConnection::stall);
      stalling = true;
    }
    int n = next.getAndIncrement();
    int me = n % bidders;
    String roundId = roundIds.get(n % roundCount);
    String bidId = "b" + n;
    bidderConnections
        .get(me % bidderConnections.size())
        .request(
            ClientFrame.newBuilder()
                .setPlaceBid(
                    PlaceBidRequest.newBuilder()
                        .setRoundId(roundId)
                        .setBidId(bidId)
                        .setMeId(bidderIds[me])
                        .setAskShareBps(1 + (int) ((n * 7919L) % 4_999))
                        .setPlan("p")))
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                bid.error(intendedNanos, failure instanceof WsConnection.Unanswered u ? u.code() : Api.failureCode(failure));
              } else if (response.hasError()) {
                bid.error(intendedNanos, response.getError().getCode());
              } else {
                bid.success(intendedNanos);
                acknowledged.add(new String[] {roundId, bidId});
              }
            });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.until(() -> bidderConnections.stream().mapToInt(WsConnection::pending).sum() == 0, deadlineNanos);
    bidderConnections.forEach(WsConnection::abandonPending);
    DeviceFleet f = fleet;
    if (f != null) {
      f.close();
    }
    Thread.sleep(200); // the last pushes
  }

  @Override
  public Verification verify() throws Exception {
    Map<String, Set<String>> stored = new LinkedHashMap<>();
    int duplicates = 0;
    for (String r : roundIds) {
      Round round = Api.parse(Fixtures.call(context, lane, "GET", "/v1/rounds/" + r, ownerToken, null, 200), Round.newBuilder()).build();
      Set<String> ids = new HashSet<>();
      for (Bid b : round.getBidsList()) {
        if (!ids.add(b.getBidId())) {
          duplicates++;
        }
      }
      stored.put(r, ids);
    }
    List<String> problems = new ArrayList<>();
    int lost = 0;
    for (String[] a : acknowledged) {
      if (!stored.get(a[0]).contains(a[1])) {
        lost++;
        MeRegisterScenario.note(problems, "acknowledged but not in round " + a[0] + ": " + a[1]);
      }
    }
    long disconnected = stalled.stream().filter(WsConnection::isClosed).count();
    long othersClosed = subscribers.stream().filter(WsConnection::isClosed).count();
    List<String> notes = new ArrayList<>();
    double p99Before = OperationStats.ms(before.total().getValueAtPercentile(99));
    double p99During = OperationStats.ms(during.total().getValueAtPercentile(99));
    notes.add(
        String.format(
            Locale.ROOT,
            "others' push p99 %.1f ms before the stall, %.1f ms while %d clients hang: x%.2f",
            p99Before,
            p99During,
            stalledCount,
            p99Before > 0 ? p99During / p99Before : 0));
    notes.add(disconnected + " of " + stalledCount + " stalled clients were disconnected by the server; " + othersClosed + " of the " + subscriberCount + " reading subscribers lost their connection");
    boolean passed = lost == 0 && duplicates == 0;
    return new Verification(
        passed,
        String.format(Locale.ROOT, "%d acknowledged bids: %d lost, %d stored twice", acknowledged.size(), lost, duplicates),
        problems,
        notes);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("subscribers", subscriberCount + " (one round and one appliance each)");
    s.put("stalled", stalledCount + " (watching every round and appliance; stop reading halfway through)");
    s.put("rounds", String.valueOf(roundCount));
    s.put("appliances", applianceCount + " streaming");
    s.put("bidders", String.valueOf(bidders));
    return s;
  }

  @Override
  public void close() {
    bidderConnections.forEach(WsConnection::close);
    subscribers.forEach(WsConnection::close);
    stalled.forEach(WsConnection::close);
    DeviceFleet f = fleet;
    if (f != null) {
      try {
        f.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
