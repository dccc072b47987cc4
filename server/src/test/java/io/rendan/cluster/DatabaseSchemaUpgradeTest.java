package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.RendanNode;
import io.rendan.TestNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started on a database written before the schema was versioned (no Flyway
 * history, tables made by hand at start) migrates it in place and keeps its rows.
 */
@Tag("node")
class DatabaseSchemaUpgradeTest {
  /** The migrations under db/migration: V1 (journal), V2 to V4 (read models). */
  static final int MIGRATIONS = 9;

  /**
   * The read models' DDL exactly as nodes ran it at every start before the migrations
   * (RoundDirectory, ApplianceDirectory and LedgerReadModel each created their own tables).
   */
  private static final List<String> READ_MODELS_BEFORE_MIGRATIONS =
      List.of(
          "CREATE TABLE IF NOT EXISTS rendan_round_directory (round_id VARCHAR(64) PRIMARY KEY, emc_id VARCHAR(64) NOT NULL, "
              + "capability VARCHAR(64) NOT NULL, side VARCHAR(16) NOT NULL, mode VARCHAR(8) NOT NULL, max_share_bps INT NOT NULL, "
              + "status VARCHAR(16) NOT NULL, closes_at BIGINT NOT NULL, best_ask_bps INT, bid_count INT NOT NULL, "
              + "posted_at BIGINT NOT NULL, version BIGINT NOT NULL)",
          "CREATE INDEX IF NOT EXISTS rendan_round_directory_listing ON rendan_round_directory (status, capability, closes_at, round_id)",
          "CREATE TABLE IF NOT EXISTS rendan_appliance_directory (appliance_id VARCHAR(64) PRIMARY KEY, emc_id VARCHAR(64) NOT NULL, "
              + "type VARCHAR(16) NOT NULL, model VARCHAR(800) NOT NULL, location VARCHAR(800) NOT NULL, tariff_minor BIGINT NOT NULL, "
              + "currency VARCHAR(3) NOT NULL, provisioned_at_seconds BIGINT NOT NULL, provisioned_at_nanos INT NOT NULL)",
          "CREATE INDEX IF NOT EXISTS rendan_appliance_directory_by_emc ON rendan_appliance_directory (emc_id, appliance_id)",
          "CREATE TABLE IF NOT EXISTS rendan_ledger (me_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, "
              + "emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL, amount_minor BIGINT NOT NULL, "
              + "currency VARCHAR(3) NOT NULL, source VARCHAR(200) NOT NULL, earned_at BIGINT NOT NULL, "
              + "period VARCHAR(7) NOT NULL, share_bps INT NOT NULL, contract_version INT NOT NULL, owner BOOLEAN NOT NULL, "
              + "recorded_at BIGINT NOT NULL, PRIMARY KEY (me_id, seq))",
          "CREATE INDEX IF NOT EXISTS rendan_ledger_period ON rendan_ledger (me_id, period)",
          "CREATE TABLE IF NOT EXISTS rendan_revenue (emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL, "
              + "amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, source VARCHAR(200) NOT NULL, "
              + "earned_at BIGINT NOT NULL, period VARCHAR(7) NOT NULL, units BIGINT NOT NULL, refund_of VARCHAR(64), "
              + "recorded_at BIGINT NOT NULL, PRIMARY KEY (emc_id, revenue_id))",
          "CREATE INDEX IF NOT EXISTS rendan_revenue_period ON rendan_revenue (emc_id, period)",
          "CREATE TABLE IF NOT EXISTS rendan_revenue_part (emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL, "
              + "me_id VARCHAR(64) NOT NULL, amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, "
              + "period VARCHAR(7) NOT NULL, share_bps INT NOT NULL, contract_version INT NOT NULL, owner BOOLEAN NOT NULL, "
              + "PRIMARY KEY (emc_id, revenue_id, me_id))",
          "CREATE INDEX IF NOT EXISTS rendan_revenue_part_period ON rendan_revenue_part (emc_id, period)",
          "CREATE TABLE IF NOT EXISTS rendan_period_result (emc_id VARCHAR(64) NOT NULL, period VARCHAR(7) NOT NULL, "
              + "me_id VARCHAR(64) NOT NULL, metric VARCHAR(16) NOT NULL, target BIGINT NOT NULL, achieved BIGINT NOT NULL, "
              + "met BOOLEAN NOT NULL, missed_in_row INT NOT NULL, at_risk BOOLEAN NOT NULL, contract_version INT NOT NULL, "
              + "PRIMARY KEY (emc_id, period, me_id))");

