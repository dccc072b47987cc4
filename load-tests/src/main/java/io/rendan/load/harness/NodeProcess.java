package io.rendan.load.harness;

import io.rendan.load.client.ControlHttp;
import io.rendan.load.scenario.ScenarioContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Rendan node run as a child process from the server's jar, so that it has
 * its own JVM (its CPU time is read from /proc, apart from the load
 * generator's) and stops with whoever started it. Its output goes to a log
 * file. The one launcher of node processes: the harness starts its nodes with
 * {@link #start} (harness defaults, waits until ready), and the tests that run
 * nodes as an operator would ({@code ClusterIT}, in this module's tests) with
 * {@link #launch} (only the settings given, no waiting).
 */
public final class NodeProcess implements AutoCloseable, ScenarioContext.NodeControl {
  /** How long a restart of a {@link #launch}ed node may take to be ready. */
  private static final Duration LAUNCHED_READY_TIMEOUT = Duration.ofMinutes(3);

  private final Path jar;
  private final Map<String, String> env;
  private final List<String> jvmOptions;
  private final Duration readyTimeout;
  private volatile Process process;
  private final int port;
  private final Path log;
  private final Path workDir;
  private final int index;
  /** CPU time of the processes killed before this one: the node's CPU over a run survives a restart. */
  private volatile long cpuOfKilledNanos;

  private NodeProcess(
      Path jar,
      Map<String, String> env,
      List<String> jvmOptions,
      Duration readyTimeout,
      Process process,
      int port,
      Path log,
      Path workDir,
      int index) {
    this.jar = jar;
    this.env = Map.copyOf(env);
    this.jvmOptions = List.copyOf(jvmOptions);
    this.readyTimeout = readyTimeout;
    this.process = process;
    this.port = port;
    this.log = log;
    this.workDir = workDir;
    this.index = index;
  }

  /**
   * Starts {@code java -jar jar} with the node's settings in {@code env} (an HTTP
   * port, a random cluster port and dev mode are added) and waits until
   * {@code /health/ready} answers 200.
   */
  public static NodeProcess start(Path jar, Map<String, String> env, List<String> jvmOptions, Path log, Duration readyTimeout)
      throws IOException, InterruptedException {
    requireJar(jar);
    int port = freePort();
    Map<String, String> settings = new java.util.HashMap<>(env);
    // Pekko Management's port (8558 by default) is taken as soon as another node runs on the machine
    settings.putIfAbsent("RENDAN_MANAGEMENT_PORT", Integer.toString(freePort()));
    // unless given, or set in the harness's own environment (which the node inherits):
    // 0: any free port, so that runs and other nodes on the machine never collide; a cluster names its ports
    harnessDefault(settings, "RENDAN_CLUSTER_PORT", "0");
    harnessDefault(settings, "RENDAN_DEV_MODE", "true");
    // the harness opens every client connection (10 000 device streams) from this one address
    harnessDefault(settings, "RENDAN_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "0");
    harnessDefault(settings, "RENDAN_BENCH_ROUTES", "true");
    env = Map.copyOf(settings);
    Process process = launch(jar, env, jvmOptions, log, port, null, false);
    NodeProcess node = new NodeProcess(jar, env, jvmOptions, readyTimeout, process, port, log, null, 0);
    try {
      node.awaitReady(readyTimeout);
    } catch (IOException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private static void harnessDefault(Map<String, String> settings, String name, String value) {
    if (!settings.containsKey(name) && System.getenv(name) == null) {
      settings.put(name, value);
    }
  }

  /**
   * Starts {@code java -jar jar} configured only by {@code env} (plus an HTTP and
   * a management port on loopback), as an operator would run it: no harness
   * default, no RENDAN_* variable inherited from this process, the working and
   * data directory {@code workDir}; {@code index} names it in messages. Does not wait: {@link #awaitReady} does, so
   * that several nodes can be started at once.
   */
  public static NodeProcess launch(int index, Path jar, Map<String, String> env, List<String> jvmOptions, Path log, Path workDir)
      throws IOException {
    requireJar(jar);
    workDir = Files.createDirectories(workDir).toAbsolutePath();
    int port = freePort();
    Map<String, String> settings = new java.util.HashMap<>(env);
    settings.put("RENDAN_MANAGEMENT_PORT", Integer.toString(freePort()));
    settings.put("RENDAN_MANAGEMENT_BIND_HOST", "127.0.0.1");
    settings.put("RENDAN_DATA_DIR", workDir.toString());
    settings = Map.copyOf(settings);
    Process process = launch(jar, settings, jvmOptions, log, port, workDir, true);
    return new NodeProcess(jar, settings, jvmOptions, LAUNCHED_READY_TIMEOUT, process, port, log, workDir, index);
  }

  private static void requireJar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no node jar at " + jar.toAbsolutePath() + ": build it with mvn -q -pl server -am package -DskipTests, or pass --server-jar");
    }
  }

  /** {@code workDir} null: the harness's node, in this process's directory and environment. */
  private static Process launch(
      Path jar, Map<String, String> env, List<String> jvmOptions, Path log, int port, Path workDir, boolean append)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()));
    if (workDir != null) {
      pb.directory(workDir.toFile());
      pb.environment().keySet().removeIf(name -> name.startsWith("RENDAN_"));
    }
    pb.environment().putAll(env);
    pb.environment().put("RENDAN_HTTP_HOST", "127.0.0.1");
    pb.environment().put("RENDAN_HTTP_PORT", Integer.toString(port));
    return pb.start();
  }

  /**
   * {@code kill -9} of the node, then the same node again (same database, data
   * directory and port); answers the time from its start until {@code
   * /health/ready} answered 200.
   */
  @Override
  public synchronized Duration killAndRestart() throws IOException, InterruptedException {
    long cpu = ProcCpu.nanos(process.pid());
    process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no coordinated shutdown
    process.waitFor(30, TimeUnit.SECONDS);
    if (cpu > 0) {
      cpuOfKilledNanos += cpu;
    }
    long started = System.nanoTime();
    process = launch(jar, env, jvmOptions, log, port, workDir, true);
    awaitReady(readyTimeout);
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** {@code kill -9} of the node, not started again: a crash that the rest of a cluster rides out. */
  public synchronized void kill() throws InterruptedException {
    long cpu = ProcCpu.nanos(process.pid());
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    if (cpu > 0) {
      cpuOfKilledNanos += cpu;
    }
  }

  /**
   * SIGTERM (the node hands its shards over and leaves), then the same node
   * again. Answers how long the node took to exit and how long the new one
   * took to be ready.
   */
  public synchronized Duration[] stopAndRestart() throws IOException, InterruptedException {
    long cpu = ProcCpu.nanos(process.pid());
    long stopping = System.nanoTime();
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    Duration exited = Duration.ofNanos(System.nanoTime() - stopping);
    if (cpu > 0) {
      cpuOfKilledNanos += cpu;
    }
    long started = System.nanoTime();
    process = launch(jar, env, jvmOptions, log, port, workDir, true);
    awaitReady(readyTimeout);
    return new Duration[] {exited, Duration.ofNanos(System.nanoTime() - started)};
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM and no more: the node runs its coordinated shutdown; {@link #waitForExit} waits for it. */
  public void terminate() {
    process.destroy();
  }

  /** The node's exit code, once it has ended; fails when it has not within {@code timeout}. */
  public int waitForExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("the node did not exit within " + timeout + "; see " + log);
    }
    return process.exitValue();
  }

  /** Its Pekko cluster address, as seed nodes name it: for a node given its {@code RENDAN_CLUSTER_PORT}. */
  public String address() {
    return "pekko://rendan@127.0.0.1:" + env.get("RENDAN_CLUSTER_PORT");
  }

  /** Pekko Management's port: /cluster/members, /cluster/shards/{type}. */
  public URI managementUri(String path) {
    return URI.create("http://127.0.0.1:" + env.get("RENDAN_MANAGEMENT_PORT") + path);
  }

  @Override
  public long cpuNanos() {
    long now = ProcCpu.nanos(process.pid());
    if (now < 0) {
      return process.isAlive() ? -1 : cpuOfKilledNanos; // killed and not started again
    }
    return cpuOfKilledNanos + now;
  }

  /** Until {@code /health/ready} answers 200; fails when the node exits first or is not ready within {@code timeout}. */
  public void awaitReady(Duration timeout) throws IOException, InterruptedException {
    URI ready = uri("/health/ready");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the node exited with " + process.exitValue() + " while starting:\n" + logTail());
      }
      try {
        if (ControlHttp.get(ready).status() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the node was not ready within " + timeout + ":\n" + logTail());
  }

  /** The last lines of the node's log, for error messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** A port free now; another process could take it before the node binds it, which the node would report. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public URI uri(String path) {
    return uri().resolve(path);
  }

  public URI wsUri() {
    return URI.create("ws://127.0.0.1:" + port + "/v1/ws");
  }

  @Override
  public long pid() {
    return process.pid();
  }

  /** The index it was {@link #launch}ed with (0 for a node of {@link #start}): which node of a test's cluster. */
  public int index() {
    return index;
  }

  public Path log() {
    return log;
  }

  /** SIGTERM (the node's coordinated shutdown), then SIGKILL if it has not ended in 30 s. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
