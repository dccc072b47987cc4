package io.rendan.me;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.me.MeEntity.CapabilitiesChanged;
import io.rendan.me.MeEntity.Membership;
import io.rendan.me.MeEntity.MembershipRecorded;
import io.rendan.me.MeEntity.Kind;
import io.rendan.me.MeEntity.MeRegistered;
import io.rendan.me.MeEntity.OperatorAdded;
import io.rendan.me.MeEntity.OperatorRemoved;
import io.rendan.me.MeEntity.State;
import io.rendan.me.MeEntity.Credit;
import io.rendan.me.MeEntity.LedgerCredited;
import io.rendan.me.MeEntity.TargetOutcome;
import io.rendan.me.MeEntity.TargetResultRecorded;
import io.rendan.protocol.persistence.v1.MeCapabilitiesChanged;
import io.rendan.protocol.persistence.v1.MeKind;
import io.rendan.protocol.persistence.v1.MeMembershipRecorded;
import io.rendan.protocol.persistence.v1.StoredMembership;
import io.rendan.vocabulary.StoredVocabulary;
import java.util.HashMap;
import java.util.Map;
import io.rendan.protocol.persistence.v1.MeOperatorAdded;
import io.rendan.protocol.persistence.v1.MeOperatorRemoved;
import io.rendan.protocol.persistence.v1.MeSnapshot;
import java.io.NotSerializableException;
import java.time.Instant;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Stores the ME's events and snapshot as the protobuf messages of
 * {@code rendan/persistence/v1/me.proto}, under short manifests that never change
 * (they are in every journal row ever written).
 */
public final class MeSerializer extends SerializerWithStringManifest {
  static final String REGISTERED = "me.registered";
  static final String CAPABILITIES_CHANGED = "me.capabilities-changed";
  static final String OPERATOR_ADDED = "me.operator-added";
  static final String OPERATOR_REMOVED = "me.operator-removed";
  static final String MEMBERSHIP_RECORDED = "me.membership-recorded";
  static final String LEDGER_CREDITED = "me.ledger-credited";
  static final String TARGET_RESULT_RECORDED = "me.target-result-recorded";
  static final String SNAPSHOT = "me.snapshot";
  static final String HELP_RECORDED = "me.help-recorded";

