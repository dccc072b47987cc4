package io.rendan.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.NodeConfig;
import io.rendan.appliance.ApplianceDirectory;
import io.rendan.bidding.AwardDelivery;
import io.rendan.emc.MembershipDelivery;
import io.rendan.emc.RemovalWaker;
import io.rendan.ledger.LedgerReadModel;
import io.rendan.painpoint.FaultPainPoints;
import io.rendan.prospect.HelpGivenReadModel;
import io.rendan.prospect.ProspectReadModel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which projections poll the journal less often, and that their read journal is the same one otherwise. */
@Tag("unit")
class RelaxedProjectionsTest {
  private static Config config(String dbUrl) {
    return NodeConfig.loadConfig(ConfigFactory.parseMap(Map.of("rendan.db.url", dbUrl)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "jdbc:postgresql://127.0.0.1:5432/rendan"})
  void theRelaxedReadJournalIsTheReadJournalPolledEverySecond(String dbUrl) {
    Config config = config(dbUrl);
    Config normal = config.getConfig(JdbcReadJournal.Identifier());
    Config relaxed = config.getConfig(TaggedProjections.RELAXED_READ_JOURNAL);
    assertEquals(Duration.ofMillis(200), normal.getDuration("refresh-interval"));
    assertEquals(Duration.ofSeconds(1), relaxed.getDuration("refresh-interval"));
    assertEquals(normal.withoutPath("refresh-interval").root().unwrapped(), relaxed.withoutPath("refresh-interval").root().unwrapped());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "jdbc:postgresql://127.0.0.1:5432/rendan"})
  void readModelsAreRelaxedAndDeliveriesAreNot(String dbUrl) {
    Config config = config(dbUrl);
    Set<String> relaxed =
        Set.of(
            LedgerReadModel.LEDGER_NAME,
            LedgerReadModel.REVENUE_NAME,
            ProspectReadModel.NAME,
            HelpGivenReadModel.NAME,
            ApplianceDirectory.NAME,
            RemovalWaker.NAME,
            FaultPainPoints.NAME);
    // every name in the setting is a projection that exists: a misspelt one would silently stay at 200 ms
    assertEquals(relaxed, Set.copyOf(config.getStringList("rendan.projection.relaxed.names")));
    for (String name : relaxed) {
      assertEquals(TaggedProjections.RELAXED_READ_JOURNAL, TaggedProjections.readJournal(config, name), name);
    }
    for (String name : List.of(MembershipDelivery.NAME, AwardDelivery.NAME)) {
      assertEquals(JdbcReadJournal.Identifier(), TaggedProjections.readJournal(config, name), name);
    }
  }

  @Test
  void anEmptyListPutsEveryProjectionBackOnTheReadJournal() {
    Config config = NodeConfig.loadConfig(ConfigFactory.parseString("rendan.projection.relaxed.names = []"));
    assertTrue(config.getStringList("rendan.projection.relaxed.names").isEmpty());
    assertEquals(JdbcReadJournal.Identifier(), TaggedProjections.readJournal(config, LedgerReadModel.LEDGER_NAME));
  }
}
