package io.rendan.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * What every entity test stands on: an actor system with the node's own
 * serializers and bindings, taken from {@code application.conf} rather than
 * copied so that a test cannot drift from production (the rest of that file,
 * cluster provider and ports, is left out), over the persistence
 * testkit's in-memory journal, and the entity under test in an {@link
 * EventSourcedBehaviorTestKit} that serializes every command, reply, event and
 * state both ways and compares them, so an entity test also proves that what
 * the entity sends and stores survives the wire and the journal.
 */
public final class EntityTestKit {
  private EntityTestKit() {}

  /** For a test class's {@code @BeforeAll}; the test shuts it down in {@code @AfterAll}. */
  public static ActorTestKit actorTestKit() {
    Config app = ConfigFactory.parseResources("application.conf").resolve();
    Config serialization =
        app.withOnlyPath("pekko.actor.serializers").withFallback(app.withOnlyPath("pekko.actor.serialization-bindings"));
    return ActorTestKit.create(serialization.withFallback(EventSourcedBehaviorTestKit.config()));
  }

  /** {@code behavior} (an entity's {@code create}) on {@code testKit}'s system, every message checked for serialization. */
  public static <C, E, S> EventSourcedBehaviorTestKit<C, E, S> entity(ActorTestKit testKit, Behavior<C> behavior) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(), behavior, EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }
}
