package io.rendan.ws;

import com.google.protobuf.Message;
import io.rendan.appliance.ApplianceApi;
import io.rendan.auth.Caller;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.http.StrictInput;
import io.rendan.bidding.BiddingApi;
import io.rendan.emc.EmcApi;
import io.rendan.me.MeApi;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.ServerFrame;
import io.rendan.protocol.api.v1.Subscribed;
import io.rendan.protocol.api.v1.Unsubscribed;
import io.rendan.pubsub.LiveTopics;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection on {@code /v1/ws}. Requests are answered once each, at
 * most {@code maxInFlight} at a time (further frames wait in TCP, so a client
 * cannot pile up work). Responses and pushes each wait in a bounded buffer of
 * {@code outBuffer} frames: a client that does not read until one is full is
 * disconnected (it reconnects and resubscribes; sequence numbers tell it what it
 * missed) instead of making the server hold its backlog. The connection also ends when its token expires.
 */
public final class WsSession {
  private static final Logger log = LoggerFactory.getLogger(WsSession.class);
  private static final AtomicLong IDS = new AtomicLong();
  /** Pushes are encoded once per node (the frames are immutable, so one table serves every node in a JVM). */
  private static final PushFrames PUSH_FRAMES = new PushFrames();

  /** Limits of one connection, from {@code rendan.ws}. */
  public record Settings(
      io.rendan.http.Admission admission, int outBuffer, int maxInFlight, int maxSubscriptions, int maxMessageBytes) {}

  private final ActorSystem<?> system;
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final BiddingApi biddingApi;
  private final ApplianceApi applianceApi;
  private final io.rendan.painpoint.PainPointApi painPointApi;
  private final io.rendan.charter.CharterApi charterApi;
  private final LiveTopics topics;
  private final Settings settings;
  private final WsMetrics metrics;
  private final Caller caller;
  private final long id = IDS.incrementAndGet();
  /** Topic → whether its pushes go out as binary (protobuf) frames. */
  private final Map<String, Boolean> subscriptions = new ConcurrentHashMap<>();

  /** The pushes' queue, once the connection's stream runs. */
  private volatile BoundedSourceQueue<org.apache.pekko.http.javadsl.model.ws.Message> out;
  private volatile Cancellable expiry;
  /** Hands this connection's pushes to its queue (called on the topics' relays, see LiveTopics). */
  private final LiveTopics.Subscriber subscriber = this::pushed;

