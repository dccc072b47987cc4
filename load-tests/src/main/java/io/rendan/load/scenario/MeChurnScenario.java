package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.WsConnection;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.ChangeCapabilitiesRequest;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Operators changing their MEs' capabilities over WebSocket, with a Zipf skew
 * over MEs (a few MEs change a lot), while subscribers watch every ME on
 * {@code me/{meId}} and measure push delivery: from the server's timestamp in
 * the push to its arrival.
 *
 * <p>Every change names a capability never used before, so each acknowledged
 * change is exactly one stored event. Check: each ME's final version is 1 (its
 * registration) plus its acknowledged changes, give or take the changes whose
 * fate is unknown (a 5xx answer, or none).
 */
final class MeChurnScenario implements Scenario {
  private ScenarioContext context;
  private OperationStats change;
  private OperationStats push;
  private int mes;
  private int operators;
  private int subscribers;
  private double skew;
  private Zipf zipf;
  private String[] ids;
  private String[] operatorTokens;
  private final List<WsConnection> operatorConnections = new ArrayList<>();
  private final List<WsConnection> subscriberConnections = new ArrayList<>();
  private final Map<String, Integer> indexOfTopic = new HashMap<>();
  private final AtomicLong changes = new AtomicLong();

  private AtomicIntegerArray acknowledged;
  private AtomicIntegerArray inDoubt;
  private AtomicIntegerArray refused;
  /** The version each ME had when its subscription was answered: pushes up to it are old news. */
  private long[] subscribedAt;
  private AtomicLongArray lastPushSeq;
  private AtomicIntegerArray pushesReceived;
  private final AtomicLong pushGaps = new AtomicLong();
  private final AtomicLong pushesOutOfOrder = new AtomicLong();

  @Override
  public String name() {
    return "me-churn";
  }

