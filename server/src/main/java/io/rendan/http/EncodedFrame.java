package io.rendan.http;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameHeader;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.util.ByteString;
import scala.Option;

/**
 * A whole WebSocket message already made into its outgoing frame, to be sent
 * unchanged on many connections.
 *
 * <p>A push goes to every subscriber of its topic with the same bytes (a
 * server's frames are not masked). {@link WsFraming} turns an ordinary message
 * into a frame once per connection: a text message is encoded to UTF-8 and
 * copied each time. This one carries its frame, made once, and {@code
 * WsFraming} sends that frame as it is: N subscribers share one byte array and
 * one frame object instead of N of each.
 *
 * <p>Anything else that reads it as a message (a test, a logger) sees an
 * ordinary strict text or binary message.
 */
public final class EncodedFrame extends Message {
  private static final byte TEXT = 0x1;
  private static final byte BINARY = 0x2;

  private final boolean text;
  private final ByteString payload;
  private final FrameStart frame;

  private EncodedFrame(boolean text, ByteString payload) {
    this.text = text;
    this.payload = payload;
    this.frame =
        new FrameStart(
            new FrameHeader(
                Protocol.Opcode$.MODULE$.forCode(text ? TEXT : BINARY), Option.empty(), payload.size(), true, false, false, false),
            payload);
  }

  /** A text message of {@code text}, encoded to UTF-8 once. */
  public static EncodedFrame text(String text) {
    return new EncodedFrame(true, ByteString.fromString(text, StandardCharsets.UTF_8));
  }

  /** A binary message of {@code bytes}, which must not change afterwards. */
  public static EncodedFrame binary(byte[] bytes) {
    return new EncodedFrame(false, ByteString.fromArrayUnsafe(bytes));
  }

  /** The frame as it goes out, shared by every connection that sends it. */
  FrameEvent frame() {
    return frame;
  }

  @Override
  public boolean isText() {
    return text;
  }

  @Override
  public boolean isStrict() {
    return true;
  }

  @Override
  public TextMessage asTextMessage() {
    if (!text) {
      throw new ClassCastException("a binary message is not a text message");
    }
    return TextMessage.create(payload.utf8String());
  }

  @Override
  public BinaryMessage asBinaryMessage() {
    if (text) {
      throw new ClassCastException("a text message is not a binary message");
    }
    return BinaryMessage.create(payload);
  }

  @Override
  public org.apache.pekko.http.scaladsl.model.ws.Message asScala() {
    return text ? asTextMessage().asScala() : asBinaryMessage().asScala();
  }
}
