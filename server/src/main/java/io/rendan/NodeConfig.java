package io.rendan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.cluster.SeedNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Loading the node's configuration and the checks and choices made from it before anything starts. */
public final class NodeConfig {
  private NodeConfig() {}

  /**
   * The node's configuration: {@code overrides} (for tests), then application.conf
   * with its environment overrides, then the persistence file for the chosen
   * database, then Pekko's reference settings. The seed node list, which an
   * environment variable can only give as one string, becomes Pekko's list here.
   */
  public static Config loadConfig(Config overrides) {
    Config application = overrides.withFallback(ConfigFactory.parseResources("application.conf"));
    List<String> seeds = SeedNodes.parse(ConfigFactory.load(application).getString("rendan.cluster.seed-nodes"));
    if (!seeds.isEmpty()) {
      application = ConfigFactory.parseMap(Map.of("pekko.cluster.seed-nodes", seeds)).withFallback(application);
    }
    Config resolved = ConfigFactory.load(application);
    boolean postgres = !resolved.getString("rendan.db.url").isBlank();
    // H2 refuses relative paths that do not start with "./": hand it an absolute one
    String dataDir = Path.of(resolved.getString("rendan.data-dir")).toAbsolutePath().normalize().toString();
    Config persistence = ConfigFactory.parseResources(postgres ? "persistence-postgres.conf" : "persistence-h2.conf");
    Config projection =
        ConfigFactory.parseString(
            "pekko.projection.jdbc.dialect = " + (postgres ? "postgres-dialect" : "h2-dialect") + "\n"
                + "pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = "
                + resolved.getInt("rendan.projection.pool-size"));
    return ConfigFactory.load(
        ConfigFactory.parseMap(java.util.Map.of("rendan.data-dir", dataDir))
            .withFallback(application)
            .withFallback(persistence)
            .withFallback(projection));
  }

  public static boolean usesPostgres(Config config) {
    return !config.getString("rendan.db.url").isBlank();
  }

  /**
   * A journal write that waits for a pooled connection must give up before the
   * circuit breaker times the call out: otherwise a saturated pool opens the
   * breaker and the node refuses every entity for its reset-timeout.
   */
  static void checkDatabaseTimeouts(Config config) {
    Duration connection = config.getDuration("rendan.db.connection-timeout");
    Duration call = config.getDuration("rendan.db.call-timeout");
    if (connection.compareTo(call) >= 0) {
      throw new IllegalArgumentException(
          "RENDAN_DB_CONNECTION_TIMEOUT ("
              + connection
              + ") must be shorter than RENDAN_DB_CALL_TIMEOUT ("
              + call
              + ")");
    }
  }

  static boolean devMode(Config config, boolean postgres) {
    String setting = config.getString("rendan.dev-mode").trim().toLowerCase();
    return switch (setting) {
      case "auto" -> !postgres;
      case "true", "on", "yes" -> true;
      case "false", "off", "no" -> false;
      default -> throw new IllegalArgumentException("rendan.dev-mode must be auto, true or false, not " + setting);
    };
  }
}
