package io.rendan.pubsub;

import io.rendan.protocol.api.v1.Push;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Cluster-wide publish–subscribe of live updates. One Pekko {@link Topic} actor per
 * topic name and node, created on first use; topic actors of the same name on
 * different nodes find each other through the receptionist, so a subscriber on
 * one node sees what an entity on another publishes.
 *
 * <p>Known limit: topic actors are not stopped when their last subscriber leaves,
 * so a node holds one small actor per topic it has ever seen.
 */
public final class LiveTopics {
  private final ActorSystem<?> system;
  private final ConcurrentHashMap<String, ActorRef<Topic.Command<Push>>> topics = new ConcurrentHashMap<>();

  public LiveTopics(ActorSystem<?> system) {
    this.system = system;
  }

  public ActorRef<Topic.Command<Push>> topic(String name) {
    return topics.computeIfAbsent(
        name,
        n ->
            system.systemActorOf(
                Topic.create(Push.class, n), "topic-" + URLEncoder.encode(n, StandardCharsets.UTF_8), Props.empty()));
  }

  public void publish(Push push) {
    topic(push.getTopic()).tell(Topic.publish(push));
  }

  public void subscribe(String name, ActorRef<Push> subscriber) {
    topic(name).tell(Topic.subscribe(subscriber));
  }

  public void unsubscribe(String name, ActorRef<Push> subscriber) {
    topic(name).tell(Topic.unsubscribe(subscriber));
  }
}