  @Override
  public int identifier() {
    return 7101;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof MeRegistered) return REGISTERED;
    if (o instanceof CapabilitiesChanged) return CAPABILITIES_CHANGED;
    if (o instanceof OperatorAdded) return OPERATOR_ADDED;
    if (o instanceof OperatorRemoved) return OPERATOR_REMOVED;
    if (o instanceof MembershipRecorded) return MEMBERSHIP_RECORDED;
    if (o instanceof LedgerCredited) return LEDGER_CREDITED;
    if (o instanceof TargetResultRecorded) return TARGET_RESULT_RECORDED;
    if (o instanceof State) return SNAPSHOT;
    if (o instanceof MeEntity.HelpRecorded) return HELP_RECORDED;
    throw new IllegalArgumentException("MeSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof MeRegistered e) {
      return io.rendan.protocol.persistence.v1.MeRegistered.newBuilder()
          .setMeId(e.meId())
          .setName(e.name())
          .setKind(toProto(e.kind()))
          .addAllCapabilities(e.capabilities())
          .setOperator(e.operator())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof CapabilitiesChanged e) {
      return MeCapabilitiesChanged.newBuilder()
          .setMeId(e.meId())
          .addAllCapabilities(e.capabilities())
          .setChangedBy(e.changedBy())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof OperatorAdded e) {
      return MeOperatorAdded.newBuilder()
          .setMeId(e.meId())
          .setSubject(e.subject())
          .setAddedBy(e.addedBy())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof OperatorRemoved e) {
      return MeOperatorRemoved.newBuilder()
          .setMeId(e.meId())
          .setSubject(e.subject())
          .setRemovedBy(e.removedBy())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof MembershipRecorded e) {
      Membership m = e.membership();
      return MeMembershipRecorded.newBuilder()
          .setMeId(e.meId())
          .setEmcId(m.emcId())
          .setEmcName(m.emcName())
          .setSide(StoredVocabulary.side(m.side()))
          .setRole(m.role())
          .setOwner(m.owner())
          .setActive(m.active())
          .setEmcSeq(m.emcSeq())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof LedgerCredited e) {
      Credit c = e.credit();
      return io.rendan.protocol.persistence.v1.MeLedgerCredited.newBuilder()
          .setMeId(e.meId())
          .setEmcId(c.emcId())
          .setEmcSeq(c.emcSeq())
          .setRevenueId(c.revenueId())
          .setAmountMinor(c.amountMinor())
          .setCurrency(c.currency())
          .setSource(c.source())
          .setEarnedAt(timestamp(c.earnedAt()))
          .setShareBps(c.shareBps())
          .setContractVersion(c.contractVersion())
          .setOwner(c.owner())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof TargetResultRecorded e) {
      TargetOutcome t = e.outcome();
      return io.rendan.protocol.persistence.v1.MeTargetResultRecorded.newBuilder()
          .setMeId(e.meId())
          .setEmcId(t.emcId())
          .setEmcSeq(t.emcSeq())
          .setPeriod(t.period())
          .setMetric(StoredVocabulary.metric(t.metric()))
          .setTarget(t.target())
          .setAchieved(t.achieved())
          .setMet(t.met())
          .setAtRisk(t.atRisk())
          .setAt(timestamp(e.at()))
          .build()
          .toByteArray();
    }
    if (o instanceof MeEntity.HelpRecorded e) {
      MeEntity.HelpNote n = e.note();
      return io.rendan.protocol.persistence.v1.MeHelpRecorded.newBuilder()
          .setMeId(e.meId())
          .setEmcId(n.emcId())
          .setEmcSeq(n.emcSeq())
          .setCaseId(n.caseId())
          .setPledgeId(n.pledgeId())
          .setStep(io.rendan.protocol.persistence.v1.MeHelpRecorded.Step.forNumber(n.step().ordinal() + 1))
          .setAmountMinor(n.amountMinor())
          .setCurrency(n.currency())
          .setAt(timestamp(e.at()))
          .setEarnedAt(timestamp(n.earnedAt()))
          .build()
          .toByteArray();
    }
    if (o instanceof State s) {
      MeSnapshot.Builder b =
          MeSnapshot.newBuilder()
              .setMeId(s.meId())
              .addAllCapabilities(s.capabilities())
              .addAllOperators(s.operators())
              .setVersion(s.version());
      for (Membership m : s.memberships().values()) {
        b.addMemberships(
            StoredMembership.newBuilder()
                .setEmcId(m.emcId())
                .setEmcName(m.emcName())
                .setSide(StoredVocabulary.side(m.side()))
                .setRole(m.role())
                .setOwner(m.owner())
                .setActive(m.active())
                .setEmcSeq(m.emcSeq()));
      }
      s.balances()
          .forEach(
              (currency, amount) ->
                  b.addBalances(
                      io.rendan.protocol.persistence.v1.StoredBalance.newBuilder().setCurrency(currency).setAmountMinor(amount)));
      b.setTargetsMet(s.targetsMet()).setTargetsMissed(s.targetsMissed());
      if (!s.help().equals(MeEntity.HelpRecord.EMPTY)) {
        MeEntity.HelpRecord h = s.help();
        b.setHelp(
            io.rendan.protocol.persistence.v1.StoredHelpRecord.newBuilder()
                .setPledgesGiven(h.pledgesGiven())
                .setDeliveredGiven(h.deliveredGiven())
                .setPledgesReceived(h.pledgesReceived())
                .setDeliveredReceived(h.deliveredReceived())
                .setCasesOpened(h.casesOpened())
                .setCasesRecovered(h.casesRecovered())
                .setCasesFailed(h.casesFailed())
                .setRecoveriesHelped(h.recoveriesHelped()));
      }
      if (s.isRegistered()) {
        b.setName(s.name()).setKind(toProto(s.kind())).setRegisteredAt(timestamp(s.registeredAt()));
      }
      return b.build().toByteArray();
    }
    throw new IllegalArgumentException("MeSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case REGISTERED -> {
          var p = io.rendan.protocol.persistence.v1.MeRegistered.parseFrom(bytes);
          return new MeRegistered(
              p.getMeId(), p.getName(), fromProto(p.getKind()), p.getCapabilitiesList(), p.getOperator(), instant(p.getAt()));
        }
        case CAPABILITIES_CHANGED -> {
          var p = MeCapabilitiesChanged.parseFrom(bytes);
          return new CapabilitiesChanged(p.getMeId(), p.getCapabilitiesList(), p.getChangedBy(), instant(p.getAt()));
        }
        case OPERATOR_ADDED -> {
          var p = MeOperatorAdded.parseFrom(bytes);
          return new OperatorAdded(p.getMeId(), p.getSubject(), p.getAddedBy(), instant(p.getAt()));
        }
        case OPERATOR_REMOVED -> {
          var p = MeOperatorRemoved.parseFrom(bytes);
          return new OperatorRemoved(p.getMeId(), p.getSubject(), p.getRemovedBy(), instant(p.getAt()));
        }
        case MEMBERSHIP_RECORDED -> {
          var p = MeMembershipRecorded.parseFrom(bytes);
          return new MembershipRecorded(
              p.getMeId(),
              new Membership(
                  p.getEmcId(), p.getEmcName(), StoredVocabulary.side(p.getSide()), p.getRole(), p.getOwner(), p.getActive(), p.getEmcSeq()),
              instant(p.getAt()));
        }
        case SNAPSHOT -> {
          var p = MeSnapshot.parseFrom(bytes);
          // registered_at is set exactly when the ME is registered
          boolean registered = p.hasRegisteredAt();
          Map<String, Membership> memberships = new HashMap<>();
          for (StoredMembership m : p.getMembershipsList()) {
            memberships.put(
                m.getEmcId(),
                new Membership(
                    m.getEmcId(), m.getEmcName(), StoredVocabulary.side(m.getSide()), m.getRole(), m.getOwner(), m.getActive(), m.getEmcSeq()));
          }
          return new State(
              p.getMeId(),
              registered ? p.getName() : null,
              registered ? fromProto(p.getKind()) : null,
              p.getCapabilitiesList(),
              p.getOperatorsList(),
              registered ? instant(p.getRegisteredAt()) : null,
              p.getVersion(),
              memberships,
              balances(p),
              p.getTargetsMet(),
              p.getTargetsMissed(),
              new MeEntity.HelpRecord(
                  p.getHelp().getPledgesGiven(),
                  p.getHelp().getDeliveredGiven(),
                  p.getHelp().getPledgesReceived(),
                  p.getHelp().getDeliveredReceived(),
                  p.getHelp().getCasesOpened(),
                  p.getHelp().getCasesRecovered(),
                  p.getHelp().getCasesFailed(),
                  p.getHelp().getRecoveriesHelped()));
        }
        case LEDGER_CREDITED -> {
          var p = io.rendan.protocol.persistence.v1.MeLedgerCredited.parseFrom(bytes);
          return new LedgerCredited(
              p.getMeId(),
              new Credit(
                  p.getEmcId(),
                  p.getEmcSeq(),
                  p.getRevenueId(),
                  p.getAmountMinor(),
                  p.getCurrency(),
                  p.getSource(),
                  instant(p.getEarnedAt()),
                  p.getShareBps(),
                  p.getContractVersion(),
                  p.getOwner()),
              instant(p.getAt()));
        }
        case TARGET_RESULT_RECORDED -> {
          var p = io.rendan.protocol.persistence.v1.MeTargetResultRecorded.parseFrom(bytes);
          return new TargetResultRecorded(
              p.getMeId(),
              new TargetOutcome(
                  p.getEmcId(),
                  p.getEmcSeq(),
                  p.getPeriod(),
                  StoredVocabulary.metric(p.getMetric()),
                  p.getTarget(),
                  p.getAchieved(),
                  p.getMet(),
                  p.getAtRisk()),
              instant(p.getAt()));
        }
        case HELP_RECORDED -> {
          var p = io.rendan.protocol.persistence.v1.MeHelpRecorded.parseFrom(bytes);
          if (p.getStepValue() < 1 || p.getStepValue() > MeEntity.HelpStep.values().length) {
            throw new IllegalArgumentException("stored help step " + p.getStepValue());
          }
          return new MeEntity.HelpRecorded(
              p.getMeId(),
              new MeEntity.HelpNote(
                  p.getEmcId(), p.getEmcSeq(), p.getCaseId(), p.getPledgeId(), MeEntity.HelpStep.values()[p.getStepValue() - 1],
                  p.getAmountMinor(), p.getCurrency(), instant(p.getEarnedAt())),
              instant(p.getAt()));
        }
        default -> throw new NotSerializableException("unknown ME manifest " + manifest);
      }
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private static Map<String, Long> balances(MeSnapshot p) {
    Map<String, Long> balances = new java.util.TreeMap<>();
    p.getBalancesList().forEach(b -> balances.put(b.getCurrency(), b.getAmountMinor()));
    return balances;
  }

  static MeKind toProto(Kind kind) {
    return switch (kind) {
      case INTERNAL -> MeKind.ME_KIND_INTERNAL;
      case EXTERNAL_PARTNER -> MeKind.ME_KIND_EXTERNAL_PARTNER;
    };
  }

  static Kind fromProto(MeKind kind) {
    return switch (kind) {
      case ME_KIND_INTERNAL -> Kind.INTERNAL;
      case ME_KIND_EXTERNAL_PARTNER -> Kind.EXTERNAL_PARTNER;
      default -> throw new IllegalArgumentException("stored ME kind " + kind + " is not known");
    };
  }

  static Timestamp timestamp(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  static Instant instant(Timestamp ts) {
    return io.rendan.vocabulary.Timestamps.instant(ts);
  }
}
