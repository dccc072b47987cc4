package io.rendan.emc;

import static io.rendan.vocabulary.StoredVocabulary.metric;
import static io.rendan.vocabulary.StoredVocabulary.side;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.emc.EmcProtocol.*;
import io.rendan.protocol.persistence.v1.EmcSnapshot;
import io.rendan.protocol.persistence.v1.StoredContract;
import io.rendan.protocol.persistence.v1.StoredInvitation;
import io.rendan.protocol.persistence.v1.StoredMember;
import io.rendan.protocol.persistence.v1.StoredTerms;
import io.rendan.protocol.persistence.v1.TargetMetric;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import io.rendan.vocabulary.Target;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Stores the EMC's events and snapshot as the protobuf messages of
 * {@code rendan/persistence/v1/emc.proto}, under short manifests that never change.
 */
public final class EmcSerializer extends SerializerWithStringManifest {
  static final String STARTED = "emc.started";
  static final String MEMBER_INVITED = "emc.member-invited";
  static final String MEMBER_JOINED = "emc.member-joined";
  static final String INVITATION_DECLINED = "emc.invitation-declined";
  static final String INVITATIONS_EXPIRED = "emc.invitations-expired";
  static final String MEMBER_LEFT = "emc.member-left";
  static final String TERMS_PROPOSED = "emc.terms-proposed";
  static final String CONTRACT_AMENDED = "emc.contract-amended";
  static final String DISSOLVED = "emc.dissolved";
  static final String OWNERSHIP_TRANSFERRED = "emc.ownership-transferred";
  static final String REVENUE_SHARED = "emc.revenue-shared";
  static final String PERIOD_VALUE_REPORTED = "emc.period-value-reported";
  static final String PERIOD_CLOSED = "emc.period-closed";
  static final String SEAT_REPLACED = "emc.seat-replaced";
  static final String SNAPSHOT = "emc.snapshot";

