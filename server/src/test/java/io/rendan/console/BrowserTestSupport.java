package io.rendan.console;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a browser test needs on the machine, provisioned by the test itself so that
 * {@code mvn verify} on a fresh machine runs it: Debian's Chromium (installed with
 * apt-get when we are root and it is missing) and the script's npm packages
 * ({@code npm ci} when {@code node_modules} is missing). When something cannot be
 * provisioned the test fails and says what to install: it never skips.
 */
final class BrowserTestSupport {
  private static final Logger log = LoggerFactory.getLogger(BrowserTestSupport.class);
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** The launch flags Debian's headless Chromium needs here (docs/ARCHITECTURE.md, "Dependencies"); the script adds a fresh --user-data-dir. */
  static final List<String> CHROMIUM_ARGS =
      List.of(
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync");

  private BrowserTestSupport() {}

  /** The Chromium to drive: /usr/bin/chromium, installed with apt-get if missing and possible. */
  static Path chromium() throws Exception {
    if (Files.isExecutable(CHROMIUM)) {
      return CHROMIUM;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
    if (!root || !apt) {
      throw new AssertionError(
          "the console's browser test needs Debian's Chromium at "
              + CHROMIUM
              + ": install it with `sudo apt-get install -y chromium`"
              + (apt ? "" : " (or your system's chromium package, linked there)"));
    }
    log.info("installing chromium with apt-get for the browser test (once per machine)");
    Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
    if (run(List.of("apt-get", "install", "-y", "-q", "chromium"), null, env, Duration.ofMinutes(15)) != 0) {
      run(List.of("apt-get", "update", "-q"), null, env, Duration.ofMinutes(5));
      run(List.of("apt-get", "install", "-y", "-q", "chromium"), null, env, Duration.ofMinutes(15));
    }
    if (!Files.isExecutable(CHROMIUM)) {
      throw new AssertionError("`apt-get install -y chromium` did not provide " + CHROMIUM + "; install Chromium there");
    }
    return CHROMIUM;
  }

  /** The script's folder with its npm packages installed from the committed lock file. */
  static Path scriptPackages(Path folder) throws Exception {
    if (!Files.isDirectory(folder)) {
      throw new AssertionError("no browser test scripts at " + folder.toAbsolutePath());
    }
    if (run(List.of("node", "--version"), folder, Map.of(), Duration.ofSeconds(30)) != 0) {
      throw new AssertionError("the console's browser test needs Node.js 20 or newer (`node` and `npm` on the PATH)");
    }
    if (!Files.isDirectory(folder.resolve("node_modules/playwright-core"))) {
      log.info("installing the browser test's npm packages in {}", folder);
      // no browser download: the test drives Debian's Chromium
      Map<String, String> env = Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
      if (run(List.of("npm", "ci", "--no-audit", "--no-fund"), folder, env, Duration.ofMinutes(5)) != 0) {
        throw new AssertionError("`npm ci` failed in " + folder.toAbsolutePath() + "; is the npm registry reachable?");
      }
    }
    return folder;
  }

  /**
   * Runs a command with a bounded time, its output line by line to {@code lines}
   * (and the log); kills it when the time is up. Returns its exit code.
   */
  static int run(List<String> command, Path dir, Map<String, String> env, Duration timeout, Consumer<String> lines)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(env);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      log.warn("cannot run {}: {}", command.get(0), e.getMessage());
      return -1;
    }
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  log.info("[{}] {}", command.get(0), line);
                  lines.accept(line);
                }
              } catch (IOException ignored) {
                // the process ended
              }
            },
            "output-of-" + command.get(0));
    reader.setDaemon(true);
    reader.start();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
    }
    reader.join(5_000);
    return process.exitValue();
  }

  static int run(List<String> command, Path dir, Map<String, String> env, Duration timeout) throws Exception {
    return run(command, dir, env, timeout, line -> {});
  }
}
