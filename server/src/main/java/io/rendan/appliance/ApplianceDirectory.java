package io.rendan.appliance;

import io.rendan.appliance.ApplianceEvents.ApplianceProvisioned;
import io.rendan.appliance.ApplianceEvents.Event;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.projection.ProjectionJdbc;
import io.rendan.projection.TaggedProjections;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.ListAppliancesResponse;
import io.rendan.protocol.api.v1.ListedAppliance;
import io.rendan.protocol.api.v1.Tariff;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * The appliances of each EMC ({@code GET /v1/emcs/{emcId}/appliances}): a table
 * fed from the appliances' journal ({@code appliance-directory-{slice}} tags) by
 * a projection that stores its offset in the same transaction as the rows
 * (exactly once). An appliance whose provisioning is stored is listed once the
 * projection has read it, also when the node stopped in between.
 *
 * <p>Only the provisioning is kept: an appliance never changes EMC, type, model
 * or location, and is never removed. Live state stays with the entity, where
 * the telemetry is, so the listing costs no write per reading.
 */
public final class ApplianceDirectory {
  public static final String NAME = "appliance-directory";
  private static final String TABLE = "rendan_appliance_directory";

  private final ProjectionJdbc jdbc;

  private ApplianceDirectory(ProjectionJdbc jdbc) {
    this.jdbc = jdbc;
  }

  public static ApplianceDirectory start(ActorSystem<?> system, ProjectionJdbc jdbc, int tagSlices) {
    TaggedProjections.<Event>exactlyOnce(system, jdbc, NAME, "appliance-directory-", tagSlices, instance -> new Writer());
    return new ApplianceDirectory(jdbc);
  }

  /** Applies one event to the table, in the projection's transaction. */
  static final class Writer extends JdbcHandler<EventEnvelope<Event>, ProjectionJdbc.Session> {
    @Override
    public void process(ProjectionJdbc.Session session, EventEnvelope<Event> envelope) throws Exception {
      if (!(envelope.event() instanceof ApplianceProvisioned e)) {
        return;
      }
      session.withConnection(
          connection -> {
            insert(connection, e);
            return null;
          });
    }

    private static void insert(Connection connection, ApplianceProvisioned e) throws SQLException {
      // an appliance is provisioned once; a replayed event finds its row
      try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE appliance_id = ?")) {
        exists.setString(1, e.applianceId());
        try (ResultSet rs = exists.executeQuery()) {
          if (rs.next()) {
            return;
          }
        }
      }
      ApplianceState.Provisioning p = e.provisioning();
      try (PreparedStatement ps =
          connection.prepareStatement(
              "INSERT INTO " + TABLE + " (appliance_id, emc_id, type, model, location, tariff_minor, currency, "
                  + "provisioned_at_seconds, provisioned_at_nanos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, e.applianceId());
        ps.setString(2, p.emcId());
        ps.setString(3, p.type().name());
        ps.setString(4, p.model());
        ps.setString(5, p.location());
        ps.setLong(6, p.tariff().amountMinor());
        ps.setString(7, p.tariff().currency());
        // to the nanosecond, so that the listing says what GET /v1/appliances/{id} says
        ps.setLong(8, e.at().getEpochSecond());
        ps.setInt(9, e.at().getNano());
        ps.executeUpdate();
      }
    }
  }

  /** Where a listing continues: after this appliance id. */
  public record Page(String applianceId) {
    public String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(applianceId.getBytes(StandardCharsets.UTF_8));
    }

    public static Page parse(String token) {
      try {
        return new Page(ApplianceApi.checkId("after", new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8)));
      } catch (RuntimeException e) {
        throw new ApiException(ErrorCodes.REQUEST_INVALID, "after is not a page token this server gave");
      }
    }
  }

  /** The appliances of one EMC, by id. */
  public CompletionStage<ListAppliancesResponse> list(String emcId, int limit, Page after) {
    return jdbc.read(connection -> query(connection, emcId, limit, after));
  }

  private static ListAppliancesResponse query(Connection connection, String emcId, int limit, Page after) throws SQLException {
    String sql =
        "SELECT appliance_id, emc_id, type, model, location, tariff_minor, currency, provisioned_at_seconds, "
            + "provisioned_at_nanos FROM " + TABLE
            + " WHERE emc_id = ?" + (after != null ? " AND appliance_id > ?" : "") + " ORDER BY appliance_id LIMIT ?";
    List<ListedAppliance> appliances = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, emcId);
      if (after != null) {
        ps.setString(i++, after.applianceId());
      }
      ps.setInt(i, limit + 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          appliances.add(
              ListedAppliance.newBuilder()
                  .setApplianceId(rs.getString(1))
                  .setEmcId(rs.getString(2))
                  .setType(Appliance.Type.valueOf(rs.getString(3)))
                  .setModel(rs.getString(4))
                  .setLocation(rs.getString(5))
                  .setTariff(Tariff.newBuilder().setAmountMinor(rs.getLong(6)).setCurrency(rs.getString(7)))
                  .setProvisionedAt(ApplianceViews.ts(Instant.ofEpochSecond(rs.getLong(8), rs.getInt(9))))
                  .build());
        }
      }
    }
    ListAppliancesResponse.Builder response = ListAppliancesResponse.newBuilder();
    if (appliances.size() > limit) {
      appliances = appliances.subList(0, limit);
      response.setNextPage(new Page(appliances.get(limit - 1).getApplianceId()).encode());
    }
    return response.addAllAppliances(appliances).build();
  }
}
