package io.rendan;

import com.typesafe.config.ConfigFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one node with the configuration of application.conf and its
 * environment overrides. Ctrl-C or SIGTERM runs Pekko's coordinated shutdown.
 */
public final class Main {
  static {
    // Before anything touches ForkJoinPool: Pekko's Java futures run every dependent stage
    // (thenApply, thenCompose...) asynchronously on the common pool, and on a 2-core
    // machine that pool has a parallelism of 1, for which the JDK starts a new thread per
    // stage. That cost more than half the node's CPU per bid (docs/BENCHMARKS.md).
    RendanNode.ensureCommonPoolParallelism();
  }

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    try {
      // A node that the split brain resolver downs must end its process, so that
      // its supervisor (compose, Kubernetes, systemd) starts a fresh one.
      RendanNode node =
          RendanNode.start(RendanNode.loadConfig(ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on")));
      node.system().getWhenTerminated().toCompletableFuture().join();
    } catch (Exception e) {
      log.error("Rendan node failed to start: {}", e.toString());
      System.exit(1);
    }
  }
}
