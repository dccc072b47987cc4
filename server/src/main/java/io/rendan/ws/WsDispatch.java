package io.rendan.ws;

import io.rendan.appliance.ApplianceApi;
import io.rendan.auth.Caller;
import io.rendan.bidding.BiddingApi;
import io.rendan.emc.EmcApi;
import io.rendan.http.Admission;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeApi;
import io.rendan.painpoint.PainPointApi;
import io.rendan.charter.CharterApi;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Round;
import io.rendan.protocol.api.v1.ServerFrame;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.japi.Pair;

/**
 * What a connection's requests do: each client frame is one request, answered once
 * with its {@code requestId}, handed to the aggregate API that serves it (the same
 * {@code *Api} as HTTP), writes through the node's admission control. Which topics
 * exist and who may watch them is decided here too; the subscriptions themselves are
 * the connection's {@link WsSubscriptions}. One per connection.
 */
final class WsDispatch {
  private final MeApi meApi;
  private final EmcApi emcApi;
  private final BiddingApi biddingApi;
  private final ApplianceApi applianceApi;
  private final PainPointApi painPointApi;
  private final CharterApi charterApi;
  private final Admission admission;
  private final Caller caller;
  private final WsSubscriptions subscriptions;

  WsDispatch(
      MeApi meApi,
      EmcApi emcApi,
      BiddingApi biddingApi,
      ApplianceApi applianceApi,
      PainPointApi painPointApi,
      CharterApi charterApi,
      Admission admission,
      Caller caller,
      WsSubscriptions subscriptions) {
    this.meApi = meApi;
    this.emcApi = emcApi;
    this.biddingApi = biddingApi;
    this.applianceApi = applianceApi;
    this.painPointApi = painPointApi;
    this.charterApi = charterApi;
    this.admission = admission;
    this.caller = caller;
    this.subscriptions = subscriptions;
  }

