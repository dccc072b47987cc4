package io.rendan.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.impl.engine.ws.FrameData;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameHeader;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * The frame layer of the WebSocket: client frames (masked, fragmented, split
 * across TCP reads, with control frames between) become whole messages for the
 * session, and the protocol's rules hold (RFC 6455).
 */
@Tag("unit")
class WsFramingTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final int MAX = 64;
  private static final int KEY = 0x37fa213d;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** The session: answers each message with what it got (text "t:...", binary "b:<size>"). */
  private static final Flow<Message, Message, ?> ECHO =
      Flow.<Message>create()
          .map(
              m ->
                  m.isText()
                      ? (Message) TextMessage.create("t:" + m.asTextMessage().getStrictText())
                      : TextMessage.create("b:" + m.asBinaryMessage().getStrictData().size()));

  private List<FrameStart> run(List<FrameEvent> in) throws Exception {
    List<FrameEvent> out =
        Source.from(in)
            .via(WsFraming.server(ECHO, MAX))
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    List<FrameStart> frames = new ArrayList<>();
    for (FrameEvent e : out) {
      frames.add((FrameStart) e);
    }
    return frames;
  }

  @Test
  void aFragmentedMaskedMessageWithAPingBetweenIsOneMessageAndThePingIsAnswered() throws Exception {
    byte[] text = "héllo, world".getBytes(StandardCharsets.UTF_8);
    // first frame (not fin) split across two reads, a ping, then the continuation
    ByteString first = masked(java.util.Arrays.copyOfRange(text, 0, 7));
    List<FrameEvent> in = new ArrayList<>();
    in.add(new FrameStart(header(0x1, 7, false), first.take(3)));
    in.add(new FrameData(first.drop(3), true));
    in.add(new FrameStart(header(0x9, 2, true), masked("hi".getBytes(StandardCharsets.UTF_8))));
    in.add(new FrameStart(header(0x0, text.length - 7, true), masked(java.util.Arrays.copyOfRange(text, 7, text.length))));
    in.add(close(1000));

    List<FrameStart> out = run(in);

    assertEquals(0xA, opcode(out.get(0)), "the ping is answered first");
    assertEquals("hi", out.get(0).data().utf8String());
    assertEquals(0x1, opcode(out.get(1)));
    assertEquals("t:héllo, world", out.get(1).data().utf8String());
    assertEquals(0x8, opcode(out.get(2)), "the close is echoed after the answer");
    assertEquals(1000, closeCode(out.get(2)));
    assertEquals(3, out.size());
    for (FrameStart f : out) {
      assertTrue(f.header().mask().isEmpty(), "a server never masks");
      assertTrue(f.header().fin());
    }
  }

  @Test
  void binaryMessagesAndATooLargeOneReachTheSessionWhichSeesTheSize() throws Exception {
    List<FrameEvent> in = new ArrayList<>();
    in.add(new FrameStart(header(0x2, 5, true), masked(new byte[] {1, 2, 3, 4, 5})));
    byte[] big = new byte[200];
    in.add(new FrameStart(header(0x2, 100, false), masked(java.util.Arrays.copyOfRange(big, 0, 100))));
    in.add(new FrameStart(header(0x0, 100, true), masked(java.util.Arrays.copyOfRange(big, 100, 200))));
    in.add(close(1001));

    List<FrameStart> out = run(in);

    assertEquals("b:5", out.get(0).data().utf8String());
    assertEquals("b:" + (MAX + 1), out.get(1).data().utf8String(), "kept up to one byte past the limit, no more");
    assertEquals(1001, closeCode(out.get(2)));
  }

  @Test
  void anUnmaskedFrameIsAProtocolError() throws Exception {
    List<FrameStart> out =
        run(List.of(new FrameStart(new FrameHeader(op(0x1), Option.empty(), 2, true, false, false, false), ByteString.fromString("hi"))));
    assertEquals(1, out.size());
    assertEquals(1002, closeCode(out.get(0)));
  }

  @Test
  void invalidUtf8InATextMessageClosesWith1007() throws Exception {
    List<FrameStart> out = run(List.of(new FrameStart(header(0x1, 2, true), masked(new byte[] {(byte) 0xC3, (byte) 0x28}))));
    assertEquals(1007, closeCode(out.get(out.size() - 1)));
  }

  @Test
  void aContinuationWithoutAMessageAndAnOversizedControlFrameAreProtocolErrors() throws Exception {
    assertEquals(1002, closeCode(run(List.of(new FrameStart(header(0x0, 1, true), masked(new byte[] {1})))).get(0)));
    assertEquals(
        1002, closeCode(run(List.of(new FrameStart(header(0x9, 126, true), masked(new byte[126])))).get(0)));
  }

  @Test
  void theSessionEndingClosesTheConnectionWithACloseFrame() throws Exception {
    Flow<Message, Message, ?> oneAnswer = Flow.<Message>create().take(1).map(m -> (Message) TextMessage.create("bye"));
    List<FrameEvent> out =
        Source.from(List.<FrameEvent>of(new FrameStart(header(0x1, 1, true), masked(new byte[] {'x'}))))
            .concat(Source.never())
            .via(WsFraming.server(oneAnswer, MAX))
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals("bye", out.get(0).data().utf8String());
    assertEquals(1000, closeCode((FrameStart) out.get(1)));
  }

  @Test
  void thePeersCloseWaitsForAnswersInFlight() throws Exception {
    Flow<Message, Message, ?> slow =
        Flow.<Message>create()
            .mapAsync(
                1,
                m ->
                    org.apache.pekko.pattern.Patterns.after(
                        Duration.ofMillis(200),
                        testKit.system().classicSystem().scheduler(),
                        testKit.system().executionContext(),
                        () -> java.util.concurrent.CompletableFuture.completedFuture((Message) BinaryMessage.create(ByteString.fromString("late")))));
    List<FrameEvent> out =
        Source.from(List.<FrameEvent>of(new FrameStart(header(0x2, 1, true), masked(new byte[] {7})), close(1000)))
            .via(WsFraming.server(slow, MAX))
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals("late", ((FrameStart) out.get(0)).data().utf8String());
    assertEquals(1000, closeCode((FrameStart) out.get(1)));
  }

  @Test
  void anEncodedFrameGoesOutAsItIsOnEveryConnectionThatSendsIt() throws Exception {
    EncodedFrame text = EncodedFrame.text("{\"push\":\"héllo\"}");
    EncodedFrame binary = EncodedFrame.binary(new byte[] {1, 2, 3});
    Flow<Message, Message, ?> pushes = Flow.<Message>create().take(1).mapConcat(m -> List.<Message>of(text, binary));
    List<List<FrameStart>> connections = new ArrayList<>();
    for (int connection = 0; connection < 2; connection++) {
      List<FrameEvent> out =
          Source.from(List.<FrameEvent>of(new FrameStart(header(0x1, 1, true), masked(new byte[] {'x'}))))
              .concat(Source.never())
              .via(WsFraming.server(pushes, MAX))
              .runWith(Sink.seq(), testKit.system())
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      List<FrameStart> frames = new ArrayList<>();
      for (FrameEvent e : out) {
        frames.add((FrameStart) e);
      }
      connections.add(frames);
    }
    for (List<FrameStart> frames : connections) {
      assertEquals(0x1, opcode(frames.get(0)));
      assertEquals("{\"push\":\"héllo\"}", frames.get(0).data().utf8String());
      assertEquals(frames.get(0).data().size(), frames.get(0).header().length(), "the length counts UTF-8 bytes");
      assertEquals(0x2, opcode(frames.get(1)));
      assertEquals(ByteString.fromArray(new byte[] {1, 2, 3}), frames.get(1).data());
      assertTrue(frames.get(0).header().fin() && frames.get(0).header().mask().isEmpty());
      assertEquals(1000, closeCode(frames.get(2)));
    }
    assertTrue(connections.get(0).get(0) == connections.get(1).get(0), "both connections sent the one frame made for it");
    // read as a message elsewhere, it is an ordinary strict one
    assertEquals("{\"push\":\"héllo\"}", text.asTextMessage().getStrictText());
    assertEquals(3, binary.asBinaryMessage().getStrictData().size());
  }

  private static FrameStart close(int code) {
    return new FrameStart(header(0x8, 2, true), masked(new byte[] {(byte) (code >> 8), (byte) code}));
  }

  private static FrameHeader header(int opcode, long length, boolean fin) {
    return new FrameHeader(op(opcode), Option.apply(KEY), length, fin, false, false, false);
  }

  private static Protocol.Opcode op(int code) {
    return Protocol.Opcode$.MODULE$.forCode((byte) code);
  }

  /** Masks a whole frame payload with KEY from offset 0 (the key restarts with each frame). */
  private static ByteString masked(byte[] payload) {
    byte[] out = payload.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] ^= (byte) (KEY >>> (24 - 8 * (i & 3)));
    }
    return ByteString.fromArrayUnsafe(out);
  }

  private static int opcode(FrameStart f) {
    return f.header().opcode().code();
  }

  private static int closeCode(FrameStart f) {
    assertEquals(0x8, opcode(f), "a close frame");
    ByteString d = f.data();
    return ((d.apply(0) & 0xFF) << 8) | (d.apply(1) & 0xFF);
  }
}
