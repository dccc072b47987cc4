package io.rendan.ws;

import com.google.protobuf.Message;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.http.StrictInput;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
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
  private final ActorSystem<?> system;
  private final int maxMessageBytes;

  WsFrames(ActorSystem<?> system, int maxMessageBytes) {
    this.system = system;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** A frame read whole (up to the size limit), with the encoding it came in. */
  record Incoming(ClientFrame frame, boolean binary, ApiException error) {}

  CompletionStage<Incoming> read(org.apache.pekko.http.javadsl.model.ws.Message message) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      CompletionStage<Bounded<StringBuilder>> body =
          text.isStrict()
              ? CompletableFuture.completedFuture(Bounded.of(new StringBuilder(), text.getStrictText(), maxMessageBytes))
              : text.getStreamedText()
                  .runFold(
                      new Bounded<>(new StringBuilder(), 0, false),
                      (acc, chunk) -> acc.append(chunk, maxMessageBytes),
                      system);
      return body.thenApply(b -> parse(b, false));
    }
    BinaryMessage binary = message.asBinaryMessage();
    CompletionStage<Bounded<ByteString>> body =
        binary.isStrict()
            ? CompletableFuture.completedFuture(Bounded.of(binary.getStrictData(), maxMessageBytes))
            : binary
                .getStreamedData()
                .runFold(
                    new Bounded<>(ByteString.emptyByteString(), 0, false),
                    (acc, chunk) -> acc.appendBytes(chunk, maxMessageBytes),
                    system);
    return body.thenApply(b -> parse(b, true));
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

    @SuppressWarnings("unchecked")
    Bounded<T> appendBytes(ByteString chunk, int limit) {
      long newSize = size + chunk.size();
      if (overflow || newSize > limit) {
        return new Bounded<>(value, newSize, true);
      }
      return new Bounded<>((T) ((ByteString) value).concat(chunk), newSize, false);
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
