package io.rendan.ws;

import io.rendan.appliance.ApplianceApi;
import io.rendan.auth.Caller;
import io.rendan.bidding.BiddingApi;
import io.rendan.emc.EmcApi;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import io.rendan.pubsub.LiveTopics;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection on {@code /v1/ws}. Requests are answered once each, at
 * most {@code maxInFlight} at a time (further frames wait in TCP, so a client
 * cannot pile up work). Responses and pushes each wait in a bounded buffer of
 * {@code outBuffer} frames: a client that does not read until one is full is
 * disconnected (it reconnects and resubscribes; sequence numbers tell it what it
 * missed) instead of making the server hold its backlog. The connection also ends when its token expires,
 * the way a stopping node ends it ({@link io.rendan.http.ConnectionDrain}): answers in flight go out, then 1000.
 *
 * <p>This class is the connection's stream and its outgoing queue; reading and
 * writing frames is {@link WsFrames}, what each request does {@link WsDispatch},
 * and the topics it watches {@link WsSubscriptions}.
 */
public final class WsSession {
  private static final Logger log = LoggerFactory.getLogger(WsSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  /** Limits of one connection, from {@code rendan.ws}. */
  public record Settings(
      io.rendan.http.Admission admission, int outBuffer, int maxInFlight, int maxSubscriptions, int maxMessageBytes) {}

  private final ActorSystem<?> system;
  private final Settings settings;
  private final WsMetrics metrics;
  private final Caller caller;
  private final long id = IDS.incrementAndGet();
  private final WsFrames frames;
  private final WsSubscriptions subscriptions;
  private final WsDispatch dispatch;

  /** The pushes' queue, once the connection's stream runs. */
  private volatile BoundedSourceQueue<org.apache.pekko.http.javadsl.model.ws.Message> out;
  private volatile Cancellable expiry;
  /** The drained connection this session runs in, if any: the token's expiry ends it as a drain would. */
  private io.rendan.http.ConnectionDrain.Connection connection;

  private WsSession(
      ActorSystem<?> system,
      MeApi meApi,
      EmcApi emcApi,
      BiddingApi biddingApi,
      ApplianceApi applianceApi,
      io.rendan.painpoint.PainPointApi painPointApi,
      io.rendan.charter.CharterApi charterApi,
      LiveTopics topics,
      Settings settings,
      WsMetrics metrics,
      Caller caller) {
    this.system = system;
    this.settings = settings;
    this.metrics = metrics;
    this.caller = caller;
    this.frames = new WsFrames(settings.maxMessageBytes());
    this.subscriptions = new WsSubscriptions(this, topics, settings.maxSubscriptions());
    this.dispatch =
        new WsDispatch(meApi, emcApi, biddingApi, applianceApi, painPointApi, charterApi, settings.admission(), caller, subscriptions);
  }

  /** A session's flow, ended through {@code connection} when the token expires (answers in flight go out first); null: ended at once. */
  public static Flow<org.apache.pekko.http.javadsl.model.ws.Message, org.apache.pekko.http.javadsl.model.ws.Message, NotUsed>
      flow(
          ActorSystem<?> system,
          MeApi meApi,
          EmcApi emcApi,
          BiddingApi biddingApi,
          ApplianceApi applianceApi,
          io.rendan.painpoint.PainPointApi painPointApi,
          io.rendan.charter.CharterApi charterApi,
          LiveTopics topics,
          Settings settings,
          WsMetrics metrics,
          Caller caller,
          io.rendan.http.ConnectionDrain.Connection connection) {
    WsSession session = new WsSession(system, meApi, emcApi, biddingApi, applianceApi, painPointApi, charterApi, topics, settings, metrics, caller);
    session.connection = connection;
    return session.start();
  }

  private Flow<org.apache.pekko.http.javadsl.model.ws.Message, org.apache.pekko.http.javadsl.model.ws.Message, NotUsed>
      start() {
    // Both the answers and the pushes' queue are stages of the connection's own
    // stream (Pekko HTTP runs a WebSocket handler fused with its connection): an
    // answer or a push reaches the socket without passing through another actor.
    Source<org.apache.pekko.http.javadsl.model.ws.Message, NotUsed> pushes =
        Source.<org.apache.pekko.http.javadsl.model.ws.Message>queue(settings.outBuffer())
            .mapMaterializedValue(
                queue -> {
                  opened(queue);
                  return NotUsed.getInstance();
                });
    log.debug("ws {} opened by {}", id, caller.subject());
    return Flow.<org.apache.pekko.http.javadsl.model.ws.Message>create()
        .map(frames::read)
        .mapAsyncUnordered(settings.maxInFlight(), dispatch::answer)
        .takeWhile(reply -> !closesConnection(reply), true)
        .map(reply -> WsFrames.encode(reply.first(), reply.second()))
        // answers the client does not read wait here; past the limit the connection fails
        .buffer(settings.outBuffer(), OverflowStrategy.fail())
        .merge(pushes, true)
        .watchTermination(
            (mat, done) -> {
              metrics.opened();
              done.whenComplete(
                  (ok, failure) -> {
                    if (failure instanceof BufferOverflowException) {
                      metrics.droppedBufferFull();
                      log.warn(
                          "ws {} of {}: {} answers not read, closing the connection", id, caller.subject(), settings.outBuffer());
                    }
                    log.debug("ws {} of {} closed", id, caller.subject());
                    Cancellable expiry = this.expiry;
                    if (expiry != null) {
                      expiry.cancel();
                    }
                    metrics.closed();
                    subscriptions.stopSubscriber();
                  });
              return mat;
            });
  }

  /** The connection's stream is running: pushes may be offered, and its token's expiry ends it. */
  private void opened(BoundedSourceQueue<org.apache.pekko.http.javadsl.model.ws.Message> queue) {
    out = queue;
    Duration untilExpiry = Duration.between(Instant.now(), caller.expiresAt());
    expiry =
        system
            .scheduler()
            .scheduleOnce(
                untilExpiry.isNegative() ? Duration.ZERO : untilExpiry,
                () -> {
                  log.info("ws {} of {}: token expired, closing", id, caller.subject());
                  if (connection != null) {
                    connection.end(); // reads no further request, answers those it read, closes with 1000
                  } else {
                    queue.complete();
                  }
                },
                system.executionContext());
  }

  // ---- outgoing -------------------------------------------------------------------------------

  /**
   * A message over the size limit is answered, then the connection is closed:
   * its sender does not follow the protocol. (The close status is 1000: Pekko
   * HTTP gives a server handler no way to send 1009.)
   */
  private boolean closesConnection(Pair<ServerFrame, Boolean> reply) {
    Response response = reply.first().getResponse();
    if (response.hasError() && response.getError().getCode().equals(ErrorCodes.REQUEST_TOO_LARGE)) {
      log.info("ws {} of {}: message over {} bytes, closing", id, caller.subject(), settings.maxMessageBytes());
      return true;
    }
    return false;
  }

  void offer(org.apache.pekko.http.javadsl.model.ws.Message message) {
    QueueOfferResult result = out.offer(message);
    if (result == QueueOfferResult.dropped()) {
      metrics.droppedBufferFull();
      log.warn("ws {} of {}: outgoing buffer of {} frames full, closing the connection", id, caller.subject(), settings.outBuffer());
      // fail, not complete: a close frame would wait behind the frames the client does not read
      out.fail(new SlowClientException(settings.outBuffer()));
    } else if (result != QueueOfferResult.enqueued()) {
      metrics.droppedClosed();
    }
  }

  /** Ends a connection whose client stopped reading; no stack trace, it is not a bug. */
  static final class SlowClientException extends RuntimeException {
    SlowClientException(int frames) {
      super("client too slow: " + frames + " outgoing frames queued", null, false, false);
    }
  }
}
