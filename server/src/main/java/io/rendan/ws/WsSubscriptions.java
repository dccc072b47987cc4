package io.rendan.ws;

import io.rendan.http.ApiException;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribed;
import io.rendan.protocol.api.v1.Unsubscribed;
import io.rendan.pubsub.LiveTopics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The topics one connection is subscribed to: subscribing and unsubscribing (in the
 * order the client sent them, per topic), and each push of a subscribed topic handed
 * to the connection's outgoing queue as a frame in the encoding of the subscription.
 * One per connection, made with its {@link WsSession}.
 */
final class WsSubscriptions {
  /** Pushes are encoded once per node (the frames are immutable, so one table serves every node in a JVM). */
  private static final PushFrames PUSH_FRAMES = new PushFrames();

  private final WsSession session;
  private final LiveTopics topics;
  private final int maxSubscriptions;
  /** Topic → whether its pushes go out as binary (protobuf) frames. */
  private final Map<String, Boolean> subscriptions = new ConcurrentHashMap<>();
  /** Hands this connection's pushes to its queue (called on the topics' relays, see LiveTopics). */
  private final LiveTopics.Subscriber subscriber = this::pushed;

  /** Per topic, the last subscribe/unsubscribe in progress: they take effect in the order sent. */
  private final Map<String, CompletableFuture<Void>> topicOps = new ConcurrentHashMap<>();

  WsSubscriptions(WsSession session, LiveTopics topics, int maxSubscriptions) {
    this.session = session;
    this.topics = topics;
    this.maxSubscriptions = maxSubscriptions;
  }

  CompletionStage<Response.Builder> subscribe(String topic, boolean binary, Supplier<CompletionStage<Long>> authorize) {
    if (!subscriptions.containsKey(topic) && subscriptions.size() >= maxSubscriptions) {
      throw new ApiException(
          WsCodes.TOO_MANY_SUBSCRIPTIONS, "at most " + maxSubscriptions + " subscriptions");
    }
    return inOrder(
        topic,
        () ->
            authorize
                .get()
                .thenCompose(
                    allowed -> {
                      if (subscriptions.put(topic, binary) == null) {
                        topics.subscribe(topic, subscriber);
                      }
                      // Read the version only once subscribed: every later change is pushed,
                      // and pushes with seq <= this one are already in what the client reads.
                      return authorize.get();
                    })
                .thenApply(
                    version ->
                        Response.newBuilder().setSubscribed(Subscribed.newBuilder().setTopic(topic).setSeq(version))));
  }

  CompletionStage<Response.Builder> unsubscribe(String topic) {
    return inOrder(
        topic,
        () -> {
          if (subscriptions.remove(topic) != null) {
            topics.unsubscribe(topic, subscriber);
          }
          return CompletableFuture.completedFuture(
              Response.newBuilder().setUnsubscribed(Unsubscribed.newBuilder().setTopic(topic)));
        });
  }

  /**
   * Runs subscription changes of one topic one after the other, in the order the
   * client sent them, although requests are otherwise answered as they finish.
   */
  private <T> CompletionStage<T> inOrder(String topic, Supplier<CompletionStage<T>> change) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<Void> done =
        topicOps.compute(
            topic,
            (t, previous) ->
                (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                    .thenCompose(ignored -> change.get())
                    .whenComplete((value, failure) -> complete(result, value, failure))
                    .handle((value, failure) -> null));
    // forget the topic's chain once it has run, unless a newer change joined it
    done.whenComplete((ignored, failure) -> topicOps.remove(topic, done));
    return result;
  }

  private static <T> void complete(CompletableFuture<T> target, T value, Throwable failure) {
    if (failure != null) {
      target.completeExceptionally(failure);
    } else {
      target.complete(value);
    }
  }

  private void pushed(Push push) {
    Boolean binary = subscriptions.get(push.getTopic());
    if (binary != null) {
      session.offer(PUSH_FRAMES.frame(push, binary));
    }
  }

  void stopSubscriber() {
    subscriptions.keySet().forEach(topic -> topics.unsubscribe(topic, subscriber));
  }
}
