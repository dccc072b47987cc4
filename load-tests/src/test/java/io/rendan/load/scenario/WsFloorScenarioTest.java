package io.rendan.load.scenario;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.Unsubscribed;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The floor scenarios of issue 15 as the harness names and wires them, the request
 * each one sends and the answer each one accepts.
 */
@Tag("unit")
class WsFloorScenarioTest {
  @Test
  void theFloorScenariosAreNamedAndRunByDefaultBeforeTheBids() {
    List<String> names = Scenarios.names();
    for (String name : List.of("ws-trivial", "ws-read-me", "ws-read")) {
      assertTrue(names.contains(name), name + " is not known: " + names);
      assertTrue(Scenarios.defaults().contains(name), name + " is not in a default run (nor in the smoke run)");
      try (Scenario s = Scenarios.create(name)) {
        assertEquals(name, s.name());
        assertFalse(s.description().isBlank());
      }
    }
    // the floors come before bidding, so that a default run reads them beside it, on the same node
    assertTrue(names.indexOf("ws-read") < names.indexOf("bidding"));
    assertTrue(names.indexOf("ws-trivial") < names.indexOf("ws-read-me"));
  }

  @Test
  void wsTrivialSendsAnUnsubscribeTheSessionAnswersAlone() {
    ClientFrame frame = WsFloorScenario.request(WsFloorScenario.Mode.TRIVIAL, "ignored").setRequestId("1").build();
    assertEquals(ClientFrame.BodyCase.UNSUBSCRIBE, frame.getBodyCase());
    assertEquals(WsFloorScenario.NOT_HELD, frame.getUnsubscribe().getTopic());

    Response answer = Response.newBuilder().setUnsubscribed(Unsubscribed.newBuilder().setTopic(WsFloorScenario.NOT_HELD)).build();
    assertTrue(WsFloorScenario.answers(WsFloorScenario.Mode.TRIVIAL, "ignored", answer));
    Response otherTopic = Response.newBuilder().setUnsubscribed(Unsubscribed.newBuilder().setTopic("round/x")).build();
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.TRIVIAL, "ignored", otherTopic));
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.TRIVIAL, "ignored", Response.getDefaultInstance()));
  }

  @Test
  void wsReadAsksForTheRoundItPickedAndTakesOnlyThatRound() {
    ClientFrame frame = WsFloorScenario.request(WsFloorScenario.Mode.READ_ROUND, "r7").build();
    assertEquals(ClientFrame.BodyCase.GET_ROUND, frame.getBodyCase());
    assertEquals("r7", frame.getGetRound().getRoundId());
    assertTrue(frame.getGetRound().getAsMe().isEmpty(), "the public view: no asMe");

    assertTrue(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ROUND, "r7", round("r7")));
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ROUND, "r7", round("r8")));
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ROUND, "r7", Response.newBuilder().setMe(Me.newBuilder().setMeId("r7")).build()));
  }

  @Test
  void wsReadMeAsksForTheMeItPickedAndTakesOnlyThatMe() {
    ClientFrame frame = WsFloorScenario.request(WsFloorScenario.Mode.READ_ME, "me3").build();
    assertEquals(ClientFrame.BodyCase.GET_ME, frame.getBodyCase());
    assertEquals("me3", frame.getGetMe().getMeId());

    assertTrue(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ME, "me3", Response.newBuilder().setMe(Me.newBuilder().setMeId("me3")).build()));
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ME, "me3", Response.newBuilder().setMe(Me.newBuilder().setMeId("me4")).build()));
    assertFalse(WsFloorScenario.answers(WsFloorScenario.Mode.READ_ME, "me3", round("me3")));
  }

  private static Response round(String id) {
    return Response.newBuilder().setRound(Round.newBuilder().setRoundId(id)).build();
  }
}