  /** Per topic, the last subscribe/unsubscribe in progress: they take effect in the order sent. */
  private final Map<String, CompletableFuture<Void>> topicOps = new ConcurrentHashMap<>();

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
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.biddingApi = biddingApi;
    this.applianceApi = applianceApi;
    this.painPointApi = painPointApi;
    this.charterApi = charterApi;
    this.topics = topics;
    this.settings = settings;
    this.metrics = metrics;
    this.caller = caller;
  }

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
          Caller caller) {
    return new WsSession(system, meApi, emcApi, biddingApi, applianceApi, painPointApi, charterApi, topics, settings, metrics, caller).start();
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
        .mapAsync(1, this::readFrame)
        .mapAsyncUnordered(settings.maxInFlight(), this::answer)
        .takeWhile(reply -> !closesConnection(reply), true)
        .map(reply -> encode(reply.first(), reply.second()))
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
                    stopSubscriber();
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
                  queue.complete();
                },
                system.executionContext());
  }

  // ---- incoming -------------------------------------------------------------------------------

  /** A frame read whole (up to the size limit), with the encoding it came in. */
  private record Incoming(ClientFrame frame, boolean binary, ApiException error) {}

  private CompletionStage<Incoming> readFrame(org.apache.pekko.http.javadsl.model.ws.Message message) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      CompletionStage<Bounded<StringBuilder>> body =
          text.isStrict()
              ? CompletableFuture.completedFuture(Bounded.of(new StringBuilder(), text.getStrictText(), settings.maxMessageBytes()))
              : text.getStreamedText()
                  .runFold(
                      new Bounded<>(new StringBuilder(), 0, false),
                      (acc, chunk) -> acc.append(chunk, settings.maxMessageBytes()),
                      system);
      return body.thenApply(b -> parse(b, false));
    }
    BinaryMessage binary = message.asBinaryMessage();
    CompletionStage<Bounded<ByteString>> body =
        binary.isStrict()
            ? CompletableFuture.completedFuture(Bounded.of(binary.getStrictData(), settings.maxMessageBytes()))
            : binary
                .getStreamedData()
                .runFold(
                    new Bounded<>(ByteString.emptyByteString(), 0, false),
                    (acc, chunk) -> acc.appendBytes(chunk, settings.maxMessageBytes()),
                    system);
    return body.thenApply(b -> parse(b, true));
  }

  /** Accumulates a message but stops keeping it past the limit (the rest is drained). */
  private record Bounded<T>(T value, long size, boolean overflow) {
    static Bounded<StringBuilder> of(StringBuilder sb, String text, int limit) {
      return new Bounded<>(sb, 0, false).append(text, limit);
    }

    static Bounded<ByteString> of(ByteString data, int limit) {
      return new Bounded<>(data, data.size(), data.size() > limit);
    }

    @SuppressWarnings("unchecked")
    Bounded<T> append(String chunk, int limit) {
      long newSize = size + chunk.length();
      if (overflow || newSize > limit) {
        return new Bounded<>(value, newSize, true);
      }
      ((StringBuilder) value).append(chunk);
      return new Bounded<>(value, newSize, false);
    }

    @SuppressWarnings("unchecked")
    Bounded<T> appendBytes(ByteString chunk, int limit) {
      long newSize = size + chunk.size();
      if (overflow || newSize > limit) {
        return new Bounded<>(value, newSize, true);
      }
      return new Bounded<>((T) ((ByteString) value).concat(chunk), newSize, false);
    }
  }

  private Incoming parse(Bounded<?> body, boolean binary) {
    if (body.overflow()) {
      return new Incoming(
          null,
          binary,
          new ApiException(
              ErrorCodes.REQUEST_TOO_LARGE, "a message may be at most " + settings.maxMessageBytes() + " bytes"));
    }
    try {
      return new Incoming(decode(binary ? ((ByteString) body.value()).toArray() : body.value().toString()), binary, null);
    } catch (ApiException e) {
      return new Incoming(null, binary, e);
    }
  }

  /** A client frame from a binary (protobuf bytes) or text (JSON string) message; {@code request:malformed} otherwise. */
  static ClientFrame decode(Object message) {
    try {
      ClientFrame.Builder frame = ClientFrame.newBuilder();
      if (message instanceof byte[] bytes) {
        StrictInput.mergeProtobuf(bytes, frame);
      } else {
        StrictInput.mergeJson((String) message, frame);
      }
      return frame.build();
    } catch (RuntimeException e) {
      throw new ApiException(ErrorCodes.REQUEST_MALFORMED, "malformed frame");
    }
  }

  private CompletionStage<Pair<ServerFrame, Boolean>> answer(Incoming incoming) {
    if (incoming.error() != null) {
      return CompletableFuture.completedFuture(Pair.create(error("", incoming.error()), incoming.binary()));
    }
    ClientFrame frame = incoming.frame();
    String requestId = frame.getRequestId();
    CompletionStage<Response.Builder> result;
    try {
      if (requestId.isEmpty()) {
        throw new ApiException(WsCodes.REQUEST_ID_MISSING, "every request needs a requestId");
      }
      result = changes(frame) ? settings.admission().admit(() -> dispatch(frame, incoming.binary())) : dispatch(frame, incoming.binary());
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result
        .thenApply(r -> ServerFrame.newBuilder().setResponse(r.setRequestId(requestId)).build())
        .exceptionally(failure -> error(requestId, ErrorCodes.fromThrowable(failure)))
        .thenApply(reply -> Pair.create(reply, incoming.binary()));
  }

  /** Requests that change something count against the node's admission control; reads and subscriptions do not. */
  private static boolean changes(ClientFrame frame) {
    return switch (frame.getBodyCase()) {
      case SUBSCRIBE, UNSUBSCRIBE, GET_ME, GET_EMC, GET_ROUND, LIST_ROUNDS, GET_APPLIANCE, GET_PROSPECTUS, GET_PAIN_POINT, LIST_PAIN_POINTS, GET_CHARTER,
          GET_EMC_CHARTER -> false;
      default -> true;
    };
  }

  private CompletionStage<Response.Builder> dispatch(ClientFrame frame, boolean binary) {
    return switch (frame.getBodyCase()) {
      case SUBSCRIBE -> subscribe(frame.getSubscribe().getTopic(), binary);
      case UNSUBSCRIBE -> unsubscribe(frame.getUnsubscribe().getTopic());
      case REGISTER_ME -> meApi.register(caller, frame.getRegisterMe()).thenApply(r -> me(r.me()));
      case GET_ME -> meApi.get(caller, frame.getGetMe().getMeId()).thenApply(WsSession::me);
      case CHANGE_CAPABILITIES -> meApi.changeCapabilities(caller, frame.getChangeCapabilities()).thenApply(WsSession::me);
      case ADD_OPERATOR -> meApi.addOperator(caller, frame.getAddOperator()).thenApply(WsSession::me);
      case REMOVE_OPERATOR -> meApi.removeOperator(caller, frame.getRemoveOperator()).thenApply(WsSession::me);
      case START_EMC -> emcApi.start(caller, frame.getStartEmc()).thenApply(r -> emc(r.emc()));
      case GET_EMC -> emcApi.get(caller, frame.getGetEmc().getEmcId()).thenApply(WsSession::emc);
      case INVITE_MEMBER ->
          emcApi.invite(caller, frame.getInviteMember()).thenApply(i -> Response.newBuilder().setInvitation(i));
      case ACCEPT_INVITATION -> emcApi.acceptInvitation(caller, frame.getAcceptInvitation()).thenApply(WsSession::emc);
      case DECLINE_INVITATION -> emcApi.declineInvitation(caller, frame.getDeclineInvitation()).thenApply(WsSession::emc);
      case REMOVE_MEMBER -> emcApi.removeMember(caller, frame.getRemoveMember()).thenApply(WsSession::emc);
      case PROPOSE_TERMS -> emcApi.proposeTerms(caller, frame.getProposeTerms()).thenApply(WsSession::emc);
      case ACCEPT_TERMS -> emcApi.acceptTerms(caller, frame.getAcceptTerms()).thenApply(WsSession::emc);
      case DISSOLVE_EMC -> emcApi.dissolve(caller, frame.getDissolveEmc()).thenApply(WsSession::emc);
      case TRANSFER_OWNERSHIP -> emcApi.transferOwnership(caller, frame.getTransferOwnership()).thenApply(WsSession::emc);
      case PLEDGE_HELP -> emcApi.help().pledge(caller, frame.getPledgeHelp()).thenApply(p -> emc(p.emc()));
      case ANSWER_PLEDGE -> emcApi.help().answer(caller, frame.getAnswerPledge()).thenApply(WsSession::emc);
      case DELIVER_HELP -> emcApi.help().deliver(caller, frame.getDeliverHelp()).thenApply(WsSession::emc);
      case AGREE_TO_LEAVE -> emcApi.help().agreeToLeave(caller, frame.getAgreeToLeave()).thenApply(WsSession::emc);
      case POST_CALL -> biddingApi.postCall(caller, frame.getPostCall()).thenApply(WsSession::round);
      case GET_ROUND -> biddingApi.get(caller, frame.getGetRound()).thenApply(WsSession::round);
      case LIST_ROUNDS -> biddingApi.list(caller, frame.getListRounds()).thenApply(r -> Response.newBuilder().setRounds(r));
      case PLACE_BID -> biddingApi.placeBid(caller, frame.getPlaceBid()).thenApply(WsSession::round);
      case WITHDRAW_BID -> biddingApi.withdrawBid(caller, frame.getWithdrawBid()).thenApply(WsSession::round);
      case AWARD_BID -> biddingApi.awardBid(caller, frame.getAwardBid()).thenApply(WsSession::round);
      case CANCEL_ROUND -> biddingApi.cancel(caller, frame.getCancelRound()).thenApply(WsSession::round);
      case GET_PROSPECTUS ->
          biddingApi.prospectus(caller, frame.getGetProspectus()).thenApply(p -> Response.newBuilder().setProspectus(p));
      // appliances
      case PROVISION_APPLIANCE ->
          applianceApi
              .provision(caller, frame.getProvisionAppliance())
              .thenApply(p -> Response.newBuilder().setProvisionedAppliance(p.answer()));
      case GET_APPLIANCE ->
          applianceApi.get(caller, frame.getGetAppliance().getApplianceId()).thenApply(a -> Response.newBuilder().setAppliance(a));
      case ROTATE_DEVICE_SECRET ->
          applianceApi.rotateSecret(caller, frame.getRotateDeviceSecret()).thenApply(s -> Response.newBuilder().setDeviceSecret(s));
      case BOOK_RESERVATION ->
          applianceApi.book(caller, frame.getBookReservation()).thenApply(b -> Response.newBuilder().setReservation(b.reservation()));
      case CANCEL_RESERVATION ->
          applianceApi.cancel(caller, frame.getCancelReservation()).thenApply(r -> Response.newBuilder().setReservation(r));
      case LIST_APPLIANCES ->
          applianceApi.list(caller, frame.getListAppliances()).thenApply(l -> Response.newBuilder().setAppliances(l));
      case POST_PAIN_POINT -> painPointApi.post(caller, frame.getPostPainPoint()).thenApply(p -> Response.newBuilder().setPainPoint(p));
      case VOTE_PAIN_POINT -> painPointApi.vote(caller, frame.getVotePainPoint()).thenApply(p -> Response.newBuilder().setPainPoint(p));
      case TRIAGE_PAIN_POINT -> painPointApi.triage(caller, frame.getTriagePainPoint()).thenApply(p -> Response.newBuilder().setPainPoint(p));
      case GET_PAIN_POINT -> painPointApi.get(caller, frame.getGetPainPoint()).thenApply(p -> Response.newBuilder().setPainPoint(p));
      case OPEN_PAIN_POINT_CALL ->
          painPointApi.openCall(caller, frame.getOpenPainPointCall()).thenApply(p -> Response.newBuilder().setPainPoint(p));
      case LIST_PAIN_POINTS -> painPointApi.list(caller, frame.getListPainPoints()).thenApply(l -> Response.newBuilder().setPainPoints(l));
      // the charter: the same checks as over HTTP (CharterApi: only admins set it, only the owner adopts)
      case GET_CHARTER -> charterApi.get().thenApply(c -> Response.newBuilder().setCharter(c));
      case SET_CHARTER -> charterApi.set(caller, frame.getSetCharter()).thenApply(c -> Response.newBuilder().setCharter(c));
      case GET_EMC_CHARTER ->
          charterApi.emcCharter(caller, frame.getGetEmcCharter().getEmcId()).thenApply(c -> Response.newBuilder().setEmcCharter(c));
      case ADOPT_EMC_CHARTER -> charterApi.adopt(caller, frame.getAdoptEmcCharter()).thenApply(c -> Response.newBuilder().setEmcCharter(c));
      case BODY_NOT_SET -> throw new ApiException(ErrorCodes.REQUEST_INVALID, "the frame names no request");
    };
  }

  private static Response.Builder me(Me me) {
    return Response.newBuilder().setMe(me);
  }

  private static Response.Builder emc(Emc emc) {
    return Response.newBuilder().setEmc(emc);
  }

  private static Response.Builder round(Round round) {
    return Response.newBuilder().setRound(round);
  }

  // ---- subscriptions --------------------------------------------------------------------------

  private CompletionStage<Response.Builder> subscribe(String topic, boolean binary) {
    Supplier<CompletionStage<Long>> authorize = watchCheck(topic);
    if (!subscriptions.containsKey(topic) && subscriptions.size() >= settings.maxSubscriptions()) {
      throw new ApiException(
          WsCodes.TOO_MANY_SUBSCRIPTIONS, "at most " + settings.maxSubscriptions() + " subscriptions");
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

  /** Who may watch a topic: the entity behind it decides, and answers its version. */
  private Supplier<CompletionStage<Long>> watchCheck(String topic) {
    if (topic.startsWith(MeApi.TOPIC_PREFIX)) {
      String meId = topic.substring(MeApi.TOPIC_PREFIX.length());
      return () -> meApi.authorizeWatch(caller, meId);
    }
    if (topic.startsWith(EmcApi.TOPIC_PREFIX)) {
      String emcId = topic.substring(EmcApi.TOPIC_PREFIX.length());
      return () -> emcApi.authorizeWatch(caller, emcId);
    }
    if (topic.startsWith(BiddingApi.TOPIC_PREFIX)) {
      String roundId = topic.substring(BiddingApi.TOPIC_PREFIX.length());
      return () -> biddingApi.authorizeWatch(caller, roundId);
    }
    if (topic.startsWith(io.rendan.painpoint.PainPointApi.TOPIC_PREFIX)) {
      String emcId = topic.substring(io.rendan.painpoint.PainPointApi.TOPIC_PREFIX.length());
      return () -> painPointApi.authorizeWatch(caller, emcId);
    }
    if (topic.startsWith(ApplianceApi.TOPIC_PREFIX)) {
      String applianceId = topic.substring(ApplianceApi.TOPIC_PREFIX.length());
      return () -> applianceApi.authorizeWatch(caller, applianceId);
    }
    throw new ApiException(
        WsCodes.TOPIC_UNKNOWN, "unknown topic; known: me/{meId}, emc/{emcId}, round/{roundId}, appliance/{applianceId}, painpoints/{emcId}");
  }

  private CompletionStage<Response.Builder> unsubscribe(String topic) {
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
      offer(PUSH_FRAMES.frame(push, binary));
    }
  }

  private void stopSubscriber() {
    subscriptions.keySet().forEach(topic -> topics.unsubscribe(topic, subscriber));
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

  private void offer(org.apache.pekko.http.javadsl.model.ws.Message message) {
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

  private static org.apache.pekko.http.javadsl.model.ws.Message encode(Message frame, boolean binary) {
    return binary
        ? BinaryMessage.create(ByteString.fromArrayUnsafe(frame.toByteArray()))
        : TextMessage.create(HttpCodec.toJson(frame));
  }

  /** Ends a connection whose client stopped reading; no stack trace, it is not a bug. */
  static final class SlowClientException extends RuntimeException {
    SlowClientException(int frames) {
      super("client too slow: " + frames + " outgoing frames queued", null, false, false);
    }
  }

  private static ServerFrame error(String requestId, ApiException e) {
    return ServerFrame.newBuilder()
        .setResponse(Response.newBuilder().setRequestId(requestId).setError(ErrorCodes.toError(e)))
        .build();
  }
}
