package io.rendan;

import com.typesafe.config.ConfigFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one node with the configuration of application.conf and its
 * environment overrides. Ctrl-C or SIGTERM runs Pekko's coordinated shutdown.
 */
public final class Main {
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