  @TempDir Path dataDir;

  @Test
  void aNodeOnADatabaseFromBeforeMigrationsStartsAndKeepsItsRows() throws Exception {
    Config config = RendanNode.loadConfig(ConfigFactory.parseMap(Map.of("rendan.data-dir", dataDir.toString(), "rendan.db.url", "")));
    try (Connection c = TestNode.connection(config);
        Statement s = c.createStatement()) {
      // As the journal plugin's SchemaUtils.applyScript ran its script: one statement at a time.
      for (String statement : journalScript().split(";")) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
      for (String statement : READ_MODELS_BEFORE_MIGRATIONS) {
        s.execute(statement);
      }
      s.execute(
          "INSERT INTO rendan_round_directory VALUES ('old-round', 'old-emc', 'washers', 'SOLUTION', 'SEALED', 3000, "
              + "'CANCELLED', 0, NULL, 0, 0, 2)");
    }

    String meId;
    String before;
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      var created = node.postJson("/v1/mes", alice, "{\"name\":\"Old Dryers\",\"kind\":\"INTERNAL\",\"capabilities\":[\"dryers\"]}");
      assertEquals(201, created.statusCode(), created.body());
      meId = created.body().replaceAll(".*\"meId\":\"([^\"]+)\".*", "$1");
      before = node.get("/v1/mes/" + meId, alice).body();
      assertEquals(1, node.queryLong("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"version\" = '0' AND \"type\" = 'BASELINE'"));
      assertEquals(MIGRATIONS, node.queryLong("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"success\" AND \"version\" <> '0'"));
      assertEquals(1, node.queryLong("SELECT COUNT(*) FROM rendan_round_directory WHERE round_id = 'old-round'"));
    }

    // The same database with its journal rows, as a node before the migrations left it: no history.
    try (Connection c = TestNode.connection(config);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE \"flyway_schema_history\"");
    }
    try (TestNode node = TestNode.h2(dataDir)) {
      String alice = node.token("alice");
      var after = node.get("/v1/mes/" + meId, alice);
      assertEquals(200, after.statusCode(), after.body());
      assertEquals(before, after.body());
      assertEquals(1, node.queryLong("SELECT COUNT(*) FROM rendan_round_directory WHERE round_id = 'old-round'"));
      assertEquals(MIGRATIONS, node.queryLong("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"success\" AND \"version\" <> '0'"));
    }
    // A third start has nothing left to migrate: each migration is in the history once.
    try (TestNode node = TestNode.h2(dataDir)) {
      assertEquals(
          MIGRATIONS,
          node.queryLong("SELECT COUNT(DISTINCT \"version\") FROM \"flyway_schema_history\" WHERE \"success\" AND \"version\" <> '0'"));
      assertEquals(
          MIGRATIONS, node.queryLong("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"version\" <> '0'"), "none applied twice");
      assertEquals(0, node.queryLong("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE NOT \"success\""));
      try (Connection c = node.connection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'Me|" + meId + "'")) {
        rs.next();
        assertEquals(1, rs.getLong(1), "the ME's one event, neither lost nor doubled");
      }
    }
  }

  private static String journalScript() throws Exception {
    try (InputStream in = DatabaseSchemaUpgradeTest.class.getClassLoader().getResourceAsStream("schema/h2/h2-create-schema.sql")) {
      assertNotNull(in, "the journal plugin's H2 script");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
