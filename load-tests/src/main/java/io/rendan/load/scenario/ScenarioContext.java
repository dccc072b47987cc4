package io.rendan.load.scenario;

import io.rendan.load.Options;
import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.Tokens;
import io.rendan.load.metrics.ScenarioMetrics;
import java.io.PrintStream;
import io.rendan.load.client.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a scenario gets from the harness: the node's API, tokens, the metrics to
 * record into, HTTP lanes and a WebSocket client, the command-line options
 * (scenario settings such as {@code --mes}), and the node itself when the
 * harness started it. Lanes opened here are closed when the scenario ends.
 */
public final class ScenarioContext implements AutoCloseable {
  /** The node under load, when the harness runs it: for crash and recovery scenarios. */
  public interface NodeControl {
    long pid();

    /** User + system CPU of the node so far, processes killed and restarted included; -1 when unknown. */
    long cpuNanos();

    /** {@code kill -9}, then start it again on the same database and port; answers the time until ready. */
    java.time.Duration killAndRestart() throws Exception;
  }

  /** Several nodes of one cluster that the harness runs ({@code bench --cluster N}). */
  public interface ClusterControl {
    int size();

    boolean alive(int node);

    /** Pekko Management of a node: {@code /cluster/members}, {@code /cluster/shards/{type}}. */
    java.net.URI management(int node, String path);

    /** The cluster (Artery) address of a node, as members list it. */
    String address(int node);

    /** {@code kill -9} of one node, not started again. */
    void kill(int node) throws Exception;

    /** SIGTERM, then the same node again; answers {time to exit, time until ready}. */
    java.time.Duration[] stopAndRestart(int node) throws Exception;
  }

  private final String runId;
  private final Api api;
  private final Tokens tokens;
  private final WsClient webSockets;
  private final ScenarioMetrics metrics;
  private final Options options;
  private final int connections;
  private final int backlog;
  private final boolean smoke;
  private final PrintStream log;
  private final Optional<NodeControl> node;
  private final java.time.Duration warmup;
  private final java.time.Duration duration;
  private final double rate;
  private final List<HttpLane> lanes = new ArrayList<>();
  private List<Api> nodes = List.of();
  private Optional<ClusterControl> cluster = Optional.empty();
  /** Nodes clients should not connect to now (killed, or stopping in a rolling restart). */
  private final java.util.Set<Integer> away = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** One lane per node for requests that follow the nodes that are up ({@link #nodeLane}), made on first use. */
  private final java.util.Map<Integer, HttpLane> nodeLanes = new java.util.HashMap<>();
  private volatile long checkDeadline = Long.MAX_VALUE;
  private volatile String checkProgress = "";

  /**
   * @param runId short and unique per run: scenarios put it in the ids they
   *     create, so that runs against the same node never collide
   * @param connections HTTP connections per lane
   * @param backlog requests a lane holds back before refusing new ones
   * @param smoke a short check rather than a measurement: scenarios size their fixtures down
   */
  public ScenarioContext(
      String runId,
      Api api,
      Tokens tokens,
      WsClient webSockets,
      ScenarioMetrics metrics,
      Options options,
      int connections,
      int backlog,
      boolean smoke,
      PrintStream log,
      Optional<NodeControl> node,
      java.time.Duration warmup,
      java.time.Duration duration,
      double rate) {
    this.runId = runId;
    this.api = api;
    this.tokens = tokens;
    this.webSockets = webSockets;
    this.metrics = metrics;
    this.options = options;
    this.connections = connections;
    this.backlog = backlog;
    this.smoke = smoke;
    this.log = log;
    this.node = node;
    this.warmup = warmup;
    this.duration = duration;
    this.rate = rate;
  }

  /** Operations per second the driver offers: scenarios that pace themselves (a device fleet) take it from here. */
  public double rate() {
    return rate;
  }

  /** How long the driver fires before it measures: scenarios with phases (fan-out, crash) time them by it. */
  public java.time.Duration warmup() {
    return warmup;
  }

  /** How long the driver fires once it measures. */
  public java.time.Duration duration() {
    return duration;
  }

  /**
   * A new lane of {@link #connections} keep-alive HTTP connections; in a cluster,
   * the lanes of a scenario go to its nodes in turn (the first to the first node).
   */
  public synchronized HttpLane lane() {
    HttpLane lane = nodes.isEmpty() ? api.lane(connections, backlog) : nodes.get(lanes.size() % nodes.size()).lane(connections, backlog);
    lanes.add(lane);
    return lane;
  }

  /** Runs the scenario against the nodes of a cluster: clients spread over {@code nodes}. */
  public ScenarioContext withCluster(List<Api> nodes, ClusterControl cluster) {
    this.nodes = List.copyOf(nodes);
    this.cluster = Optional.of(cluster);
    return this;
  }

  public Optional<ClusterControl> cluster() {
    return cluster;
  }

  /** The nodes clients connect to: the one node, or every node of a cluster. */
  public List<Api> nodes() {
    return nodes.isEmpty() ? List.of(api) : nodes;
  }

  /**
   * The node client {@code i} connects to: node i mod N, or the next one that is
   * not away (as a client behind a load balancer would be sent elsewhere).
   */
  public Api node(int i) {
    return nodes().get(liveNodeIndex(i));
  }

  /** The index of the node client {@code i} connects to, as {@link #node(int)} picks it. */
  public int liveNodeIndex(int i) {
    int n = nodes().size();
    for (int k = 0; k < n; k++) {
      int candidate = Math.floorMod(i + k, n);
      if (!away.contains(candidate)) {
        return candidate;
      }
    }
    return Math.floorMod(i, n);
  }

  /**
   * The lane to the node that request {@code i} goes to: node i mod N, or the next
   * one that is not away. Requests numbered in turn spread over the nodes, as
   * behind a load balancer, and move off a node while it is killed or restarting.
   */
  public synchronized HttpLane nodeLane(int i) {
    int n = liveNodeIndex(i);
    return nodeLanes.computeIfAbsent(n, k -> nodes().get(k).lane(connections, backlog));
  }

  /** Starts the end-of-run check: its reads give up at {@code deadlineNanos} (System.nanoTime). */
  public void startCheck(long deadlineNanos) {
    this.checkDeadline = deadlineNanos;
    this.checkProgress = "";
  }

  /** When the end-of-run check's reads give up (System.nanoTime); far away until the check starts. */
  public long checkDeadline() {
    return checkDeadline;
  }

  /** What the check has confirmed so far, said by the scenario: shown when the check runs out of time. */
  public void checkProgress(String progress) {
    this.checkProgress = progress;
  }

  public String checkProgress() {
    return checkProgress;
  }

  /** Marks a node away (killed, stopping) or back: new connections go to the others meanwhile. */
  public void away(int node, boolean isAway) {
    if (isAway) {
      away.add(node);
    } else {
      away.remove(node);
    }
  }

  public String runId() {
    return runId;
  }

  public Api api() {
    return api;
  }

  public Tokens tokens() {
    return tokens;
  }

  /** The selector threads that carry the run's WebSocket connections. */
  public WsClient webSockets() {
    return webSockets;
  }

  public ScenarioMetrics metrics() {
    return metrics;
  }

  public Options options() {
    return options;
  }

  public int connections() {
    return connections;
  }

  public boolean smoke() {
    return smoke;
  }

  public PrintStream log() {
    return log;
  }

  public Optional<NodeControl> node() {
    return node;
  }

  @Override
  public synchronized void close() {
    lanes.forEach(HttpLane::close);
    lanes.clear();
    nodeLanes.values().forEach(HttpLane::close);
    nodeLanes.clear();
  }
}
