package io.rendan.appliance;

import io.rendan.http.ApiException;
import io.rendan.protocol.api.v1.InventoryItem;
import io.rendan.protocol.api.v1.Reading;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of one reading as a device sends it: ids, states and fault codes of
 * their shape, bounded texts and amounts, an inventory without repeated items.
 * A reading that passes becomes what the appliance entity takes
 * ({@link ApplianceProtocol.Reading}); one that does not is
 * {@code telemetry:reading.invalid}. Pure; called by {@link TelemetryParser} for
 * every reading of a stream.
 */
final class ReadingChecks {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
  private static final Pattern STATE = Pattern.compile("[A-Z][A-Z0-9_]{0,31}");
  private static final Pattern CODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
  private static final int MAX_TEXT = 200;
  private static final long MAX_QUANTITY = 1_000_000_000L;

  private ReadingChecks() {}

  /** A reading as the entity takes it; {@code telemetry:reading.invalid} when a field breaks a rule. */
  static ApplianceProtocol.Reading reading(Reading r, int maxInventoryItems) {
    if (r.getSeq() < 1) {
      throw invalid("seq is required: 1 or more, strictly increasing");
    }
    Instant at = r.hasAt() ? time("at", r.getAt()) : null;
    ApplianceProtocol.Body body =
        switch (r.getBodyCase()) {
          case STATE_CHANGED -> new ApplianceProtocol.StateChanged(matching("stateChanged.state", r.getStateChanged().getState(), STATE, "an upper-case word such as RUNNING"));
          case CYCLE_STARTED -> {
            var c = r.getCycleStarted();
            yield new ApplianceProtocol.CycleStarted(
                matching("cycleStarted.cycleId", c.getCycleId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'"),
                c.getReservationId().isEmpty() ? "" : matching("cycleStarted.reservationId", c.getReservationId(), ID, "an id"),
                text("cycleStarted.program", c.getProgram(), false),
                c.getService());
          }
          case CYCLE_FINISHED -> {
            var f = r.getCycleFinished();
            yield new ApplianceProtocol.CycleFinished(
                matching("cycleFinished.cycleId", f.getCycleId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'"),
                amount("cycleFinished.energyWh", f.getEnergyWh()),
                amount("cycleFinished.waterMl", f.getWaterMl()),
                amount("cycleFinished.durationSeconds", f.getDurationSeconds()));
          }
          case FAULT -> new ApplianceProtocol.FaultReported(
              matching("fault.code", r.getFault().getCode(), CODE, "1 to 32 letters, digits, '-', '_' or '.'"),
              text("fault.message", r.getFault().getMessage(), false));
          case FAULT_CLEARED -> new ApplianceProtocol.FaultCleared(
              r.getFaultCleared().getCode().isEmpty()
                  ? ""
                  : matching("faultCleared.code", r.getFaultCleared().getCode(), CODE, "a fault code, or empty for all"));
          case INVENTORY -> new ApplianceProtocol.InventoryReported(items(r.getInventory().getItemsList(), maxInventoryItems));
          case HEARTBEAT -> new ApplianceProtocol.Heartbeat();
          case BODY_NOT_SET -> throw invalid(
              "the reading names nothing: one of stateChanged, cycleStarted, cycleFinished, fault, faultCleared, inventory, heartbeat");
        };
    return new ApplianceProtocol.Reading(r.getSeq(), at, body);
  }

  private static List<ApplianceState.Item> items(List<InventoryItem> items, int max) {
    if (items.size() > max) {
      throw invalid("an inventory lists at most " + max + " items");
    }
    List<ApplianceState.Item> out = new ArrayList<>(items.size());
    Set<String> ids = new HashSet<>();
    for (InventoryItem i : items) {
      String id = matching("inventory.items.itemId", i.getItemId(), ID, "1 to 64 letters, digits, '-', '_', '.' or ':'");
      if (!ids.add(id)) {
        throw invalid("inventory item " + id + " is listed twice");
      }
      if (!i.hasBestBefore()) {
        throw invalid("inventory item " + id + " has no bestBefore");
      }
      if (i.getQuantity() < 0 || i.getQuantity() > MAX_QUANTITY) {
        throw invalid("inventory item " + id + ": quantity must be between 0 and " + MAX_QUANTITY);
      }
      out.add(new ApplianceState.Item(id, text("inventory.items.name", i.getName(), true), i.getQuantity(), time("inventory.items.bestBefore", i.getBestBefore())));
    }
    return out;
  }

  private static Instant time(String field, com.google.protobuf.Timestamp t) {
    try {
      return io.rendan.vocabulary.Timestamps.instant(t);
    } catch (java.time.DateTimeException e) {
      throw invalid(field + " is out of range");
    }
  }

  private static String matching(String field, String value, Pattern pattern, String rule) {
    if (!pattern.matcher(value).matches()) {
      throw invalid(field + " must be " + rule);
    }
    return value;
  }

  private static String text(String field, String value, boolean required) {
    if ((required && value.isBlank()) || value.length() > MAX_TEXT || value.chars().anyMatch(Character::isISOControl)) {
      throw invalid(field + (required ? " is required: " : " must be ") + "at most " + MAX_TEXT + " characters, no control characters");
    }
    return value;
  }

  private static long amount(String field, long value) {
    if (value < 0 || value > MAX_QUANTITY) {
      throw invalid(field + " must be between 0 and " + MAX_QUANTITY);
    }
    return value;
  }

  private static ApiException invalid(String message) {
    return new ApiException(ApplianceCodes.READING_INVALID, message);
  }
}
