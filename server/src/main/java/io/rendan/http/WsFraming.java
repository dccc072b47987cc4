package io.rendan.http;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.impl.engine.ws.FrameData;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameHeader;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import scala.Option;

/**
 * WebSocket messages from and to frames, one stage per connection, without a
 * stream per message.
 *
 * <p>Pekko HTTP's message layer materializes a substream for every message in
 * and out ({@code splitAfter} + {@code prefixAndTail} inbound, {@code
 * flatMapConcat} outbound), which on Rendan's small frames cost more than the
 * session's own work. A session reads every message whole anyway (up to its
 * size limit), so this stage assembles them itself and hands the session strict
 * messages; it answers pings, echoes a close and closes with a code on a
 * protocol error as RFC 6455 asks. It runs on Pekko HTTP's frame-level upgrade
 * ({@code UpgradeToWebSocketLowLevel.handleFrames}, internal API of Pekko HTTP
 * 1.3: {@code WsFramingTest} and every WebSocket test notice if it changes).
 *
 * <p>A message over {@code maxMessageBytes} is not kept: the session gets its
 * first {@code maxMessageBytes + 1} bytes (as Latin-1 text for a text message,
 * so its length says it is too large) and answers {@code request:too-large} as
 * before.
 */
public final class WsFraming extends GraphStage<BidiShape<FrameEvent, Message, Message, FrameEvent>> {

  private static final byte CONTINUATION = 0x0;
  private static final byte TEXT = 0x1;
  private static final byte BINARY = 0x2;
  private static final byte CLOSE = 0x8;
  private static final byte PING = 0x9;
  private static final byte PONG = 0xA;

  static final int PROTOCOL_ERROR = 1002;
  static final int INCONSISTENT_DATA = 1007;
  static final int REGULAR = 1000;
  static final int UNEXPECTED_CONDITION = 1011;

  private final Inlet<FrameEvent> fromNet = Inlet.create("WsFraming.fromNet");
  private final Outlet<Message> toSession = Outlet.create("WsFraming.toSession");
  private final Inlet<Message> fromSession = Inlet.create("WsFraming.fromSession");
  private final Outlet<FrameEvent> toNet = Outlet.create("WsFraming.toNet");
  private final BidiShape<FrameEvent, Message, Message, FrameEvent> shape =
      BidiShape.of(fromNet, toSession, fromSession, toNet);
  private final int maxMessageBytes;

