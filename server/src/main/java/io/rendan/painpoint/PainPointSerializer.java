package io.rendan.painpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.painpoint.PainPointEvents.PainPointPosted;
import io.rendan.painpoint.PainPointEvents.PainPointTriaged;
import io.rendan.painpoint.PainPointEvents.PainPointVoted;
import io.rendan.painpoint.PainPointProtocol.Action;
import io.rendan.painpoint.PainPointState.PainPoint;
import io.rendan.painpoint.PainPointState.Quota;
import io.rendan.painpoint.PainPointState.Status;
import io.rendan.painpoint.PainPointState;
import io.rendan.protocol.persistence.v1.PainPointBoardSnapshot;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Stores the pain-point board's events and snapshot as the protobuf messages of
 * {@code rendan/persistence/v1/painpoint.proto}, under short manifests that never
 * change (they are in every journal row ever written).
 */
public final class PainPointSerializer extends SerializerWithStringManifest {
  static final String POSTED = "painpoint.posted";
  static final String VOTED = "painpoint.voted";
  static final String TRIAGED = "painpoint.triaged";
  static final String SNAPSHOT = "painpoint.snapshot";
  static final String CALL_OPENED = "painpoint.call-opened";
  static final String RESOLVED = "painpoint.resolved";
  static final String FAULT_REPEATED = "painpoint.fault-repeated";

