package io.rendan.bidding;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.bidding.RoundEntity.*;
import io.rendan.bidding.RoundEvents.*;
import io.rendan.bidding.RoundProtocol.*;
import io.rendan.emc.EmcEntity;
import io.rendan.protocol.persistence.v1.RoundSnapshot;
import io.rendan.protocol.persistence.v1.StoredBid;
import io.rendan.protocol.persistence.v1.StoredCall;
import io.rendan.protocol.persistence.v1.TargetMetric;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Target;
import io.rendan.vocabulary.StoredVocabulary;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Stores the round's events and snapshot as {@code rendan/persistence/v1/bidding.proto}, under permanent manifests. */
public final class RoundSerializer extends SerializerWithStringManifest {
  static final String POSTED = "round.posted";
  static final String BIDS_PLACED = "round.bids-placed";
  static final String BID_WITHDRAWN = "round.bid-withdrawn";
  static final String CLOSED = "round.closed";
  static final String BID_AWARDED = "round.bid-awarded";
  static final String CANCELLED = "round.cancelled";
  static final String SNAPSHOT = "round.snapshot";

  @Override
  public int identifier() {
    return 7103;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof RoundPosted) return POSTED;
    if (o instanceof BidsPlaced) return BIDS_PLACED;
    if (o instanceof BidWithdrawn) return BID_WITHDRAWN;
    if (o instanceof RoundClosed) return CLOSED;
    if (o instanceof BidAwarded) return BID_AWARDED;
    if (o instanceof RoundCancelled) return CANCELLED;
    if (o instanceof RoundState) return SNAPSHOT;
    throw new IllegalArgumentException("RoundSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof RoundPosted e) {
      return io.rendan.protocol.persistence.v1.RoundPosted.newBuilder()
          .setRoundId(e.roundId())
          .setEmcId(e.emcId())
          .setOwnerMeId(e.ownerMeId())
          .setCall(call(e.call()))
          .setClosesAt(ts(e.closesAt()))
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof BidsPlaced e) {
      var b = io.rendan.protocol.persistence.v1.RoundBidsPlaced.newBuilder()
          .setRoundId(e.roundId())
          .setClosesAt(ts(e.closesAt()))
          .setActiveBids(e.activeBids())
          .setAt(ts(e.at()));
      if (e.bestAskBps() != null) {
        b.setBestAskBps(e.bestAskBps());
      }
      e.bids().forEach(bid -> b.addBids(bid(bid)));
      return b.build().toByteArray();
    }
    if (o instanceof BidWithdrawn e) {
      var b = io.rendan.protocol.persistence.v1.RoundBidWithdrawn.newBuilder()
          .setRoundId(e.roundId())
          .setBidId(e.bidId())
          .setActiveBids(e.activeBids())
          .setAt(ts(e.at()));
      if (e.bestAskBps() != null) {
        b.setBestAskBps(e.bestAskBps());
      }
      return b.build().toByteArray();
    }
    if (o instanceof RoundClosed e) {
      var b = io.rendan.protocol.persistence.v1.RoundClosed.newBuilder().setRoundId(e.roundId()).setAt(ts(e.at()));
      if (e.awardedBidId() != null) {
        b.setAwardedBidId(e.awardedBidId()).setInvitationId(e.invitationId());
      }
      return b.build().toByteArray();
    }
    if (o instanceof BidAwarded e) {
      return io.rendan.protocol.persistence.v1.RoundBidAwarded.newBuilder()
          .setRoundId(e.roundId())
          .setBidId(e.bidId())
          .setInvitationId(e.invitationId())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof RoundCancelled e) {
      return io.rendan.protocol.persistence.v1.RoundCancelled.newBuilder()
          .setRoundId(e.roundId())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof RoundState s) {
      RoundSnapshot.Builder b = RoundSnapshot.newBuilder().setRoundId(s.roundId()).setVersion(s.version());
      if (s.isPosted()) {
        b.setEmcId(s.emcId())
            .setOwnerMeId(s.ownerMeId())
            .setCall(call(s.call()))
            .setStatus(RoundSnapshot.Status.valueOf("STATUS_" + s.status().name()))
            .setClosesAt(ts(s.closesAt()))
            .setPostedAt(ts(s.postedAt()))
            .setArrivals(s.arrivals());
        s.bids().values().forEach(bid -> b.addBids(bid(bid)));
        if (s.awardedBidId() != null) {
          b.setAwardedBidId(s.awardedBidId());
        }
        if (s.invitationId() != null) {
          b.setInvitationId(s.invitationId());
        }
      }
      return b.build().toByteArray();
    }
    throw new IllegalArgumentException("RoundSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case POSTED -> {
          var p = io.rendan.protocol.persistence.v1.RoundPosted.parseFrom(bytes);
          yield new RoundPosted(p.getRoundId(), p.getEmcId(), p.getOwnerMeId(), call(p.getCall()), instant(p.getClosesAt()), instant(p.getAt()));
        }
        case BIDS_PLACED -> {
          var p = io.rendan.protocol.persistence.v1.RoundBidsPlaced.parseFrom(bytes);
          List<Bid> bids = new ArrayList<>();
          p.getBidsList().forEach(b -> bids.add(bid(b)));
          yield new BidsPlaced(
              p.getRoundId(),
              bids,
              instant(p.getClosesAt()),
              p.getActiveBids(),
              p.hasBestAskBps() ? p.getBestAskBps() : null,
              instant(p.getAt()));
        }
        case BID_WITHDRAWN -> {
          var p = io.rendan.protocol.persistence.v1.RoundBidWithdrawn.parseFrom(bytes);
          yield new BidWithdrawn(
              p.getRoundId(), p.getBidId(), p.getActiveBids(), p.hasBestAskBps() ? p.getBestAskBps() : null, instant(p.getAt()));
        }
        case CLOSED -> {
          var p = io.rendan.protocol.persistence.v1.RoundClosed.parseFrom(bytes);
          yield new RoundClosed(
              p.getRoundId(),
              p.getAwardedBidId().isEmpty() ? null : p.getAwardedBidId(),
              p.getInvitationId().isEmpty() ? null : p.getInvitationId(),
              instant(p.getAt()));
        }
        case BID_AWARDED -> {
          var p = io.rendan.protocol.persistence.v1.RoundBidAwarded.parseFrom(bytes);
          yield new BidAwarded(p.getRoundId(), p.getBidId(), p.getInvitationId(), instant(p.getAt()));
        }
        case CANCELLED -> {
          var p = io.rendan.protocol.persistence.v1.RoundCancelled.parseFrom(bytes);
          yield new RoundCancelled(p.getRoundId(), instant(p.getAt()));
        }
        case SNAPSHOT -> {
          var p = RoundSnapshot.parseFrom(bytes);
          if (!p.hasCall()) {
            yield new RoundState(p.getRoundId(), null, null, null, null, null, null, Map.of(), null, null, 0, p.getVersion());
          }
          Map<String, Bid> bids = new LinkedHashMap<>();
          p.getBidsList().forEach(b -> bids.put(b.getBidId(), bid(b)));
          Status status =
              switch (p.getStatus()) {
                case STATUS_OPEN -> Status.OPEN;
                case STATUS_CLOSED -> Status.CLOSED;
                case STATUS_AWARDED -> Status.AWARDED;
                case STATUS_UNSUCCESSFUL -> Status.UNSUCCESSFUL;
                case STATUS_CANCELLED -> Status.CANCELLED;
                default -> throw new IllegalArgumentException("stored round status " + p.getStatus());
              };
          yield new RoundState(
              p.getRoundId(),
              p.getEmcId(),
              p.getOwnerMeId(),
              call(p.getCall()),
              status,
              instant(p.getClosesAt()),
              instant(p.getPostedAt()),
              bids,
              p.getAwardedBidId().isEmpty() ? null : p.getAwardedBidId(),
              p.getInvitationId().isEmpty() ? null : p.getInvitationId(),
              p.getArrivals(),
              p.getVersion());
        }
        default -> throw new NotSerializableException("unknown round manifest " + manifest);
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private static StoredCall call(Call c) {
    return StoredCall.newBuilder()
        .setCapability(c.capability())
        .setSide(StoredVocabulary.side(c.side()))
        .setRole(c.role())
        .setDescription(c.description())
        .setMaxShareBps(c.maxShareBps())
        .setMode(c.mode() == Mode.OPEN ? StoredCall.Mode.MODE_OPEN : StoredCall.Mode.MODE_SEALED)
        .setMinStepBps(c.minStepBps())
        .setMinRating(c.minRating())
        .setAutoAward(c.autoAward())
        .setTargetMetric(TargetMetric.valueOf("TARGET_METRIC_" + c.target().metric().name()))
        .setTargetAmount(c.target().amount())
        .setMissedPeriodLimit(c.missedPeriodLimit())
        .setReplacesMeId(c.replacesMeId() == null ? "" : c.replacesMeId())
        .setPainPointId(c.painPointId() == null ? "" : c.painPointId())
        .build();
  }

