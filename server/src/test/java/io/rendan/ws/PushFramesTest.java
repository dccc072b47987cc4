package io.rendan.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A push is encoded once per encoding, and every frame says exactly its own push. */
@Tag("unit")
class PushFramesTest {
  private static Push push(long seq) {
    return Push.newBuilder().setTopic("round/r" + seq).setSeq(seq).setEvent("round.bids-placed").build();
  }

  private static ServerFrame decode(Message frame) throws Exception {
    if (frame.isText()) {
      ServerFrame.Builder b = ServerFrame.newBuilder();
      JsonFormat.parser().merge(frame.asTextMessage().getStrictText(), b);
      return b.build();
    }
    return ServerFrame.parseFrom(frame.asBinaryMessage().getStrictData().toArray());
  }

  @Test
  void theSubscribersOfOnePushShareItsFrames() throws Exception {
    PushFrames frames = new PushFrames();
    Push push = push(7);
    Message binary = frames.frame(push, true);
    Message text = frames.frame(push, false);
    assertSame(binary, frames.frame(push, true));
    assertSame(text, frames.frame(push, false));
    assertEquals(push, decode(binary).getPush());
    assertEquals(push, decode(text).getPush());
  }

  @Test
  void pushesThatShareASlotEachGetTheirOwnFrame() throws Exception {
    PushFrames frames = new PushFrames();
    List<Push> pushes = new ArrayList<>();
    for (long seq = 1; seq <= 2_000; seq++) { // far more pushes than slots: many meet
      pushes.add(push(seq));
    }
    for (int round = 0; round < 2; round++) {
      for (Push push : pushes) {
        assertEquals(push, decode(frames.frame(push, true)).getPush());
        assertEquals(push, decode(frames.frame(push, false)).getPush());
      }
    }
  }
}
