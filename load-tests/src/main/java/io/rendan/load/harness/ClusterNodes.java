package io.rendan.load.harness;

import io.rendan.load.scenario.ScenarioContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code bench --cluster N}: N node processes of one Pekko cluster on one
 * database, each with its own HTTP, cluster and management port and its own
 * data directory, started one after another (the first seed forms the cluster,
 * the others join it). As a {@link ScenarioContext.NodeControl} it stands for
 * the whole cluster: its CPU is the sum over every node, killed ones included.
 */
final class ClusterNodes implements AutoCloseable, ScenarioContext.NodeControl, ScenarioContext.ClusterControl {
  private final List<NodeProcess> nodes;
  private final List<String> addresses;

  private ClusterNodes(List<NodeProcess> nodes, List<String> addresses) {
    this.nodes = nodes;
    this.addresses = addresses;
  }

  static ClusterNodes start(
      int size, Path jar, Map<String, String> env, List<String> jvm, Path work, Path logDir, Duration readyTimeout)
      throws IOException, InterruptedException {
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      clusterPorts.add(NodeProcess.freePort());
    }
    List<String> addresses = clusterPorts.stream().map(p -> "pekko://rendan@127.0.0.1:" + p).toList();
    // dev mode keeps a random token secret per data directory: the nodes must share one
    byte[] secret = new byte[48];
    new java.security.SecureRandom().nextBytes(secret);
    String sharedSecret = java.util.Base64.getEncoder().encodeToString(secret);
    List<NodeProcess> started = new ArrayList<>();
    ClusterNodes cluster = new ClusterNodes(started, addresses);
    try {
      for (int i = 0; i < size; i++) {
        Map<String, String> nodeEnv = new HashMap<>(env);
        nodeEnv.put("RENDAN_DATA_DIR", work.resolve("node-" + i).toString());
        nodeEnv.put("RENDAN_CLUSTER_HOST", "127.0.0.1");
        nodeEnv.put("RENDAN_CLUSTER_PORT", Integer.toString(clusterPorts.get(i)));
        nodeEnv.put("RENDAN_SEED_NODES", addresses.stream().collect(Collectors.joining(",")));
        nodeEnv.put("RENDAN_MANAGEMENT_BIND_HOST", "127.0.0.1");
        nodeEnv.putIfAbsent("RENDAN_JWT_SECRET", sharedSecret);
        started.add(NodeProcess.start(jar, nodeEnv, jvm, logDir.resolve("node-" + i + ".log"), readyTimeout));
      }
      cluster.awaitMembers(readyTimeout);
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** Until every node sees every node Up: a node is ready as soon as it is Up itself. */
  private void awaitMembers(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < nodes.size(); i++) {
      while (true) {
        String members = "";
        try {
          members = io.rendan.load.client.ControlHttp.get(management(i, "/cluster/members")).body();
        } catch (IOException e) {
          // busy: ask again
        }
        if (members.split("\"status\":\"Up\"", -1).length - 1 == nodes.size()) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("node " + i + " does not see " + nodes.size() + " members Up: " + members);
        }
        Thread.sleep(200);
      }
    }
  }

  NodeProcess node(int i) {
    return nodes.get(i);
  }

  List<URI> uris() {
    return nodes.stream().map(NodeProcess::uri).toList();
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public boolean alive(int node) {
    return nodes.get(node).isAlive();
  }

  @Override
  public URI management(int node, String path) {
    return nodes.get(node).managementUri(path);
  }

  @Override
  public String address(int node) {
    return addresses.get(node);
  }

  @Override
  public void kill(int node) throws InterruptedException {
    nodes.get(node).kill();
  }

  @Override
  public Duration[] stopAndRestart(int node) throws IOException, InterruptedException {
    return nodes.get(node).stopAndRestart();
  }

  /** The first node's pid: the one a single-node report names. */
  @Override
  public long pid() {
    return nodes.get(0).pid();
  }

  @Override
  public long cpuNanos() {
    long sum = 0;
    for (NodeProcess n : nodes) {
      long cpu = n.cpuNanos();
      if (cpu < 0) {
        return -1;
      }
      sum += cpu;
    }
    return sum;
  }

  @Override
  public Duration killAndRestart() {
    throw new UnsupportedOperationException("in a cluster, the cluster-kill scenario kills one node and the others take over");
  }

  /** SIGTERM to every node, the last started first. */
  @Override
  public void close() throws InterruptedException {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  @Override
  public String toString() {
    return "cluster of " + nodes.size() + " nodes";
  }
}
