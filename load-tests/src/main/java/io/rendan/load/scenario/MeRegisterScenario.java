package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * New MEs over HTTP: {@code POST /v1/mes} with a client-chosen meId, as apps
 * that retry safely do, by many operators. Check: every acknowledged
 * registration reads back as that ME at version 1 (stored once, nothing more).
 */
final class MeRegisterScenario implements Scenario {
  private static final List<String> CAPABILITIES = List.of("marketing", "logistics", "iot-programming");

  private ScenarioContext context;
  private OperationStats register;
  private HttpLane lane;
  private int operators;
  private String[] tokens;
  private final AtomicInteger next = new AtomicInteger();
  /** Registrations the node acknowledged (201; 200 would be a repeat). */
  private final ConcurrentLinkedQueue<Integer> acknowledged = new ConcurrentLinkedQueue<>();
  /** Registrations whose fate is unknown: 5xx or no answer. */
  private final ConcurrentLinkedQueue<Integer> inDoubt = new ConcurrentLinkedQueue<>();
  private final AtomicInteger repeats = new AtomicInteger();

  @Override
  public String name() {
    return "me-register";
  }

  @Override
  public String description() {
    return "POST /v1/mes with client-chosen ids by many operators; each ME is new";
  }

  @Override
  public void setUp(ScenarioContext context) {
    this.context = context;
    register = context.metrics().operation("me.register", "POST /v1/mes, acknowledged once stored");
    lane = context.lane();
    operators = context.options().getInt("operators", context.smoke() ? 4 : 50);
    tokens = new String[operators];
    for (int i = 0; i < operators; i++) {
      tokens[i] = context.tokens().operator(i);
    }
  }

  private String meId(int n) {
    return "lt-" + context.runId() + "-r" + n;
  }

  private static String name(int n) {
    return "Load ME " + n;
  }

  private RegisterMeRequest request(int n) {
    return RegisterMeRequest.newBuilder()
        .setMeId(meId(n))
        .setName(name(n))
        .setKind(n % 3 == 0 ? Me.Kind.EXTERNAL_PARTNER : Me.Kind.INTERNAL)
        .addCapabilities(CAPABILITIES.get(n % CAPABILITIES.size()))
        .build();
  }

  @Override
  public void fire(long intendedNanos) {
    int n = next.getAndIncrement();
    lane.submit(
        context.api().send("POST", "/v1/mes", tokens[n % operators], request(n)),
        (response, failure) -> {
          if (failure != null) {
            register.error(intendedNanos, Api.failureCode(failure));
            if (Api.mayHaveReachedTheNode(failure)) {
              inDoubt.add(n);
            }
          } else if (response.status() == 201 || response.status() == 200) {
            register.success(intendedNanos);
            acknowledged.add(n);
            if (response.status() == 200) {
              repeats.incrementAndGet();
            }
          } else {
            register.error(intendedNanos, Api.errorCode(response));
            if (response.status() >= 500) {
              inDoubt.add(n);
            }
          }
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.drain(lane, deadlineNanos);
  }

  @Override
  public Verification verify() throws InterruptedException {
    List<Integer> acked = new ArrayList<>(acknowledged);
    MeReader reader = new MeReader(context);
    MeReader.Found[] found = reader.readAll(acked.size(), i -> meId(acked.get(i)), i -> tokens[acked.get(i) % operators]);
    List<String> problems = new ArrayList<>();
    int lost = 0;
    int twice = 0;
    int unreadable = 0;
    for (int i = 0; i < found.length; i++) {
      MeReader.Found f = found[i];
      String id = meId(acked.get(i));
      if (f.status() == 404) {
        lost++;
        note(problems, "acknowledged but not stored: " + id);
      } else if (f.me() == null) {
        unreadable++;
        note(problems, "could not be read back: " + id + " (" + f.failure() + ")");
      } else if (f.me().getVersion() != 1 || !f.me().getName().equals(name(acked.get(i)))) {
        twice++;
        note(problems, id + " has version " + f.me().getVersion() + " and name '" + f.me().getName() + "': stored more than once or by another writer");
      }
    }
    List<Integer> doubt = new ArrayList<>(inDoubt);
    MeReader.Found[] doubtFound = reader.readAll(doubt.size(), i -> meId(doubt.get(i)), i -> tokens[doubt.get(i) % operators]);
    int doubtStored = 0;
    for (MeReader.Found f : doubtFound) {
      if (f.me() != null) {
        doubtStored++;
      }
    }
    List<String> notes = new ArrayList<>();
    notes.add(doubt.size() + " registrations in doubt (5xx or no answer); " + doubtStored + " of them were stored");
    if (repeats.get() > 0) {
      notes.add(repeats.get() + " registrations of new ids were answered 200 (a repeat) instead of 201");
    }
    boolean passed = lost == 0 && twice == 0 && unreadable == 0;
    String summary =
        String.format(
            "%d acknowledged registrations read back: %d stored once, %d lost, %d stored twice or altered, %d unreadable",
            acked.size(), acked.size() - lost - twice - unreadable, lost, twice, unreadable);
    return new Verification(passed, summary, problems, notes);
  }

  static void note(List<String> problems, String problem) {
    if (problems.size() < 20) {
      problems.add(problem);
    }
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("operators", Integer.toString(operators));
    return s;
  }

  @Override
  public void close() {}
}
