package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.ControlHttp;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster under load ({@code bench --cluster N}): bids over WebSocket (the
 * bidding scenario, operators' connections spread over the nodes) and
 * appliances streaming readings (the telemetry fleet, devices spread over the
 * nodes) run together, and at half time one node goes:
 *
 * <ul>
 *   <li>{@code cluster-kill}: {@code kill -9} of the last node (not the first,
 *       which the HTTP lanes of set-up and checks use). From the kill, every
 *       entity of this run that the killed node held (its shards, read from its
 *       management port just before) is read through the survivors until it
 *       answers: {@code failover.entity} is the time from the kill to that
 *       first answer, per entity; the slowest is the fail-over time. Clients of
 *       the killed node reconnect to the others, as behind a load balancer.
 *   <li>{@code cluster-rolling}: a rolling restart, the youngest node first:
 *       SIGTERM (its shards hand over), wait for the exit, start it again, wait
 *       until ready, next node. {@code node.stop} and {@code node.start} time
 *       each step. Clients of a stopping node reconnect to the others.
 * </ul>
 *
 * <p>Check: the bidding and telemetry checks over the whole run: every bid and
 * reading acknowledged before, during and after is stored, none twice.
 */
final class ClusterScenario implements Scenario {
  private static final Pattern SHARD_ID = Pattern.compile("\"shardId\":\"([^\"]+)\"");
  private static final long PROBE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final boolean rolling;
  private final BiddingScenario bidding = new BiddingScenario(500);
  private final TelemetryScenario telemetry = new TelemetryScenario(TelemetryScenario.Mode.STREAM);
  private ScenarioContext context;
  private ScenarioContext.ClusterControl cluster;
  private OperationStats failoverEntity;
  private OperationStats nodeStop;
  private OperationStats nodeStart;
  private final AtomicInteger fired = new AtomicInteger();
  private volatile long actAt = Long.MAX_VALUE;
  private volatile boolean acted;
  private volatile boolean done;
  private volatile String failure;
  private final List<String> notes = new ArrayList<>();
  private Thread actor;
  private Thread reconnector;

  ClusterScenario(boolean rolling) {
    this.rolling = rolling;
  }

  @Override
  public String name() {
    return rolling ? "cluster-rolling" : "cluster-kill";
  }

  @Override
  public String description() {
    return rolling
        ? "bids and telemetry over every node of a cluster, a rolling restart (SIGTERM, hand-over, start) halfway; nothing acknowledged lost"
        : "bids and telemetry over every node of a cluster, kill -9 of one node halfway; fail-over time, nothing acknowledged lost";
  }

  @Override
  public void setUp(ScenarioContext context) throws Exception {
    if (context.cluster().isEmpty() || context.cluster().get().size() < 3) {
      throw new IllegalStateException(name() + " runs on a cluster that the harness starts: bench --cluster 3 (or more)");
    }
    this.context = context;
    this.cluster = context.cluster().get();
    bidding.setUp(context); // its lane: the first node
    telemetry.setUp(context); // its lane: the second node
    if (rolling) {
      nodeStop = context.metrics().operation("node.stop", "SIGTERM of a node until its process exited (its shards handed over)");
      nodeStart = context.metrics().operation("node.start", "the same node started again, until /health/ready answered 200");
    } else {
      failoverEntity =
          context.metrics().operation("failover.entity", "kill -9 until an entity the killed node held answers a read through a survivor");
    }
    reconnector = new Thread(this::keepConnected, "cluster-reconnector");
    reconnector.setDaemon(true);
    reconnector.start();
  }

  @Override
  public void fire(long intendedNanos) {
    if (actAt == Long.MAX_VALUE) {
      actAt = intendedNanos + context.warmup().toNanos() + context.duration().toNanos() / 2;
    }
    if (!acted && intendedNanos - actAt >= 0) {
      acted = true;
      actor = new Thread(rolling ? this::rollingRestart : this::killOne, name() + "-actor");
      actor.start();
    }
    // half of the operations are bids; the device fleet paces the readings itself
    if (fired.getAndIncrement() % 2 == 0) {
      bidding.fire(intendedNanos);
    } else {
      telemetry.fire(intendedNanos);
    }
  }

  /** Operators whose connection closed (their node went) connect again, to a node that is not away. */
  private void keepConnected() {
    while (!done) {
      try {
        bidding.openConnections();
      } catch (Exception e) {
        // a node is starting or away: the next pass tries again
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  // ---- kill -9 ----------------------------------------------------------------------------------

  private void killOne() {
    int victim = cluster.size() - 1;
    try {
      Map<String, Map<String, String>> held = entitiesOn(victim);
      int count = held.values().stream().mapToInt(Map::size).sum();
      context.away(victim, true);
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      context.log().printf(Locale.ROOT, "%s: kill -9 of node %d, which held %d of this run's entities %s%n", name(), victim, count, sizes(held));
      long lastServed = probeUntilServed(held, killedAt, victim);
      note(
          String.format(
              Locale.ROOT,
              "kill -9 of node %d (of %d); it held %d of this run's entities %s; all of them answered through the survivors %.1f s after the kill",
              victim,
              cluster.size(),
              count,
              sizes(held),
              (lastServed - killedAt) / 1e9));
    } catch (Exception e) {
      failure = "the kill or the fail-over probe failed: " + e;
      context.log().println(name() + ": " + failure);
    }
  }

  /**
   * This run's entities whose shards the node runs now, by type (path prefix), each
   * with a token that may read it. Entity to shard is Pekko's default: the id's hash
   * code modulo the number of shards.
   */
  private Map<String, Map<String, String>> entitiesOn(int node) throws Exception {
    int shards = context.options().getInt("shards", 100);
    Map<String, Map<String, String>> byType = new LinkedHashMap<>();
    byType.put("/v1/rounds/", onShards(bidding.unfinishedRounds(), shardsOf(node, "Round"), shards));
    byType.put("/v1/appliances/", onShards(telemetry.appliances(), shardsOf(node, "Appliance"), shards));
    byType.put("/v1/mes/", onShards(bidding.bidders(), shardsOf(node, "Me"), shards));
    return byType;
  }

  private static Map<String, String> onShards(Map<String, String> entities, Set<String> shardIds, int shards) {
    Map<String, String> on = new LinkedHashMap<>();
    entities.forEach(
        (id, token) -> {
          if (shardIds.contains(Integer.toString(Math.abs(id.hashCode() % shards)))) {
            on.put(id, token);
          }
        });
    return on;
  }

  private Set<String> shardsOf(int node, String type) throws Exception {
    ControlHttp.Answer r = ControlHttp.get(cluster.management(node, "/cluster/shards/" + type));
    if (r.status() != 200) {
      throw new IOException("/cluster/shards/" + type + " of node " + node + " answered " + r.status());
    }
    Set<String> ids = new HashSet<>();
    Matcher m = SHARD_ID.matcher(r.body());
    while (m.find()) {
      ids.add(m.group(1));
    }
    return ids;
  }

  private static String sizes(Map<String, Map<String, String>> held) {
    StringBuilder b = new StringBuilder("(");
    held.forEach((type, ids) -> b.append(b.length() > 1 ? ", " : "").append(ids.size()).append(' ').append(type.split("/")[2]));
    return b.append(')').toString();
  }

  /**
   * Reads every entity through the survivors (one read in flight per entity; a
   * new one once the last answered otherwise than 200) until each has answered
   * 200 once; records kill-to-first-200 per entity. Answers when the last one did.
   */
  private long probeUntilServed(Map<String, Map<String, String>> held, long killedAt, int victim) throws Exception {
    List<HttpLane> lanes = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (i != victim) {
        lanes.add(context.nodes().get(i).lane(4, 100_000));
      }
    }
    Map<String, Long> servedAt = new ConcurrentHashMap<>();
    Set<String> inFlight = ConcurrentHashMap.newKeySet();
    Map<String, String> codes = new ConcurrentHashMap<>();
    int total = held.values().stream().mapToInt(Map::size).sum();
    long giveUp = killedAt + context.options().getDuration("failover-timeout", Duration.ofSeconds(120)).toNanos();
    try {
      for (int round = 0; servedAt.size() < total && System.nanoTime() - giveUp < 0; round++) {
        HttpLane lane = lanes.get(round % lanes.size());
        for (Map.Entry<String, Map<String, String>> type : held.entrySet()) {
          for (Map.Entry<String, String> entity : type.getValue().entrySet()) {
            String key = type.getKey() + entity.getKey();
            if (servedAt.containsKey(key) || !inFlight.add(key)) {
              continue;
            }
            lane.submit(
                context.api().get(key, entity.getValue()),
                (response, failed) -> {
                  if (response != null && response.status() == 200) {
                    long now = System.nanoTime();
                    if (servedAt.putIfAbsent(key, now) == null) {
                      failoverEntity.successWithLatency((now - killedAt) / 1_000);
                    }
                  } else {
                    codes.merge(response != null ? Api.errorCode(response) : Api.failureCode(failed), "", (a, b) -> a);
                  }
                  inFlight.remove(key);
                });
          }
        }
        Thread.sleep(PROBE_PAUSE_NANOS / 1_000_000);
      }
    } finally {
      lanes.forEach(HttpLane::close);
    }
    if (!codes.isEmpty()) {
      note("reads of the killed node's entities answered meanwhile: " + codes.keySet());
    }
    if (servedAt.size() < total) {
      throw new IllegalStateException((total - servedAt.size()) + " of the killed node's entities did not answer within the fail-over timeout");
    }
    return servedAt.values().stream().mapToLong(Long::longValue).max().orElse(killedAt);
  }

  // ---- rolling restart --------------------------------------------------------------------------

  private void rollingRestart() {
    try {
      for (int node = cluster.size() - 1; node >= 0; node--) {
        context.away(node, true);
        context.log().printf(Locale.ROOT, "%s: SIGTERM of node %d%n", name(), node);
        Duration[] took = cluster.stopAndRestart(node);
        nodeStop.successWithLatency(took[0].toNanos() / 1_000);
        nodeStart.successWithLatency(took[1].toNanos() / 1_000);
        context.away(node, false);
        note(
            String.format(
                Locale.ROOT, "node %d: exited %.1f s after SIGTERM, ready again %.1f s after its start", node, took[0].toMillis() / 1e3, took[1].toMillis() / 1e3));
      }
    } catch (Exception e) {
      failure = "the rolling restart failed: " + e;
      context.log().println(name() + ": " + failure);
    }
  }

  // ---- end --------------------------------------------------------------------------------------

  private synchronized void note(String line) {
    notes.add(line);
    context.log().println(name() + ": " + line);
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    if (actor != null) {
      actor.join();
    }
    bidding.drain(deadlineNanos);
    telemetry.drain(deadlineNanos);
    done = true;
    reconnector.join(5_000);
  }

  @Override
  public Verification verify() throws Exception {
    Verification bids = bidding.verify();
    Verification readings = telemetry.verify();
    List<String> problems = new ArrayList<>();
    if (failure != null) {
      problems.add(failure);
    }
    if (!acted) {
      problems.add("the run ended before the node was " + (rolling ? "restarted" : "killed"));
    }
    problems.addAll(bids.problems());
    problems.addAll(readings.problems());
    List<String> all = new ArrayList<>();
    synchronized (this) {
      all.addAll(notes);
    }
    bids.notes().forEach(n -> all.add("bids: " + n));
    readings.notes().forEach(n -> all.add("readings: " + n));
    boolean passed = failure == null && acted && bids.passed() && readings.passed();
    return new Verification(
        passed, "across the " + (rolling ? "rolling restart" : "kill -9") + ": " + bids.summary() + "; " + readings.summary(), problems, all);
  }

  @Override
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(
        "cluster",
        (cluster == null ? "?" : cluster.size())
            + " nodes on one database; WebSocket operators and devices spread over all, set-up lanes on nodes 0 and 1, round posts, awards and the checks' reads spread over every node that is up");
    s.put(
        rolling ? "rolling restart" : "kill",
        rolling
            ? "halfway through the measured time, each node in turn from the youngest: SIGTERM, exit, start, ready"
            : "SIGKILL of the last node halfway through the measured time, not restarted");
    bidding.settings().forEach((k, v) -> s.put("bidding " + k, v));
    telemetry.settings().forEach((k, v) -> s.put("telemetry " + k, v));
    return s;
  }

  @Override
  public void close() {
    done = true;
    bidding.close();
    telemetry.close();
  }
}
