package io.rendan.ws;

import io.rendan.http.EncodedFrame;
import io.rendan.http.HttpCodec;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.ServerFrame;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.http.javadsl.model.ws.Message;

/**
 * The WebSocket frames of a push, encoded once for all the connections of this
 * node that receive it.
 *
 * <p>A topic hands the same {@link Push} instance to every subscribed session on
 * the node; each session used to build and encode its own frame, so a push to
 * 1 000 subscribers was printed as JSON 1 000 times. Here the frame is made once
 * per push and encoding, and kept in a small table of slots indexed by the push's
 * identity: the sessions that deliver one push, one after the other, find it
 * there. Two pushes that meet in one slot only cost a second encoding, and two
 * threads that encode the same push at once make equal frames: the table needs
 * no lock. Frames are immutable and shared, down to the bytes of the WebSocket
 * frame ({@link EncodedFrame}).
 */
final class PushFrames {
  private static final int SLOTS = 256; // a power of two

  private static final class Encoded {
    final Push push;
    volatile Message binary;
    volatile Message text;

    Encoded(Push push) {
      this.push = push;
    }
  }

  private final AtomicReferenceArray<Encoded> slots = new AtomicReferenceArray<>(SLOTS);

  /** The push as a frame in the encoding a subscriber asked for. */
  Message frame(Push push, boolean binary) {
    int slot = System.identityHashCode(push) & (SLOTS - 1);
    Encoded encoded = slots.get(slot);
    if (encoded == null || encoded.push != push) {
      encoded = new Encoded(push);
      slots.set(slot, encoded);
    }
    if (binary) {
      Message frame = encoded.binary;
      if (frame == null) {
        frame = EncodedFrame.binary(serverFrame(push).toByteArray());
        encoded.binary = frame;
      }
      return frame;
    }
    Message frame = encoded.text;
    if (frame == null) {
      frame = EncodedFrame.text(HttpCodec.toJson(serverFrame(push)));
      encoded.text = frame;
    }
    return frame;
  }

  private static ServerFrame serverFrame(Push push) {
    return ServerFrame.newBuilder().setPush(push).build();
  }
}