  private static Call call(StoredCall c) {
    Mode mode =
        switch (c.getMode()) {
          case MODE_OPEN -> Mode.OPEN;
          case MODE_SEALED -> Mode.SEALED;
          default -> throw new IllegalArgumentException("stored call mode " + c.getMode());
        };
    Metric metric =
        switch (c.getTargetMetric()) {
          case TARGET_METRIC_REVENUE -> Metric.REVENUE;
          case TARGET_METRIC_CYCLES -> Metric.CYCLES;
          case TARGET_METRIC_UPTIME -> Metric.UPTIME;
          case TARGET_METRIC_REPORTED -> Metric.REPORTED;
          default -> throw new IllegalArgumentException("stored target metric " + c.getTargetMetric());
        };
    return new Call(
        c.getCapability(),
        StoredVocabulary.side(c.getSide()),
        c.getRole(),
        c.getDescription(),
        c.getMaxShareBps(),
        mode,
        c.getMinStepBps(),
        c.getMinRating(),
        c.getAutoAward(),
        new Target(metric, c.getTargetAmount()),
        c.getMissedPeriodLimit(),
        c.getReplacesMeId().isEmpty() ? null : c.getReplacesMeId(),
        c.getPainPointId().isEmpty() ? null : c.getPainPointId());
  }

  private static StoredBid bid(Bid b) {
    return StoredBid.newBuilder()
        .setBidId(b.bidId())
        .setMeId(b.meId())
        .setAskShareBps(b.askShareBps())
        .setPlan(b.plan())
        .setPlacedAt(ts(b.placedAt()))
        .setRating(b.rating())
        .setArrival(b.arrival())
        .setStatus(StoredBid.Status.valueOf("STATUS_" + b.status().name()))
        .setEmcBidder(b.emcBidder())
        .build();
  }

  private static Bid bid(StoredBid b) {
    BidStatus status =
        switch (b.getStatus()) {
          case STATUS_ACTIVE -> BidStatus.ACTIVE;
          case STATUS_WITHDRAWN -> BidStatus.WITHDRAWN;
          case STATUS_SUPERSEDED -> BidStatus.SUPERSEDED;
          case STATUS_AWARDED -> BidStatus.AWARDED;
          default -> throw new IllegalArgumentException("stored bid status " + b.getStatus());
        };
    return new Bid(b.getBidId(), b.getMeId(), b.getAskShareBps(), b.getPlan(), instant(b.getPlacedAt()), b.getRating(), b.getArrival(), status, b.getEmcBidder());
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
