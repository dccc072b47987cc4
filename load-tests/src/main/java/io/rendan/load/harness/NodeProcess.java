package io.rendan.load.harness;

import io.rendan.load.client.ControlHttp;
import io.rendan.load.scenario.ScenarioContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Rendan node run by the harness as a child process from the server's jar, so
 * that it has its own JVM (its CPU time is read from /proc, apart from the load
 * generator's) and stops with the harness. Its output goes to a log file.
 */
public final class NodeProcess implements AutoCloseable, ScenarioContext.NodeControl {
  private final Path jar;
  private final Map<String, String> env;
  private final List<String> jvmOptions;
  private final Duration readyTimeout;
  private volatile Process process;
  private final int port;
  private final Path log;
  /** CPU time of the processes killed before this one: the node's CPU over a run survives a restart. */
  private volatile long cpuOfKilledNanos;

  private NodeProcess(
      Path jar, Map<String, String> env, List<String> jvmOptions, Duration readyTimeout, Process process, int port, Path log) {
    this.jar = jar;
    this.env = Map.copyOf(env);
    this.jvmOptions = List.copyOf(jvmOptions);
    this.readyTimeout = readyTimeout;
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Starts {@code java -jar jar} with the node's settings in {@code env} (an HTTP
   * port, a random cluster port and dev mode are added) and waits until
   * {@code /health/ready} answers 200.
   */
  public static NodeProcess start(Path jar, Map<String, String> env, List<String> jvmOptions, Path log, Duration readyTimeout)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no node jar at " + jar.toAbsolutePath() + ": build it with mvn -q -pl server -am package -DskipTests, or pass --server-jar");
    }
    int port = freePort();
    Map<String, String> settings = new java.util.HashMap<>(env);
    // Pekko Management's port (8558 by default) is taken as soon as another node runs on the machine
    settings.putIfAbsent("RENDAN_MANAGEMENT_PORT", Integer.toString(freePort()));
    env = settings;
    Process process = launch(jar, env, jvmOptions, log, port, false);
    NodeProcess node = new NodeProcess(jar, env, jvmOptions, readyTimeout, process, port, log);
    try {
      node.awaitReady(readyTimeout);
    } catch (IOException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private static Process launch(Path jar, Map<String, String> env, List<String> jvmOptions, Path log, int port, boolean append)
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
    pb.environment().putAll(env);
    pb.environment().put("RENDAN_HTTP_HOST", "127.0.0.1");
    pb.environment().put("RENDAN_HTTP_PORT", Integer.toString(port));
    // 0: any free port, so that runs and other nodes on the machine never collide; a cluster names its ports
    pb.environment().putIfAbsent("RENDAN_CLUSTER_PORT", "0");
    pb.environment().putIfAbsent("RENDAN_DEV_MODE", "true");
    // the harness opens every client connection (10 000 device streams) from this one address
    pb.environment().putIfAbsent("RENDAN_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "0");
    pb.environment().putIfAbsent("RENDAN_BENCH_ROUTES", "true");
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
    process = launch(jar, env, jvmOptions, log, port, true);
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
    process = launch(jar, env, jvmOptions, log, port, true);
    awaitReady(readyTimeout);
    return new Duration[] {exited, Duration.ofNanos(System.nanoTime() - started)};
  }

  public boolean isAlive() {
    return process.isAlive();
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

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = ControlHttp.CLIENT;
    HttpRequest ready = HttpRequest.newBuilder(uri().resolve("/health/ready")).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the node exited with " + process.exitValue() + " while starting:\n" + logTail());
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
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

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  @Override
  public long pid() {
    return process.pid();
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