  private WsFraming(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The server side of a connection: {@code session} joined to the frames of its socket. */
  @SuppressWarnings("unchecked")
  public static Graph<FlowShape<FrameEvent, FrameEvent>, Object> server(Flow<Message, Message, ?> session, int maxMessageBytes) {
    Flow<FrameEvent, FrameEvent, NotUsed> joined = BidiFlow.fromGraph(new WsFraming(maxMessageBytes)).join(session);
    // Pekko HTTP's Scala signature takes Graph[FlowShape[..], Any]; the materialized value is not used
    return (Graph<FlowShape<FrameEvent, FrameEvent>, Object>) (Graph<?, ?>) joined;
  }

  @Override
  public BidiShape<FrameEvent, Message, Message, FrameEvent> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  /** How long the session may take to finish its answers once the peer has closed. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

  private final class Logic extends TimerGraphStageLogic {
    /** The frame being read: its opcode, mask key and how many payload bytes came so far. */
    private byte frameOpcode;

    private boolean frameFin;
    private int maskKey;
    private long frameOffset;
    /** The data message being assembled (opcode TEXT or BINARY), or -1 between messages. */
    private byte messageOpcode = -1;

    private ByteStringBuilder message = new ByteStringBuilder();
    private long messageSize;
    private ByteString control = ByteString.emptyByteString();
    /** A close frame is out (or queued): nothing more is read or written. */
    private boolean closing;
    /** The code to close with once the session's answers are out (the peer closed, or the session stopped reading). */
    private int closeWhenDone = -1;

    Logic() {
      super(shape);
      setHandler(
          fromNet,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              FrameEvent event = grab(fromNet);
              if (!read(event) && !closing && !isClosed(fromNet) && !hasBeenPulled(fromNet)) {
                pull(fromNet);
              }
            }

            @Override
            public void onUpstreamFinish() {
              // the peer went away without a close frame: the session ends
              completeStage();
            }
          });
      setHandler(
          toSession,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!closing && !hasBeenPulled(fromNet) && !isClosed(fromNet)) {
                pull(fromNet);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              // the session reads no more: its last answers still go out, then the close
              cancel(fromNet);
              if (closeWhenDone < 0) {
                closeWhenDone = REGULAR;
              }
            }
          });
      setHandler(
          fromSession,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              Message out = grab(fromSession);
              if (!closing) {
                emit(toNet, frame(out));
              }
            }

            @Override
            public void onUpstreamFinish() {
              close(closeWhenDone < 0 ? REGULAR : closeWhenDone, "");
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              close(UNEXPECTED_CONDITION, "");
            }
          });
      setHandler(
          toNet,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!closing && !hasBeenPulled(fromSession) && !isClosed(fromSession)) {
                pull(fromSession);
              }
            }
          });
    }

    /** Reads one frame event; true when it handed a message to the session. */
    private boolean read(FrameEvent event) {
      ByteString data;
      boolean last;
      if (event instanceof FrameStart start) {
        FrameHeader header = start.header();
        byte opcode = header.opcode().code();
        if (header.rsv1() || header.rsv2() || header.rsv3()) {
          close(PROTOCOL_ERROR, "reserved bits set");
          return false;
        }
        if (header.mask().isEmpty()) {
          close(PROTOCOL_ERROR, "a client's frames must be masked");
          return false;
        }
        boolean isControl = (opcode & 0x8) != 0;
        if (isControl) {
          if (opcode != CLOSE && opcode != PING && opcode != PONG) {
            close(PROTOCOL_ERROR, "unknown opcode");
            return false;
          }
          if (!header.fin() || header.length() > 125) {
            close(PROTOCOL_ERROR, "a control frame must be whole and at most 125 bytes");
            return false;
          }
          control = ByteString.emptyByteString();
        } else if (opcode == CONTINUATION) {
          if (messageOpcode < 0) {
            close(PROTOCOL_ERROR, "continuation without a message");
            return false;
          }
        } else if (opcode == TEXT || opcode == BINARY) {
          if (messageOpcode >= 0) {
            close(PROTOCOL_ERROR, "a new message before the last one ended");
            return false;
          }
          messageOpcode = opcode;
          messageSize = 0;
        } else {
          close(PROTOCOL_ERROR, "unknown opcode");
          return false;
        }
        frameOpcode = opcode;
        frameFin = header.fin();
        maskKey = (Integer) header.mask().get();
        frameOffset = 0;
        data = start.data();
        last = start.lastPart();
      } else {
        FrameData part = (FrameData) event;
        data = part.data();
        last = part.lastPart();
      }
      ByteString payload = unmask(data);
      if ((frameOpcode & 0x8) != 0) {
        control = control.concat(payload);
        if (last) {
          control(frameOpcode, control);
        }
        return false;
      }
      messageSize += payload.size();
      if (message.length() <= maxMessageBytes) {
        int room = maxMessageBytes + 1 - message.length();
        message.append(payload.size() <= room ? payload : payload.take(room));
      }
      if (last && frameFin) {
        return deliver();
      }
      return false;
    }

    /** XORs a part of the payload with the frame's mask key, from where the last part ended. */
    private ByteString unmask(ByteString data) {
      int n = data.size();
      if (n == 0) {
        return data;
      }
      byte[] bytes = data.toArray();
      long offset = frameOffset;
      for (int i = 0; i < n; i++) {
        int shift = 24 - 8 * (int) ((offset + i) & 3);
        bytes[i] ^= (byte) (maskKey >>> shift);
      }
      frameOffset = offset + n;
      return ByteString.fromArrayUnsafe(bytes);
    }

    private boolean deliver() {
      ByteString whole = message.result();
      byte opcode = messageOpcode;
      message = new ByteStringBuilder();
      messageOpcode = -1;
      Message out;
      if (opcode == BINARY) {
        out = BinaryMessage.create(whole);
      } else if (whole.size() > maxMessageBytes) {
        out = TextMessage.create(whole.decodeString(StandardCharsets.ISO_8859_1));
      } else {
        try {
          out =
              TextMessage.create(
                  StandardCharsets.UTF_8
                      .newDecoder()
                      .onMalformedInput(CodingErrorAction.REPORT)
                      .onUnmappableCharacter(CodingErrorAction.REPORT)
                      .decode(ByteBuffer.wrap(whole.toArray()))
                      .toString());
        } catch (CharacterCodingException e) {
          close(INCONSISTENT_DATA, "a text message must be UTF-8");
          return false;
        }
      }
      push(toSession, out);
      return true;
    }

    private void control(byte opcode, ByteString payload) {
      if (opcode == PING) {
        emit(toNet, frame(PONG, payload));
      } else if (opcode == CLOSE) {
        // The peer is done: the session's input ends, its answers in flight still
        // go out (for at most CLOSE_TIMEOUT), then the peer's code is echoed
        // (RFC 6455, 5.5.1) and the connection ends.
        int code = payload.size() >= 2 ? ((payload.apply(0) & 0xFF) << 8) | (payload.apply(1) & 0xFF) : REGULAR;
        closeWhenDone = code >= 1000 && code < 5000 && code != 1005 && code != 1006 && code != 1015 ? code : PROTOCOL_ERROR;
        cancel(fromNet);
        complete(toSession);
        scheduleOnce("close", CLOSE_TIMEOUT);
      }
      // a pong needs no answer
    }

    @Override
    public void onTimer(Object key) {
      close(closeWhenDone, "");
    }

    /** Sends a close frame with this code and ends the connection once it is written. */
    private void close(int code, String reason) {
      if (closing) {
        return;
      }
      closing = true;
      cancel(fromNet);
      cancel(fromSession);
      complete(toSession);
      ByteString body =
          ByteString.fromArrayUnsafe(new byte[] {(byte) (code >> 8), (byte) code})
              .concat(ByteString.fromString(reason, StandardCharsets.UTF_8));
      emit(toNet, frame(CLOSE, body), this::completeStage);
    }
  }

  private static FrameEvent frame(Message message) {
    if (message instanceof EncodedFrame encoded) {
      // made once for all the connections that send it (a push to many subscribers)
      return encoded.frame();
    }
    if (message.isText()) {
      return frame(TEXT, ByteString.fromString(message.asTextMessage().getStrictText(), StandardCharsets.UTF_8));
    }
    return frame(BINARY, message.asBinaryMessage().getStrictData());
  }

  private static FrameStart frame(byte opcode, ByteString data) {
    return new FrameStart(
        new FrameHeader(Protocol.Opcode$.MODULE$.forCode(opcode), Option.empty(), data.size(), true, false, false, false),
        data);
  }
}
