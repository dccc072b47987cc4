package io.rendan.me;

import static org.junit.jupiter.api.Assertions.*;

import io.rendan.auth.Caller;
import io.rendan.cluster.Asks;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeProtocol.Command;
import io.rendan.protocol.api.v1.AddOperatorRequest;
import io.rendan.protocol.api.v1.ChangeCapabilitiesRequest;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.RemoveOperatorRequest;
import io.rendan.testkit.EntityTestKit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ME writes that {@link MeApi} sends again while the entity does not answer
 * (a hand-off to another node drops the messages a region held for the shard,
 * or delivers one late) succeed once, not twice: between the API and a real ME
 * entity sits a link that loses the first copy of a command, or holds it back
 * and delivers it just before the second, as a slow hand-off would.
 */
@Tag("unit")
class MeResendTest {
  private static final Caller ALICE = new Caller("alice", Set.of(), Instant.now().plus(Duration.ofHours(1)));
  /** Short, so that a lost copy costs the test a fraction of a second. */
  private static final Asks.Retry RETRY = new Asks.Retry(Duration.ofMillis(300), Duration.ofSeconds(5));

  private static final AtomicInteger IDS = new AtomicInteger();
  private static ActorTestKit testKit;

  /** What the link does to the next command: nothing, lose it, or deliver it just before the one after it. */
  enum Loss {
    NONE,
    LOST,
    LATE
  }

  private final AtomicReference<Loss> next = new AtomicReference<>(Loss.NONE);
  private final AtomicInteger delivered = new AtomicInteger();
  private final List<String> stored = new CopyOnWriteArrayList<>();
  private String meId;
  private MeApi api;

  @BeforeAll
  static void startActorSystem() {
    testKit = EntityTestKit.actorTestKit();
  }

  @AfterAll
  static void stopActorSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newMe() {
    meId = "me-" + IDS.incrementAndGet();
    MeEntity.Settings settings = new MeEntity.Settings(100, Duration.ofMillis(200), Duration.ofSeconds(10));
    ActorRef<Command> entity =
        testKit.spawn(MeEntity.create(meId, settings, (event, state) -> stored.add(event), Clock.systemUTC()));
    ActorRef<Command> link = testKit.spawn(link(entity));
    api = MeApi.over(id -> TestEntityRef.of(MeEntity.TYPE_KEY, id, link), Duration.ofSeconds(1), RETRY, new MeApi.Limits(20));
  }

  private Behavior<Command> link(ActorRef<Command> entity) {
    AtomicReference<Command> held = new AtomicReference<>();
    return Behaviors.receiveMessage(
        command -> {
          Loss loss = next.getAndSet(Loss.NONE);
          if (loss == Loss.LOST) {
            return Behaviors.same();
          }
          if (loss == Loss.LATE) {
            held.set(command);
            return Behaviors.same();
          }
          Command late = held.getAndSet(null);
          if (late != null) {
            entity.tell(late);
            delivered.incrementAndGet();
          }
          entity.tell(command);
          delivered.incrementAndGet();
          return Behaviors.same();
        });
  }

  private static <T> T answer(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private MeApi.Registered register() throws Exception {
    return answer(
        api.register(
            ALICE, RegisterMeRequest.newBuilder().setMeId(meId).setName("Bakery").setKind(Me.Kind.INTERNAL).build()));
  }

  private Me changeCapabilities(String... capabilities) throws Exception {
    return answer(
        api.changeCapabilities(
            ALICE, ChangeCapabilitiesRequest.newBuilder().setMeId(meId).addAllCapabilities(List.of(capabilities)).build()));
  }

  /**
   * A registration is sent once: its second copy would be answered as a repeat
   * (created false, 200 rather than the first one's 201). Lost, it is answered 503
   * server:unavailable; sent again by the client, it is answered with the ME.
   */
  @Test
  void aRegistrationIsSentOnceAndALostOneIsAnsweredUnavailable() throws Exception {
    next.set(Loss.LOST);
    ExecutionException failed = assertThrows(ExecutionException.class, this::register);
    assertEquals(ErrorCodes.SERVER_UNAVAILABLE, ErrorCodes.fromThrowable(failed.getCause()).code());
    assertEquals(0, delivered.get(), "not sent again");
    MeApi.Registered again = register();
    assertTrue(again.created());
    assertEquals(List.of("me.registered"), stored);
  }

  @Test
  void aCapabilityChangeLostOnceOrDeliveredTwiceIsStoredOnce() throws Exception {
    register();
    next.set(Loss.LOST);
    Me lost = changeCapabilities("baking");
    assertEquals(2, lost.getVersion());
    assertEquals(List.of("baking"), lost.getCapabilitiesList());

    next.set(Loss.LATE);
    Me late = changeCapabilities("baking", "delivery");
    assertEquals(3, late.getVersion(), "the late first copy stored the change, the second found it done");
    assertEquals(List.of("baking", "delivery"), late.getCapabilitiesList());
    assertEquals(List.of("me.registered", "me.capabilities-changed", "me.capabilities-changed"), stored);
  }

  @Test
  void anOperatorAddedTwiceIsStoredOnce() throws Exception {
    register();
    next.set(Loss.LATE);
    Me me = answer(api.addOperator(ALICE, AddOperatorRequest.newBuilder().setMeId(meId).setSubject("bob").build()));
    assertEquals(2, me.getVersion());
    assertEquals(List.of("alice", "bob"), me.getOperatorsList().stream().sorted().toList());
    assertEquals(List.of("me.registered", "me.operator-added"), stored);
  }

  /**
   * A removal is sent once (a second copy would be refused: no such operator):
   * lost, it is answered 503 server:unavailable, and nothing was stored twice.
   */
  @Test
  void aRemovalIsSentOnceAndALostOneIsAnsweredUnavailable() throws Exception {
    register();
    answer(api.addOperator(ALICE, AddOperatorRequest.newBuilder().setMeId(meId).setSubject("bob").build()));
    int before = delivered.get();
    next.set(Loss.LOST);
    ExecutionException failed =
        assertThrows(
            ExecutionException.class,
            () -> answer(api.removeOperator(ALICE, RemoveOperatorRequest.newBuilder().setMeId(meId).setSubject("bob").build())));
    ApiException answered = ErrorCodes.fromThrowable(failed.getCause());
    assertEquals(ErrorCodes.SERVER_UNAVAILABLE, answered.code());
    assertEquals(before, delivered.get(), "not sent again");
    assertEquals(List.of("me.registered", "me.operator-added"), stored);
  }
}
