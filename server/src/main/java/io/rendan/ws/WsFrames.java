package io.rendan.ws;

import com.google.protobuf.Message;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.http.StrictInput;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.util.ByteString;

/**
 * The transport of one WebSocket connection: a client frame read whole from a text
 * (JSON) or binary (protobuf) message up to the size limit, and a server frame
 * written back in the encoding its request came in. One per connection, made with
 * its {@link WsSession}.
 */
final class WsFrames {
  private final int maxMessageBytes;

  WsFrames(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** A frame read whole (up to the size limit), with the encoding it came in. */
  record Incoming(ClientFrame frame, boolean binary, ApiException error) {}

  /**
   * A message read whole. Behind {@link io.rendan.http.WsFraming} every message is
   * strict (it assembles the frames, and keeps at most the limit and one byte), so
   * this is a plain function of the connection's stream, not an asynchronous
   * stage; a streamed message (never handed over there) is answered as malformed.
   */
  Incoming read(org.apache.pekko.http.javadsl.model.ws.Message message) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      if (!text.isStrict()) {
        return notStrict(false);
      }
      return parse(Bounded.of(new StringBuilder(), text.getStrictText(), maxMessageBytes), false);
    }
    BinaryMessage binary = message.asBinaryMessage();
    if (!binary.isStrict()) {
      return notStrict(true);
    }
    return parse(Bounded.of(binary.getStrictData(), maxMessageBytes), true);
  }

  private static Incoming notStrict(boolean binary) {
    return new Incoming(null, binary, new ApiException(ErrorCodes.REQUEST_MALFORMED, "a message must come whole"));
  }

  /** Accumulates a message but stops keeping it past the limit (the rest is drained). */
  private record Bounded<T>(T value, long size, boolean overflow) {
    static Bounded<StringBuilder> of(StringBuilder sb, String text, int limit) {
      return new Bounded<>(sb, 0, false).append(text, limit);
    }

    static Bounded<ByteString> of(ByteString data, int limit) {
      return new Bounded<>(data, data.size(), data.size() > limit);
    }

    @SuppressWarnings("unchecked")
    Bounded<T> append(String chunk, int limit) {
      long newSize = size + chunk.length();
      if (overflow || newSize > limit) {
        return new Bounded<>(value, newSize, true);
      }
      ((StringBuilder) value).append(chunk);
      return new Bounded<>(value, newSize, false);
    }
  }

  private Incoming parse(Bounded<?> body, boolean binary) {
    if (body.overflow()) {
      return new Incoming(
          null,
          binary,
          new ApiException(
              ErrorCodes.REQUEST_TOO_LARGE, "a message may be at most " + maxMessageBytes + " bytes"));
    }
    try {
      return new Incoming(decode(binary ? ((ByteString) body.value()).toArray() : body.value().toString()), binary, null);
    } catch (ApiException e) {
      return new Incoming(null, binary, e);
    }
  }

  /** A client frame from a binary (protobuf bytes) or text (JSON string) message; {@code request:malformed} otherwise. */
  static ClientFrame decode(Object message) {
    try {
      ClientFrame.Builder frame = ClientFrame.newBuilder();
      if (message instanceof byte[] bytes) {
        StrictInput.mergeProtobuf(bytes, frame);
      } else {
        StrictInput.mergeJson((String) message, frame);
      }
      return frame.build();
    } catch (RuntimeException e) {
      throw new ApiException(ErrorCodes.REQUEST_MALFORMED, "malformed frame");
    }
  }

  static org.apache.pekko.http.javadsl.model.ws.Message encode(Message frame, boolean binary) {
    return binary
        ? BinaryMessage.create(ByteString.fromArrayUnsafe(frame.toByteArray()))
        : TextMessage.create(HttpCodec.toJson(frame));
  }

  static ServerFrame error(String requestId, ApiException e) {
    return ServerFrame.newBuilder()
        .setResponse(Response.newBuilder().setRequestId(requestId).setError(ErrorCodes.toError(e)))
        .build();
  }
}
