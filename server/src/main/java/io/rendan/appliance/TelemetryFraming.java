package io.rendan.appliance;

import java.util.Arrays;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Cuts a device's byte stream into frames as the bytes arrive, whatever the
 * chunk boundaries: lines of JSON, or varint length-delimited protobuf
 * messages. Never holds more than one frame of {@code maxFrameBytes}: a longer
 * one is reported as {@link Oversized} and skipped, and the stream goes on with
 * the next.
 */
abstract class TelemetryFraming {
  /** A frame, numbered from 1 in the stream. */
  sealed interface Frame permits Complete, Oversized, Broken {
    long number();
  }

  record Complete(long number, byte[] bytes) implements Frame {}

  record Oversized(long number) implements Frame {}

  /** The framing itself is broken (a bad length prefix): nothing after it can be read. */
  record Broken(long number, String why) implements Frame {}

  final int maxFrameBytes;
  long frames;

  TelemetryFraming(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  static TelemetryFraming lines(int maxFrameBytes) {
    return new Lines(maxFrameBytes);
  }

  static TelemetryFraming delimited(int maxFrameBytes) {
    return new Delimited(maxFrameBytes);
  }

  /** Adds the frames completed by {@code chunk} to {@code out}. */
  abstract void feed(ByteString chunk, List<Frame> out);

  /** At the clean end of the stream: what is left (a last line without its newline). */
  abstract void finish(List<Frame> out);

  /** Newline-delimited: a "\r\n" ending is accepted, blank lines are skipped but counted. */
  static final class Lines extends TelemetryFraming {
    private byte[] pending = new byte[256];
    private int pendingLength;
    private boolean skipping;

    Lines(int maxFrameBytes) {
      super(maxFrameBytes);
    }

    @Override
    void feed(ByteString chunk, List<Frame> out) {
      byte[] bytes = chunk.toArrayUnsafe();
      int start = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          endOfLine(bytes, start, i, out);
          start = i + 1;
        }
      }
      if (start < bytes.length && !skipping) {
        append(bytes, start, bytes.length, out);
      }
    }

    private void endOfLine(byte[] bytes, int from, int to, List<Frame> out) {
      if (skipping) {
        skipping = false;
        return;
      }
      append(bytes, from, to, out);
      if (skipping) {
        skipping = false;
        return;
      }
      frames++;
      int length = pendingLength;
      if (length > 0 && pending[length - 1] == '\r') {
        length--;
      }
      if (length > maxFrameBytes) {
        out.add(new Oversized(frames));
      } else if (!isBlank(pending, length)) {
        out.add(new Complete(frames, Arrays.copyOf(pending, length)));
      }
      pendingLength = 0;
    }

    /** Adds bytes to the line being read; past the limit the line is reported and the rest of it skipped. */
    private void append(byte[] bytes, int from, int to, List<Frame> out) {
      int n = to - from;
      if (pendingLength + n > maxFrameBytes + 1) { // + 1: room for a "\r" before the newline
        out.add(new Oversized(++frames));
        pendingLength = 0;
        skipping = true;
        return;
      }
      if (pendingLength + n > pending.length) {
        pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
      }
      System.arraycopy(bytes, from, pending, pendingLength, n);
      pendingLength += n;
    }

    @Override
    void finish(List<Frame> out) {
      if (!skipping && pendingLength > 0) {
        endOfLine(new byte[0], 0, 0, out);
      }
    }

    private static boolean isBlank(byte[] bytes, int length) {
      for (int i = 0; i < length; i++) {
        if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
          return false;
        }
      }
      return true;
    }
  }

  /** Each message preceded by its length as a base-128 varint (protobuf's writeDelimitedTo). */
  static final class Delimited extends TelemetryFraming {
    private ByteString buffer = ByteString.emptyByteString();
    private long skip;
    private boolean broken;

    Delimited(int maxFrameBytes) {
      super(maxFrameBytes);
    }

    @Override
    void feed(ByteString chunk, List<Frame> out) {
      if (broken) {
        return;
      }
      if (skip > 0) {
        int dropped = (int) Math.min(skip, chunk.size());
        skip -= dropped;
        chunk = chunk.drop(dropped);
      }
      buffer = buffer.concat(chunk);
      while (!buffer.isEmpty() && skip == 0) {
        long length = 0;
        int shift = 0;
        int prefix = 0;
        boolean complete = false;
        while (prefix < buffer.size() && prefix < 10) {
          byte b = buffer.apply(prefix++);
          length |= (long) (b & 0x7F) << shift;
          shift += 7;
          if ((b & 0x80) == 0) {
            complete = true;
            break;
          }
        }
        if (!complete || length < 0) {
          if (prefix >= 10 || length < 0) {
            broken = true;
            out.add(new Broken(++frames, "a message length is not a valid varint"));
          }
          return;
        }
        if (length > maxFrameBytes) {
          out.add(new Oversized(++frames));
          long available = buffer.size() - prefix;
          int dropped = (int) Math.min(available, length);
          skip = length - dropped;
          buffer = buffer.drop(prefix + dropped);
          continue;
        }
        if (buffer.size() - prefix < length) {
          return;
        }
        byte[] message = buffer.slice(prefix, prefix + (int) length).toArray();
        out.add(new Complete(++frames, message));
        buffer = buffer.drop(prefix + (int) length);
      }
    }

    @Override
    void finish(List<Frame> out) {
      if (!broken && skip == 0 && !buffer.isEmpty()) {
        out.add(new Broken(++frames, "the stream ended inside a message"));
      }
    }
  }
}