  @Override
  public int identifier() {
    return 7119;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof PainPointPosted) return POSTED;
    if (o instanceof PainPointVoted) return VOTED;
    if (o instanceof PainPointTriaged) return TRIAGED;
    if (o instanceof PainPointState) return SNAPSHOT;
    if (o instanceof PainPointEvents.PainPointCallOpened) return CALL_OPENED;
    if (o instanceof PainPointEvents.PainPointResolved) return RESOLVED;
    if (o instanceof PainPointEvents.PainPointFaultRepeated) return FAULT_REPEATED;
    throw new IllegalArgumentException("PainPointSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof PainPointPosted e) {
      var b = io.rendan.protocol.persistence.v1.PainPointPosted.newBuilder();
      if (e.fault() != null) {
        b.setFault(fault(e.fault()));
      }
      return b
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setText(e.text())
          .setCategory(e.category())
          .setApplianceId(orEmpty(e.applianceId()))
          .setPostedBy(e.postedBy())
          .setBySystem(e.bySystem())
          .setPeriod(e.period())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointVoted e) {
      return io.rendan.protocol.persistence.v1.PainPointVoted.newBuilder()
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setSubject(e.subject())
          .setPeriod(e.period())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointTriaged e) {
      return io.rendan.protocol.persistence.v1.PainPointTriaged.newBuilder()
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setAction(
              switch (e.action()) {
                case ACKNOWLEDGE -> io.rendan.protocol.persistence.v1.PainPointTriaged.Action.ACTION_ACKNOWLEDGE;
                case MERGE -> io.rendan.protocol.persistence.v1.PainPointTriaged.Action.ACTION_MERGE;
                case DECLINE -> io.rendan.protocol.persistence.v1.PainPointTriaged.Action.ACTION_DECLINE;
              })
          .setMeId(e.meId())
          .setInto(orEmpty(e.into()))
          .setReason(orEmpty(e.reason()))
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointEvents.PainPointCallOpened e) {
      return io.rendan.protocol.persistence.v1.PainPointCallOpened.newBuilder()
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setRoundId(e.roundId())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointEvents.PainPointFaultRepeated e) {
      return io.rendan.protocol.persistence.v1.PainPointFaultRepeated.newBuilder()
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setSeq(e.seq())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointEvents.PainPointResolved e) {
      return io.rendan.protocol.persistence.v1.PainPointResolved.newBuilder()
          .setEmcId(e.emcId())
          .setPainPointId(e.painPointId())
          .setRoundId(e.roundId())
          .setMeId(e.meId())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PainPointState s) {
      PainPointBoardSnapshot.Builder b = PainPointBoardSnapshot.newBuilder().setEmcId(s.emcId()).setVersion(s.version());
      for (PainPoint p : s.painPoints().values()) {
        PainPointBoardSnapshot.StoredPainPoint.Builder stored = PainPointBoardSnapshot.StoredPainPoint.newBuilder();
        if (p.fault() != null) {
          stored.setFault(fault(p.fault()));
        }
        b.addPainPoints(
            stored
                .setPainPointId(p.painPointId())
                .setText(p.text())
                .setCategory(p.category())
                .setApplianceId(orEmpty(p.applianceId()))
                .setPostedBy(p.postedBy())
                .setBySystem(p.bySystem())
                .setStatus(p.status().name())
                .addAllVoters(p.voters())
                .setMergedInto(orEmpty(p.mergedInto()))
                .setReason(orEmpty(p.reason()))
                .setTriagedByMeId(orEmpty(p.triagedByMeId()))
                .setRoundId(orEmpty(p.roundId()))
                .setResolvedByMeId(orEmpty(p.resolvedByMeId()))
                .setPostedAt(ts(p.postedAt()))
                .setUpdatedAt(ts(p.updatedAt()))
                .addAllMergedFrom(p.mergedFrom())
                .setOrder(p.order()));
      }
      s.quotas()
          .forEach(
              (subject, q) ->
                  b.addQuotas(
                      PainPointBoardSnapshot.StoredQuota.newBuilder()
                          .setSubject(subject)
                          .setPeriod(q.period())
                          .setPosts(q.posts())
                          .setVotes(q.votes())));
      return b.build().toByteArray();
    }
    throw new IllegalArgumentException("PainPointSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case POSTED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointPosted.parseFrom(bytes);
          return new PainPointPosted(
              e.getEmcId(),
              e.getPainPointId(),
              e.getText(),
              e.getCategory(),
              orNull(e.getApplianceId()),
              e.getPostedBy(),
              e.getBySystem(),
              e.getPeriod(),
              instant(e.getAt()),
              e.hasFault() ? fault(e.getFault()) : null);
        }
        case VOTED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointVoted.parseFrom(bytes);
          return new PainPointVoted(e.getEmcId(), e.getPainPointId(), e.getSubject(), e.getPeriod(), instant(e.getAt()));
        }
        case TRIAGED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointTriaged.parseFrom(bytes);
          Action action =
              switch (e.getAction()) {
                case ACTION_ACKNOWLEDGE -> Action.ACKNOWLEDGE;
                case ACTION_MERGE -> Action.MERGE;
                case ACTION_DECLINE -> Action.DECLINE;
                default -> throw new NotSerializableException("painpoint.triaged without an action");
              };
          return new PainPointTriaged(
              e.getEmcId(), e.getPainPointId(), action, e.getMeId(), orNull(e.getInto()), orNull(e.getReason()), instant(e.getAt()));
        }
        case SNAPSHOT -> {
          PainPointBoardSnapshot s = PainPointBoardSnapshot.parseFrom(bytes);
          Map<String, PainPoint> points = new LinkedHashMap<>();
          for (PainPointBoardSnapshot.StoredPainPoint p : s.getPainPointsList()) {
            points.put(
                p.getPainPointId(),
                new PainPoint(
                    p.getPainPointId(),
                    p.getText(),
                    p.getCategory(),
                    orNull(p.getApplianceId()),
                    p.getPostedBy(),
                    p.getBySystem(),
                    Status.valueOf(p.getStatus()),
                    p.getVotersList(),
                    orNull(p.getMergedInto()),
                    orNull(p.getReason()),
                    orNull(p.getTriagedByMeId()),
                    orNull(p.getRoundId()),
                    orNull(p.getResolvedByMeId()),
                    instant(p.getPostedAt()),
                    instant(p.getUpdatedAt()),
                    p.getMergedFromList(),
                    p.getOrder(),
                    p.hasFault() ? fault(p.getFault()) : null));
          }
          Map<String, Quota> quotas = new LinkedHashMap<>();
          for (PainPointBoardSnapshot.StoredQuota q : s.getQuotasList()) {
            quotas.put(q.getSubject(), new Quota(q.getPeriod(), q.getPosts(), q.getVotes()));
          }
          return new PainPointState(s.getEmcId(), s.getVersion(), points, quotas);
        }
        case CALL_OPENED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointCallOpened.parseFrom(bytes);
          return new PainPointEvents.PainPointCallOpened(e.getEmcId(), e.getPainPointId(), e.getRoundId(), instant(e.getAt()));
        }
        case RESOLVED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointResolved.parseFrom(bytes);
          return new PainPointEvents.PainPointResolved(e.getEmcId(), e.getPainPointId(), e.getRoundId(), e.getMeId(), instant(e.getAt()));
        }
        case FAULT_REPEATED -> {
          var e = io.rendan.protocol.persistence.v1.PainPointFaultRepeated.parseFrom(bytes);
          return new PainPointEvents.PainPointFaultRepeated(e.getEmcId(), e.getPainPointId(), e.getSeq(), instant(e.getAt()));
        }
        default -> throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new NotSerializableException("cannot read " + manifest + ": " + e.getMessage());
    }
  }

  private static io.rendan.protocol.persistence.v1.FaultCount fault(PainPointEvents.FaultCount f) {
    return io.rendan.protocol.persistence.v1.FaultCount.newBuilder().setCode(f.code()).setLastSeq(f.lastSeq()).setReports(f.reports()).build();
  }

  private static PainPointEvents.FaultCount fault(io.rendan.protocol.persistence.v1.FaultCount f) {
    return new PainPointEvents.FaultCount(f.getCode(), f.getLastSeq(), f.getReports());
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String orNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  private static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