  CompletionStage<Pair<ServerFrame, Boolean>> answer(WsFrames.Incoming incoming) {
    if (incoming.error() != null) {
      return CompletableFuture.completedFuture(Pair.create(WsFrames.error("", incoming.error()), incoming.binary()));
    }
    ClientFrame frame = incoming.frame();
    String requestId = frame.getRequestId();
    CompletionStage<Response.Builder> result;
    try {
      if (requestId.isEmpty()) {
        throw new ApiException(WsCodes.REQUEST_ID_MISSING, "every request needs a requestId");
      }
      result = changes(frame) ? admission.admit(() -> dispatch(frame, incoming.binary())) : dispatch(frame, incoming.binary());
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result
        .thenApply(r -> ServerFrame.newBuilder().setResponse(r.setRequestId(requestId)).build())
        .exceptionally(failure -> WsFrames.error(requestId, ErrorCodes.fromThrowable(failure)))
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
      case UNSUBSCRIBE -> subscriptions.unsubscribe(frame.getUnsubscribe().getTopic());
      case REGISTER_ME -> meApi.register(caller, frame.getRegisterMe()).thenApply(r -> me(r.me()));
      case GET_ME -> meApi.get(caller, frame.getGetMe().getMeId()).thenApply(WsDispatch::me);
      case CHANGE_CAPABILITIES -> meApi.changeCapabilities(caller, frame.getChangeCapabilities()).thenApply(WsDispatch::me);
      case ADD_OPERATOR -> meApi.addOperator(caller, frame.getAddOperator()).thenApply(WsDispatch::me);
      case REMOVE_OPERATOR -> meApi.removeOperator(caller, frame.getRemoveOperator()).thenApply(WsDispatch::me);
      case START_EMC -> emcApi.start(caller, frame.getStartEmc()).thenApply(r -> emc(r.emc()));
      case GET_EMC -> emcApi.get(caller, frame.getGetEmc().getEmcId()).thenApply(WsDispatch::emc);
      case INVITE_MEMBER ->
          emcApi.invite(caller, frame.getInviteMember()).thenApply(i -> Response.newBuilder().setInvitation(i));
      case ACCEPT_INVITATION -> emcApi.acceptInvitation(caller, frame.getAcceptInvitation()).thenApply(WsDispatch::emc);
      case DECLINE_INVITATION -> emcApi.declineInvitation(caller, frame.getDeclineInvitation()).thenApply(WsDispatch::emc);
      case REMOVE_MEMBER -> emcApi.removeMember(caller, frame.getRemoveMember()).thenApply(WsDispatch::emc);
      case CANCEL_REMOVAL ->
          emcApi.cancelRemoval(caller, frame.getCancelRemoval().getEmcId(), frame.getCancelRemoval().getMeId()).thenApply(WsDispatch::emc);
      case PROPOSE_TERMS -> emcApi.proposeTerms(caller, frame.getProposeTerms()).thenApply(WsDispatch::emc);
      case ACCEPT_TERMS -> emcApi.acceptTerms(caller, frame.getAcceptTerms()).thenApply(WsDispatch::emc);
      case DISSOLVE_EMC -> emcApi.dissolve(caller, frame.getDissolveEmc()).thenApply(WsDispatch::emc);
      case TRANSFER_OWNERSHIP -> emcApi.transferOwnership(caller, frame.getTransferOwnership()).thenApply(WsDispatch::emc);
      case PLEDGE_HELP -> emcApi.help().pledge(caller, frame.getPledgeHelp()).thenApply(p -> emc(p.emc()));
      case ANSWER_PLEDGE -> emcApi.help().answer(caller, frame.getAnswerPledge()).thenApply(WsDispatch::emc);
      case DELIVER_HELP -> emcApi.help().deliver(caller, frame.getDeliverHelp()).thenApply(WsDispatch::emc);
      case AGREE_TO_LEAVE -> emcApi.help().agreeToLeave(caller, frame.getAgreeToLeave()).thenApply(WsDispatch::emc);
      case POST_CALL -> biddingApi.postCall(caller, frame.getPostCall()).thenApply(WsDispatch::round);
      case GET_ROUND -> biddingApi.get(caller, frame.getGetRound()).thenApply(WsDispatch::round);
      case LIST_ROUNDS -> biddingApi.list(caller, frame.getListRounds()).thenApply(r -> Response.newBuilder().setRounds(r));
      case PLACE_BID -> biddingApi.placeBid(caller, frame.getPlaceBid()).thenApply(WsDispatch::round);
      case WITHDRAW_BID -> biddingApi.withdrawBid(caller, frame.getWithdrawBid()).thenApply(WsDispatch::round);
      case AWARD_BID -> biddingApi.awardBid(caller, frame.getAwardBid()).thenApply(WsDispatch::round);
      case CANCEL_ROUND -> biddingApi.cancel(caller, frame.getCancelRound()).thenApply(WsDispatch::round);
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

  /** Checks who may watch {@code topic} before the connection subscribes to it. */
  private CompletionStage<Response.Builder> subscribe(String topic, boolean binary) {
    return subscriptions.subscribe(topic, binary, watchCheck(topic));
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
    if (topic.startsWith(PainPointApi.TOPIC_PREFIX)) {
      String emcId = topic.substring(PainPointApi.TOPIC_PREFIX.length());
      return () -> painPointApi.authorizeWatch(caller, emcId);
    }
    if (topic.startsWith(ApplianceApi.TOPIC_PREFIX)) {
      String applianceId = topic.substring(ApplianceApi.TOPIC_PREFIX.length());
      return () -> applianceApi.authorizeWatch(caller, applianceId);
    }
    throw new ApiException(
        WsCodes.TOPIC_UNKNOWN, "unknown topic; known: me/{meId}, emc/{emcId}, round/{roundId}, appliance/{applianceId}, painpoints/{emcId}");
  }
}
