package io.rendan.loadtest.device;

import com.google.protobuf.Timestamp;
import io.rendan.protocol.api.v1.InventoryItem;
import io.rendan.protocol.api.v1.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Readings as a device puts them on the wire: a JSON line (the canonical
 * protobuf JSON mapping, written by hand because a load generator should not
 * spend its CPU on reflection) or a length-delimited protobuf message.
 */
public final class ReadingCodec {
  private ReadingCodec() {}

  public static byte[] encode(Reading r, boolean protobuf) {
    if (protobuf) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(r.getSerializedSize() + 5);
      try {
        r.writeDelimitedTo(out);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out.toByteArray();
    }
    return (json(r) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static String json(Reading r) {
    StringBuilder b = new StringBuilder(64).append("{\"seq\":").append(r.getSeq());
    if (r.hasAt()) {
      b.append(",\"at\":");
      time(b, r.getAt());
    }
    switch (r.getBodyCase()) {
      case STATE_CHANGED -> {
        b.append(",\"stateChanged\":{\"state\":");
        string(b, r.getStateChanged().getState()).append('}');
      }
      case CYCLE_STARTED -> {
        var c = r.getCycleStarted();
        b.append(",\"cycleStarted\":{\"cycleId\":");
        string(b, c.getCycleId());
        if (!c.getReservationId().isEmpty()) {
          b.append(",\"reservationId\":");
          string(b, c.getReservationId());
        }
        if (!c.getProgram().isEmpty()) {
          b.append(",\"program\":");
          string(b, c.getProgram());
        }
        if (c.getService()) {
          b.append(",\"service\":true");
        }
        b.append('}');
      }
      case CYCLE_FINISHED -> {
        var f = r.getCycleFinished();
        b.append(",\"cycleFinished\":{\"cycleId\":");
        string(b, f.getCycleId())
            .append(",\"energyWh\":")
            .append(f.getEnergyWh())
            .append(",\"waterMl\":")
            .append(f.getWaterMl())
            .append(",\"durationSeconds\":")
            .append(f.getDurationSeconds())
            .append('}');
      }
      case FAULT -> {
        b.append(",\"fault\":{\"code\":");
        string(b, r.getFault().getCode()).append(",\"message\":");
        string(b, r.getFault().getMessage()).append('}');
      }
      case FAULT_CLEARED -> {
        b.append(",\"faultCleared\":{\"code\":");
        string(b, r.getFaultCleared().getCode()).append('}');
      }
      case INVENTORY -> {
        b.append(",\"inventory\":{\"items\":[");
        boolean first = true;
        for (InventoryItem i : r.getInventory().getItemsList()) {
          b.append(first ? "" : ",").append("{\"itemId\":");
          string(b, i.getItemId()).append(",\"name\":");
          string(b, i.getName()).append(",\"quantity\":").append(i.getQuantity()).append(",\"bestBefore\":");
          time(b, i.getBestBefore()).append('}');
          first = false;
        }
        b.append("]}");
      }
      case HEARTBEAT -> b.append(",\"heartbeat\":{}");
      case BODY_NOT_SET -> throw new IllegalArgumentException("a reading without a body");
    }
    return b.append('}').toString();
  }

  private static StringBuilder time(StringBuilder b, Timestamp t) {
    return b.append('"').append(Instant.ofEpochSecond(t.getSeconds(), t.getNanos())).append('"');
  }

  private static StringBuilder string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"');
  }
}
