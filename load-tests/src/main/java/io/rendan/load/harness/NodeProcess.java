package io.rendan.load.harness;

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
  private final Process process;
  private final int port;
  private final Path log;

  private NodeProcess(Process process, int port, Path log) {
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
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("RENDAN_HTTP_HOST", "127.0.0.1");
    pb.environment().put("RENDAN_HTTP_PORT", Integer.toString(port));
    // 0: any free port, so that runs and other nodes on the machine never collide
    pb.environment().put("RENDAN_CLUSTER_PORT", "0");
    pb.environment().putIfAbsent("RENDAN_DEV_MODE", "true");
    Process process = pb.start();
    NodeProcess node = new NodeProcess(process, port, log);
    try {
      node.awaitReady(readyTimeout);
    } catch (IOException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
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

  private static int freePort() throws IOException {
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
