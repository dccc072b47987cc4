package io.rendan.vocabulary;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Protobuf's {@code Timestamp} and {@link Instant}, both ways, to the nanosecond: the one copy every serializer and view uses. */
public final class Timestamps {
  private Timestamps() {}

  public static Timestamp of(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }

  public static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
