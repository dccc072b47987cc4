package io.rendan.pubsub;

import io.rendan.protocol.api.v1.Push;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

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
 * <p>{@link #publish(String, Supplier)} builds a push only when someone may
 * receive it: a subscriber on this node, or a node that registered one (each
 * node registers its relay with the receptionist under {@code
 * live-watch:{topic}} while it has subscribers, and every node follows the
 * listing of the topics it publishes to). An appliance's reading changes it,
 * and nobody watches most appliances: building the whole appliance and telling
 * the topic actor, which dropped it as a dead letter, was per reading.
 *
 * <p>Known limit: topic and relay actors are not stopped when their last
 * subscriber leaves, so a node holds two small actors and a receptionist
 * subscription per topic it has ever seen.
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

  private static final String WATCH_KEY_PREFIX = "live-watch:";

  private final ActorSystem<?> system;
  private final ConcurrentHashMap<String, Local> topics = new ConcurrentHashMap<>();
  /** Follows who watches the topics this node knows (the receptionist's listings of their watch keys). */
  private final ActorRef<Receptionist.Listing> watchListings;

  /** A topic as this node sees it: the topic actor, the relay and the node's subscribers. */
  private static final class Local {
    final ActorRef<Topic.Command<Push>> topic;
    final ActorRef<Push> relay;
    final Set<Subscriber> subscribers;
    final ServiceKey<Push> watchKey;
    /** Some node (this one included) has registered a subscriber, as far as this node has heard. */
    volatile boolean watchedAnywhere;

    Local(ActorRef<Topic.Command<Push>> topic, ActorRef<Push> relay, Set<Subscriber> subscribers, ServiceKey<Push> watchKey) {
      this.topic = topic;
      this.relay = relay;
      this.subscribers = subscribers;
      this.watchKey = watchKey;
    }
  }

  public LiveTopics(ActorSystem<?> system) {
    this.system = system;
    this.watchListings = system.systemActorOf(watchListings(), "live-topic-watches", Props.empty());
  }

  private Behavior<Receptionist.Listing> watchListings() {
    return Behaviors.receive(Receptionist.Listing.class)
        .onMessage(
            Receptionist.Listing.class,
            listing -> {
              Local local = topics.get(listing.getKey().id().substring(WATCH_KEY_PREFIX.length()));
              if (local != null) {
                local.watchedAnywhere = !listing.getServiceInstances(local.watchKey).isEmpty();
              }
              return Behaviors.same();
            })
        .build();
  }

  private Local local(String name) {
    Local known = topics.get(name);
    if (known != null) {
      return known;
    }
    boolean[] created = {false};
    Local local =
        topics.computeIfAbsent(
            name,
            n -> {
              created[0] = true;
              String actorName = URLEncoder.encode(n, StandardCharsets.UTF_8);
              Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
              return new Local(
                  system.systemActorOf(Topic.create(Push.class, n), "topic-" + actorName, Props.empty()),
                  system.systemActorOf(relay(subscribers), "relay-" + actorName, Props.empty()),
                  subscribers,
                  ServiceKey.create(Push.class, WATCH_KEY_PREFIX + n));
            });
    if (created[0]) {
      // only once the topic is in the map: the listener looks it up there, and the first
      // listing (who watches it already) must not go unseen
      system.receptionist().tell(Receptionist.subscribe(local.watchKey, watchListings));
    }
    return local;
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

  /**
   * Publishes what {@code push} makes, if anyone may receive it; otherwise does
   * not make it. A subscriber on this node counts at once (a session subscribes
   * before it reads the version it continues from); one on another node once
   * the receptionist's listing has reached this node, which is also when this
   * node's topic actor starts to send it pushes.
   */
  public void publish(String topic, Supplier<Push> push) {
    Local local = local(topic);
    if (local.watchedAnywhere || !local.subscribers.isEmpty()) {
      local.topic.tell(Topic.publish(push.get()));
    }
  }

  /** Whether a push to {@code topic} may reach anyone now (see {@link #publish(String, Supplier)}). */
  public boolean watched(String topic) {
    Local local = local(topic);
    return local.watchedAnywhere || !local.subscribers.isEmpty();
  }

  /** From now on, {@code subscriber} receives the topic's pushes (once, however often it subscribes). */
  public void subscribe(String name, Subscriber subscriber) {
    Local local = local(name);
    synchronized (local) {
      if (local.subscribers.isEmpty()) {
        local.topic.tell(Topic.subscribe(local.relay));
        system.receptionist().tell(Receptionist.register(local.watchKey, local.relay));
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
        system.receptionist().tell(Receptionist.deregister(local.watchKey, local.relay));
      }
    }
  }
}