  @Override
  public String description() {
    return "capability changes over WebSocket by many operators, Zipf-skewed over MEs; subscribers measure push delivery";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    this.context = context;
    change = context.metrics().operation("me.change", "ChangeCapabilities over WebSocket, answered once stored");
    push = context.metrics().operation("me.push", "push on me/{meId}: server timestamp to arrival at a subscriber");
    mes = context.options().getInt("mes", context.smoke() ? 40 : 1000);
    operators = Math.min(mes, context.options().getInt("operators", context.smoke() ? 4 : 20));
    int perSubscriber = 200;
    subscribers =
        Math.max((mes + perSubscriber - 1) / perSubscriber, context.options().getInt("subscribers", context.smoke() ? 2 : 10));
    skew = context.options().getDouble("skew", 0.8);
    zipf = new Zipf(mes, skew, 42);

    acknowledged = new AtomicIntegerArray(mes);
    inDoubt = new AtomicIntegerArray(mes);
    refused = new AtomicIntegerArray(mes);
    subscribedAt = new long[mes];
    lastPushSeq = new AtomicLongArray(mes);
    pushesReceived = new AtomicIntegerArray(mes);

    ids = new String[mes];
    for (int i = 0; i < mes; i++) {
      ids[i] = "lt-" + context.runId() + "-c" + i;
      indexOfTopic.put("me/" + ids[i], i);
    }
    operatorTokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      operatorTokens[i] = context.tokens().operator(i);
    }
    registerAll();
    boolean binary = context.api().protobuf();
    for (int i = 0; i < operators; i++) {
      operatorConnections.add(
          WsConnection.open(context.webSockets(), context.api().wsUri(), operatorTokens[i], binary, p -> {})
              .get(30, TimeUnit.SECONDS));
    }
    for (int i = 0; i < subscribers; i++) {
      subscriberConnections.add(
          WsConnection.open(context.webSockets(), context.api().wsUri(), context.tokens().watcher(i), binary, this::pushed)
              .get(30, TimeUnit.SECONDS));
    }
    subscribeAll();
    context
        .log()
        .printf(
            Locale.ROOT,
            "me-churn: %d MEs, %d operator and %d subscriber connections, skew %.2f (hottest ME gets %.1f%% of changes)%n",
            mes,
            operators,
            subscribers,
            skew,
            100 * zipf.hottestShare());
  }

  private int operatorOf(int me) {
    return me % operators;
  }

  private void registerAll() throws InterruptedException {
    var lane = context.lane();
    CountDownLatch done = new CountDownLatch(mes);
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < mes; i++) {
      int me = i;
      RegisterMeRequest body =
          RegisterMeRequest.newBuilder()
              .setMeId(ids[me])
              .setName("Churn ME " + me)
              .setKind(Me.Kind.INTERNAL)
              .addCapabilities("start")
              .build();
      lane.submit(
          context.api().send("POST", "/v1/mes", operatorTokens[operatorOf(me)], body),
          (response, failure) -> {
            if (failure != null) {
              failures.add(ids[me] + ": " + Api.failureCode(failure));
            } else if (response.status() != 201 && response.status() != 200) {
              failures.add(ids[me] + ": " + Api.errorCode(response));
            }
            done.countDown();
          });
    }
    if (!done.await(5, TimeUnit.MINUTES) || !failures.isEmpty()) {
      throw new IllegalStateException(
          "could not register the MEs to churn: " + failures.subList(0, Math.min(5, failures.size())));
    }
  }

  private void subscribeAll() throws Exception {
    List<CompletableFuture<Response>> answers = new ArrayList<>();
    for (int me = 0; me < mes; me++) {
      answers.add(
          subscriberConnections
              .get(me % subscribers)
              .request(ClientFrame.newBuilder().setSubscribe(Subscribe.newBuilder().setTopic("me/" + ids[me]))));
    }
    for (int me = 0; me < mes; me++) {
      Response r = answers.get(me).get(30, TimeUnit.SECONDS);
      if (!r.hasSubscribed()) {
        throw new IllegalStateException("could not subscribe to me/" + ids[me] + ": " + r.getError().getCode());
      }
      subscribedAt[me] = r.getSubscribed().getSeq();
      lastPushSeq.set(me, r.getSubscribed().getSeq());
    }
  }

  private void pushed(Push p) {
    Integer me = indexOfTopic.get(p.getTopic());
    if (me == null || p.getSeq() <= subscribedAt[me]) {
      return;
    }
    long latencyMicros = Fixtures.microsSince(context, p.getAt());
    push.successWithLatency(latencyMicros);
    pushesReceived.incrementAndGet(me);
    long previous = lastPushSeq.getAndAccumulate(me, p.getSeq(), Math::max);
    if (p.getSeq() > previous + 1) {
      pushGaps.addAndGet(p.getSeq() - previous - 1);
    } else if (p.getSeq() <= previous) {
      pushesOutOfOrder.incrementAndGet();
    }
  }

  @Override
  public void fire(long intendedNanos) {
    int me = zipf.next();
    String capability = "lt-" + Long.toString(changes.incrementAndGet(), 36);
    ClientFrame.Builder frame =
        ClientFrame.newBuilder()
            .setChangeCapabilities(ChangeCapabilitiesRequest.newBuilder().setMeId(ids[me]).addCapabilities(capability));
    operatorConnections
        .get(operatorOf(me))
        .request(frame)
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                change.error(intendedNanos, failure instanceof WsConnection.Unanswered u ? u.code() : Api.failureCode(failure));
                inDoubt.incrementAndGet(me);
              } else if (response.hasError()) {
                change.error(intendedNanos, response.getError().getCode());
                if (response.getError().getStatus() >= 500) {
                  inDoubt.incrementAndGet(me);
                } else {
                  refused.incrementAndGet(me);
                }
              } else {
                change.success(intendedNanos);
                acknowledged.incrementAndGet(me);
              }
            });
  }

  private int pending() {
    return operatorConnections.stream().mapToInt(WsConnection::pending).sum();
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.until(() -> pending() == 0, deadlineNanos);
    operatorConnections.forEach(WsConnection::abandonPending);
    // the last pushes are published after the last answers: give them a moment
    long expected = 0;
    long quiet = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < quiet && System.nanoTime() < deadlineNanos) {
      long now = totalPushes();
      if (now == expected && now > 0) {
        break;
      }
      expected = now;
      Thread.sleep(200);
    }
  }

  private long totalPushes() {
    long n = 0;
    for (int i = 0; i < mes; i++) {
      n += pushesReceived.get(i);
    }
    return n;
  }

  @Override
  public Verification verify() throws InterruptedException {
    MeReader.Found[] found = new MeReader(context).readAll(mes, i -> ids[i], i -> operatorTokens[operatorOf(i)]);
    List<String> problems = new ArrayList<>();
    long totalAcked = 0;
    long totalDoubt = 0;
    long doubtStored = 0;
    long storedAfterSubscribe = 0;
    int lostMes = 0;
    int twiceMes = 0;
    for (int me = 0; me < mes; me++) {
      int acked = acknowledged.get(me);
      int doubt = inDoubt.get(me);
      totalAcked += acked;
      totalDoubt += doubt;
      MeReader.Found f = found[me];
      if (f.me() == null) {
        lostMes++;
        MeRegisterScenario.note(problems, ids[me] + " could not be read back: " + f.failure());
        continue;
      }
      long changesStored = f.me().getVersion() - 1;
      storedAfterSubscribe += f.me().getVersion() - subscribedAt[me];
      switch (check(acked, doubt, changesStored)) {
        case LOST -> {
          lostMes++;
          MeRegisterScenario.note(
              problems, ids[me] + ": " + acked + " changes acknowledged, only " + changesStored + " stored");
        }
        case TWICE -> {
          twiceMes++;
          MeRegisterScenario.note(
              problems,
              ids[me] + ": " + changesStored + " changes stored, but only " + acked + " acknowledged and " + doubt + " in doubt");
        }
        case STORED_ONCE -> doubtStored += changesStored - acked;
      }
    }
    long received = totalPushes();
    List<String> notes = new ArrayList<>();
    notes.add(totalDoubt + " changes in doubt (5xx or no answer); " + doubtStored + " of them were stored");
    long refusedTotal = 0;
    for (int i = 0; i < mes; i++) {
      refusedTotal += refused.get(i);
    }
    if (refusedTotal > 0) {
      notes.add(refusedTotal + " changes refused with a 4xx code (nothing stored)");
    }
    notes.add(
        String.format(
            Locale.ROOT,
            "pushes: %d received of %d changes stored after subscribing (%d missing as seq gaps, %d out of order); live updates are at most once by design",
            received,
            storedAfterSubscribe,
            pushGaps.get(),
            pushesOutOfOrder.get()));
    boolean passed = lostMes == 0 && twiceMes == 0;
    String summary =
        String.format(
            Locale.ROOT,
            "%d acknowledged changes over %d MEs: %s",
            totalAcked,
            mes,
            passed
                ? "every one stored, none twice"
                : lostMes + " MEs with acknowledged changes missing, " + twiceMes + " with changes stored twice");
    return new Verification(passed, summary, problems, notes);
  }

  enum Check {
    STORED_ONCE,
    LOST,
    TWICE
  }

  /**
   * One ME's verdict: every acknowledged change must be stored, and nothing
   * beyond them but changes whose fate was unknown (answered 5xx, or not at all).
   */
  static Check check(long acknowledged, long inDoubt, long changesStored) {
    if (changesStored < acknowledged) {
      return Check.LOST;
    }
    if (changesStored > acknowledged + inDoubt) {
      return Check.TWICE;
    }
    return Check.STORED_ONCE;
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("mes", Integer.toString(mes));
    s.put("operators", Integer.toString(operators));
    s.put("subscribers", Integer.toString(subscribers));
    s.put("skew", Double.toString(skew));
    s.put("hottest ME share", String.format(Locale.ROOT, "%.1f%%", 100 * zipf.hottestShare()));
    return s;
  }

  @Override
  public void close() {
    operatorConnections.forEach(WsConnection::close);
    subscriberConnections.forEach(WsConnection::close);
  }
}