  @Override
  public int identifier() {
    return 7102;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof EmcStarted) return STARTED;
    if (o instanceof MemberInvited) return MEMBER_INVITED;
    if (o instanceof MemberJoined) return MEMBER_JOINED;
    if (o instanceof InvitationDeclined) return INVITATION_DECLINED;
    if (o instanceof InvitationsExpired) return INVITATIONS_EXPIRED;
    if (o instanceof MemberLeft) return MEMBER_LEFT;
    if (o instanceof TermsProposed) return TERMS_PROPOSED;
    if (o instanceof ContractAmended) return CONTRACT_AMENDED;
    if (o instanceof EmcDissolved) return DISSOLVED;
    if (o instanceof OwnershipTransferred) return OWNERSHIP_TRANSFERRED;
    if (o instanceof RevenueShared) return REVENUE_SHARED;
    if (o instanceof PeriodValueReported) return PERIOD_VALUE_REPORTED;
    if (o instanceof PeriodClosed) return PERIOD_CLOSED;
    if (o instanceof SeatReplaced) return SEAT_REPLACED;
    if (o instanceof EmcState) return SNAPSHOT;
    String help = HelpSerialization.manifest(o);
    if (help != null) return help;
    String removal = RemovalNotice.manifest(o);
    if (removal != null) return removal;
    throw new IllegalArgumentException("EmcSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof EmcStarted e) {
      return io.rendan.protocol.persistence.v1.EmcStarted.newBuilder()
          .setEmcId(e.emcId())
          .setName(e.name())
          .setUserGroup(e.userGroup())
          .setOwnerMeId(e.ownerMeId())
          .setOwnerSide(side(e.ownerSide()))
          .setStartedBy(e.startedBy())
          .setAt(ts(e.at()))
          .setCurrency(orEmpty(e.currency()))
          .build()
          .toByteArray();
    }
    if (o instanceof MemberInvited e) {
      return io.rendan.protocol.persistence.v1.EmcMemberInvited.newBuilder()
          .setEmcId(e.emcId())
          .setInvitationId(e.invitationId())
          .setMeId(e.meId())
          .setSide(side(e.side()))
          .setRole(e.role())
          .setTerms(terms(e.terms()))
          .setExpiresAt(ts(e.expiresAt()))
          .setAt(ts(e.at()))
          .setReplacesMeId(orEmpty(e.replacesMeId()))
          .setEmcMember(e.emcMember())
          .build()
          .toByteArray();
    }
    if (o instanceof MemberJoined e) {
      return io.rendan.protocol.persistence.v1.EmcMemberJoined.newBuilder()
          .setEmcId(e.emcId())
          .setEmcName(e.emcName())
          .setInvitationId(e.invitationId())
          .setMeId(e.meId())
          .setSide(side(e.side()))
          .setRole(e.role())
          .setTerms(terms(e.terms()))
          .setAt(ts(e.at()))
          .setEmcMember(e.emcMember())
          .setCharterVersion(e.charter().org())
          .setEmcCharterVersion(e.charter().emc())
          .build()
          .toByteArray();
    }
    if (o instanceof InvitationDeclined e) {
      return io.rendan.protocol.persistence.v1.EmcInvitationDeclined.newBuilder()
          .setEmcId(e.emcId())
          .setInvitationId(e.invitationId())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof InvitationsExpired e) {
      return io.rendan.protocol.persistence.v1.EmcInvitationsExpired.newBuilder()
          .setEmcId(e.emcId())
          .addAllInvitationIds(e.invitationIds())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof MemberLeft e) {
      return io.rendan.protocol.persistence.v1.EmcMemberLeft.newBuilder()
          .setEmcId(e.emcId())
          .setMeId(e.meId())
          .setRemoved(e.removed())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof TermsProposed e) {
      return io.rendan.protocol.persistence.v1.EmcTermsProposed.newBuilder()
          .setEmcId(e.emcId())
          .setMeId(e.meId())
          .setTerms(terms(e.terms()))
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof ContractAmended e) {
      return io.rendan.protocol.persistence.v1.EmcContractAmended.newBuilder()
          .setEmcId(e.emcId())
          .setMeId(e.meId())
          .setTerms(terms(e.terms()))
          .setAt(ts(e.at()))
          .setCharterVersion(e.charter().org())
          .setEmcCharterVersion(e.charter().emc())
          .build()
          .toByteArray();
    }
    if (o instanceof EmcDissolved e) {
      return io.rendan.protocol.persistence.v1.EmcDissolved.newBuilder()
          .setEmcId(e.emcId())
          .addAllMemberMeIds(e.memberMeIds())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof OwnershipTransferred e) {
      return io.rendan.protocol.persistence.v1.EmcOwnershipTransferred.newBuilder()
          .setEmcId(e.emcId())
          .setEmcName(e.emcName())
          .setFromMeId(e.fromMeId())
          .setFromSide(side(e.fromSide()))
          .setToMeId(e.toMeId())
          .setToSide(side(e.toSide()))
          .setToRole(e.toRole())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof RevenueShared e) {
      return revenue(e).toByteArray();
    }
    if (o instanceof PeriodValueReported e) {
      return io.rendan.protocol.persistence.v1.EmcPeriodValueReported.newBuilder()
          .setEmcId(e.emcId())
          .setPeriod(e.period())
          .setMeId(e.meId())
          .setValue(e.value())
          .setAt(ts(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof PeriodClosed e) {
      var b = io.rendan.protocol.persistence.v1.EmcPeriodClosed.newBuilder().setEmcId(e.emcId()).setPeriod(e.period()).setAt(ts(e.at()));
      for (TargetResult r : e.results()) {
        b.addResults(
            io.rendan.protocol.persistence.v1.StoredTargetResult.newBuilder()
                .setMeId(r.meId())
                .setContractVersion(r.contractVersion())
                .setMetric(metric(r.metric()))
                .setTarget(r.target())
                .setAchieved(r.achieved())
                .setMet(r.met())
                .setMissedInRow(r.missedInRow())
                .setAtRisk(r.atRisk()));
      }
      return b.build().toByteArray();
    }
    if (o instanceof SeatReplaced e) {
      return io.rendan.protocol.persistence.v1.EmcSeatReplaced.newBuilder()
          .setEmcId(e.emcId())
          .setEmcName(e.emcName())
          .setInvitationId(e.invitationId())
          .setOldMeId(e.oldMeId())
          .setNewMeId(e.newMeId())
          .setSide(side(e.side()))
          .setRole(e.role())
          .setTerms(terms(e.terms()))
          .setAt(ts(e.at()))
          .setCharterVersion(e.charter().org())
          .setEmcCharterVersion(e.charter().emc())
          .build()
          .toByteArray();
    }
    if (o instanceof EmcState s) {
      return EmcSnapshots.snapshot(s).toByteArray();
    }
    if (HelpSerialization.manifest(o) != null) {
      return HelpSerialization.toBinary(o);
    }
    if (RemovalNotice.manifest(o) != null) {
      return RemovalNotice.toBinary(o);
    }
    throw new IllegalArgumentException("EmcSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case STARTED -> {
          var p = io.rendan.protocol.persistence.v1.EmcStarted.parseFrom(bytes);
          yield new EmcStarted(
              p.getEmcId(),
              p.getName(),
              p.getUserGroup(),
              p.getOwnerMeId(),
              side(p.getOwnerSide()),
              p.getStartedBy(),
              instant(p.getAt()),
              orNull(p.getCurrency()));
        }
        case MEMBER_INVITED -> {
          var p = io.rendan.protocol.persistence.v1.EmcMemberInvited.parseFrom(bytes);
          yield new MemberInvited(
              p.getEmcId(),
              p.getInvitationId(),
              p.getMeId(),
              side(p.getSide()),
              p.getRole(),
              terms(p.getTerms()),
              instant(p.getExpiresAt()),
              instant(p.getAt()),
              orNull(p.getReplacesMeId()),
              p.getEmcMember());
        }
        case MEMBER_JOINED -> {
          var p = io.rendan.protocol.persistence.v1.EmcMemberJoined.parseFrom(bytes);
          yield new MemberJoined(
              p.getEmcId(),
              p.getEmcName(),
              p.getInvitationId(),
              p.getMeId(),
              side(p.getSide()),
              p.getRole(),
              terms(p.getTerms()),
              instant(p.getAt()),
              p.getEmcMember(),
              new CharterVersions(p.getCharterVersion(), p.getEmcCharterVersion()));
        }
        case INVITATION_DECLINED -> {
          var p = io.rendan.protocol.persistence.v1.EmcInvitationDeclined.parseFrom(bytes);
          yield new InvitationDeclined(p.getEmcId(), p.getInvitationId(), instant(p.getAt()));
        }
        case INVITATIONS_EXPIRED -> {
          var p = io.rendan.protocol.persistence.v1.EmcInvitationsExpired.parseFrom(bytes);
          yield new InvitationsExpired(p.getEmcId(), List.copyOf(p.getInvitationIdsList()), instant(p.getAt()));
        }
        case MEMBER_LEFT -> {
          var p = io.rendan.protocol.persistence.v1.EmcMemberLeft.parseFrom(bytes);
          yield new MemberLeft(p.getEmcId(), p.getMeId(), p.getRemoved(), instant(p.getAt()));
        }
        case TERMS_PROPOSED -> {
          var p = io.rendan.protocol.persistence.v1.EmcTermsProposed.parseFrom(bytes);
          yield new TermsProposed(p.getEmcId(), p.getMeId(), terms(p.getTerms()), instant(p.getAt()));
        }
        case CONTRACT_AMENDED -> {
          var p = io.rendan.protocol.persistence.v1.EmcContractAmended.parseFrom(bytes);
          yield new ContractAmended(
              p.getEmcId(), p.getMeId(), terms(p.getTerms()), instant(p.getAt()), new CharterVersions(p.getCharterVersion(), p.getEmcCharterVersion()));
        }
        case DISSOLVED -> {
          var p = io.rendan.protocol.persistence.v1.EmcDissolved.parseFrom(bytes);
          yield new EmcDissolved(p.getEmcId(), List.copyOf(p.getMemberMeIdsList()), instant(p.getAt()));
        }
        case OWNERSHIP_TRANSFERRED -> {
          var p = io.rendan.protocol.persistence.v1.EmcOwnershipTransferred.parseFrom(bytes);
          yield new OwnershipTransferred(
              p.getEmcId(),
              p.getEmcName(),
              p.getFromMeId(),
              side(p.getFromSide()),
              p.getToMeId(),
              side(p.getToSide()),
              p.getToRole(),
              instant(p.getAt()));
        }
        case REVENUE_SHARED -> revenue(io.rendan.protocol.persistence.v1.EmcRevenueShared.parseFrom(bytes));
        case PERIOD_VALUE_REPORTED -> {
          var p = io.rendan.protocol.persistence.v1.EmcPeriodValueReported.parseFrom(bytes);
          yield new PeriodValueReported(p.getEmcId(), p.getPeriod(), p.getMeId(), p.getValue(), instant(p.getAt()));
        }
        case PERIOD_CLOSED -> {
          var p = io.rendan.protocol.persistence.v1.EmcPeriodClosed.parseFrom(bytes);
          List<TargetResult> results = new ArrayList<>();
          for (var r : p.getResultsList()) {
            results.add(
                new TargetResult(
                    r.getMeId(),
                    r.getContractVersion(),
                    metric(r.getMetric()),
                    r.getTarget(),
                    r.getAchieved(),
                    r.getMet(),
                    r.getMissedInRow(),
                    r.getAtRisk()));
          }
          yield new PeriodClosed(p.getEmcId(), p.getPeriod(), results, instant(p.getAt()));
        }
        case SEAT_REPLACED -> {
          var p = io.rendan.protocol.persistence.v1.EmcSeatReplaced.parseFrom(bytes);
          yield new SeatReplaced(
              p.getEmcId(),
              p.getEmcName(),
              p.getInvitationId(),
              p.getOldMeId(),
              p.getNewMeId(),
              side(p.getSide()),
              p.getRole(),
              terms(p.getTerms()),
              instant(p.getAt()),
              new CharterVersions(p.getCharterVersion(), p.getEmcCharterVersion()));
        }
        case SNAPSHOT -> EmcSnapshots.state(EmcSnapshot.parseFrom(bytes));
        case HelpSerialization.CASE_OPENED,
            HelpSerialization.PLEDGED,
            HelpSerialization.PLEDGE_ANSWERED,
            HelpSerialization.DELIVERED,
            HelpSerialization.ADVANCE_REPAID,
            HelpSerialization.CASE_CLOSED,
            HelpSerialization.LEAVE_AGREED -> HelpSerialization.fromBinary(bytes, manifest);
        case RemovalNotice.SCHEDULED, RemovalNotice.CANCELLED -> RemovalNotice.fromBinary(bytes, manifest);
        default -> throw new NotSerializableException("unknown EMC manifest " + manifest);
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  static StoredContract contract(Contract c) {
    return StoredContract.newBuilder()
        .setVersion(c.version())
        .setTerms(terms(c.terms()))
        .setEffectiveFrom(ts(c.effectiveFrom()))
        .setCharterVersion(c.charter().org())
        .setEmcCharterVersion(c.charter().emc())
        .build();
  }

  /** A contract stored before charters reads as made under version 0 of both. */
  static Contract contract(StoredContract c) {
    return new Contract(
        c.getVersion(), terms(c.getTerms()), instant(c.getEffectiveFrom()), new CharterVersions(c.getCharterVersion(), c.getEmcCharterVersion()));
  }

  static io.rendan.protocol.persistence.v1.EmcRevenueShared revenue(RevenueShared e) {
    var b =
        io.rendan.protocol.persistence.v1.EmcRevenueShared.newBuilder()
            .setEmcId(e.emcId())
            .setRevenueId(e.revenueId())
            .setAmountMinor(e.amountMinor())
            .setCurrency(e.currency())
            .setSource(e.source())
            .setEarnedAt(ts(e.earnedAt()))
            .setUnits(e.units())
            .setAttributedMeId(orEmpty(e.attributedMeId()))
            .setRefundOf(orEmpty(e.refundOf()))
            .setAt(ts(e.at()))
            .setKeepSince(ts(e.keepSince()));
    for (RevenueSplit.Part part : e.parts()) {
      b.addParts(
          io.rendan.protocol.persistence.v1.StoredPart.newBuilder()
              .setMeId(part.meId())
              .setAmountMinor(part.amountMinor())
              .setShareBps(part.shareBps())
              .setContractVersion(part.contractVersion())
              .setOwner(part.owner())
              .setEmcMember(part.emcMember()));
    }
    if (e.passedFrom() != null) {
      b.setPassedFromEmcId(e.passedFrom().emcId()).setPassedFromRevenueId(e.passedFrom().revenueId());
    }
    return b.build();
  }

  static RevenueShared revenue(io.rendan.protocol.persistence.v1.EmcRevenueShared p) {
    List<RevenueSplit.Part> parts = new ArrayList<>();
    for (var part : p.getPartsList()) {
      parts.add(new RevenueSplit.Part(part.getMeId(), part.getAmountMinor(), part.getShareBps(), part.getContractVersion(), part.getOwner(), part.getEmcMember()));
    }
    return new RevenueShared(
        p.getEmcId(),
        p.getRevenueId(),
        p.getAmountMinor(),
        p.getCurrency(),
        p.getSource(),
        instant(p.getEarnedAt()),
        p.getUnits(),
        orNull(p.getAttributedMeId()),
        orNull(p.getRefundOf()),
        parts,
        instant(p.getAt()),
        instant(p.getKeepSince()),
        p.getPassedFromEmcId().isEmpty() ? null : new RevenueSplit.PassedFrom(p.getPassedFromEmcId(), p.getPassedFromRevenueId()));
  }

  static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  static String orNull(String s) {
    return s.isEmpty() ? null : s;
  }

  static StoredTerms terms(Terms t) {
    return StoredTerms.newBuilder()
        .setShareBps(t.shareBps())
        .setTargetMetric(metric(t.target().metric()))
        .setTargetAmount(t.target().amount())
        .setMissedPeriodLimit(t.missedPeriodLimit())
        .setHelpPeriods(t.helpPeriods())
        .build();
  }

  static Terms terms(StoredTerms t) {
    return new Terms(t.getShareBps(), new Target(metric(t.getTargetMetric()), t.getTargetAmount()), t.getMissedPeriodLimit(), t.getHelpPeriods());
  }

  static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
