package io.rendan.pubsub;

import io.rendan.protocol.api.v1.Push;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Cluster-wide publish–subscribe of live updates. One Pekko {@link Topic} actor per
 * topic name and node, created on first use; topic actors of the same name on
 * different nodes find each other through the receptionist, so a subscriber on
 * one node sees what an entity on another publishes.
 *
 * <p>A node's subscribers of a topic are not actors: the topic delivers a push
 * once per node, to a relay actor, which hands it to every local
 * {@link Subscriber} in turn. A push to 5 000 connections of one node is one
 * actor message and 5 000 calls, not 5 000 actor messages (each a mailbox, often
 * a thread woken) before the connections' own. The relay is subscribed to the
 * topic while the node has at least one subscriber of it.
 *
 * <p>Known limit: topic and relay actors are not stopped when their last
 * subscriber leaves, so a node holds two small actors per topic it has ever seen.
 */
public final class LiveTopics {
  /**
   * Receives the pushes of the topics it subscribed to, on the relay's thread,
   * one topic's pushes in order: it must hand them on without blocking.
   */
  @FunctionalInterface
  public interface Subscriber {
    void push(Push push);
  }

  private final ActorSystem<?> system;
  private final ConcurrentHashMap<String, Local> topics = new ConcurrentHashMap<>();

  /** A topic as this node sees it: the topic actor, the relay and the node's subscribers. */
  private static final class Local {
    final ActorRef<Topic.Command<Push>> topic;
    final ActorRef<Push> relay;
    final Set<Subscriber> subscribers;

    Local(ActorRef<Topic.Command<Push>> topic, ActorRef<Push> relay, Set<Subscriber> subscribers) {
      this.topic = topic;
      this.relay = relay;
      this.subscribers = subscribers;
    }
  }

  public LiveTopics(ActorSystem<?> system) {
    this.system = system;
  }

  private Local local(String name) {
    return topics.computeIfAbsent(
        name,
        n -> {
          String actorName = URLEncoder.encode(n, StandardCharsets.UTF_8);
          Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
          return new Local(
              system.systemActorOf(Topic.create(Push.class, n), "topic-" + actorName, Props.empty()),
              system.systemActorOf(relay(subscribers), "relay-" + actorName, Props.empty()),
              subscribers);
        });
  }

  private static Behavior<Push> relay(Set<Subscriber> subscribers) {
    return Behaviors.receive(Push.class)
        .onMessage(
            Push.class,
            push -> {
              for (Subscriber subscriber : subscribers) {
                subscriber.push(push);
              }
              return Behaviors.same();
            })
        .build();
  }

  public void publish(Push push) {
    local(push.getTopic()).topic.tell(Topic.publish(push));
  }

  /** From now on, {@code subscriber} receives the topic's pushes (once, however often it subscribes). */
  public void subscribe(String name, Subscriber subscriber) {
    Local local = local(name);
    synchronized (local) {
      if (local.subscribers.isEmpty()) {
        local.topic.tell(Topic.subscribe(local.relay));
      }
      local.subscribers.add(subscriber);
    }
  }

  public void unsubscribe(String name, Subscriber subscriber) {
    Local local = topics.get(name);
    if (local == null) {
      return;
    }
    synchronized (local) {
      if (local.subscribers.remove(subscriber) && local.subscribers.isEmpty()) {
        local.topic.tell(Topic.unsubscribe(local.relay));
      }
    }
  }
}
