package io.rendan.cluster;

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
 * A Rendan node in a JVM of its own, started from the shaded jar that
 * {@code mvn package} builds, configured only through RENDAN_* environment
 * variables, as an operator would run it. Its output goes to a log file.
 */
final class NodeProcess implements AutoCloseable {
  final int index;
  final int httpPort;
  final int clusterPort;
  final int managementPort;
  final Path log;
  private final Path workDir;
  private Process process;

  NodeProcess(int index, Path logDir) throws IOException {
    this.index = index;
    this.httpPort = freePort();
    this.clusterPort = freePort();
    this.managementPort = freePort();
    this.log = logDir.resolve("node-" + index + ".log");
    this.workDir = Files.createDirectories(logDir.resolve("node-" + index));
  }

  /** A port free now; another process could take it before the node binds it, which the node would report. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  String address() {
    return "pekko://rendan@127.0.0.1:" + clusterPort;
  }

  void start(Path jar, Map<String, String> env) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Small heap and C1 only: four JVMs share two cores here, and C2 compiling in
    // all of them at once slows the start more than it speeds the short run.
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(name -> name.startsWith("RENDAN_"));
    builder.environment().putAll(env);
    builder.environment().put("RENDAN_HTTP_HOST", "127.0.0.1");
    builder.environment().put("RENDAN_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("RENDAN_CLUSTER_HOST", "127.0.0.1");
    builder.environment().put("RENDAN_CLUSTER_PORT", Integer.toString(clusterPort));
    builder.environment().put("RENDAN_MANAGEMENT_PORT", Integer.toString(managementPort));
    builder.environment().put("RENDAN_MANAGEMENT_BIND_HOST", "127.0.0.1");
    builder.environment().put("RENDAN_DATA_DIR", workDir.toString());
    process = builder.start();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  URI wsUri() {
    return URI.create("ws://127.0.0.1:" + httpPort + "/v1/ws");
  }

  URI managementUri(String path) {
    return URI.create("http://127.0.0.1:" + managementPort + path);
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: the node gets no chance to hand anything over. */
  void kill() {
    process.destroyForcibly();
  }

  /** SIGTERM: the node runs its coordinated shutdown. */
  void terminate() {
    process.destroy();
  }

  int waitForExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node " + index + " did not exit within " + timeout + "; see " + log);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
