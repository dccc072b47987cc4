package io.rendan.charter;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.rendan.charter.CharterEntity.CharterAdopted;
import io.rendan.charter.CharterEntity.State;
import io.rendan.charter.CharterEntity.Version;
import io.rendan.protocol.persistence.v1.CharterSnapshot;
import io.rendan.protocol.persistence.v1.StoredCharterVersion;
import io.rendan.protocol.persistence.v1.StoredClauses;
import java.io.NotSerializableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** The charter's event and snapshot as the messages of rendan/persistence/v1/charter.proto, under permanent manifests. */
public final class CharterSerializer extends SerializerWithStringManifest {
  static final String ADOPTED = "charter.adopted";
  static final String SNAPSHOT = "charter.snapshot";

  @Override
  public int identifier() {
    return 7105;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof CharterAdopted) return ADOPTED;
    if (o instanceof State) return SNAPSHOT;
    throw new IllegalArgumentException("CharterSerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof CharterAdopted e) {
      return io.rendan.protocol.persistence.v1.CharterAdopted.newBuilder()
          .setCharterId(e.charterId())
          .setVersion(e.version())
          .setClauses(clauses(e.clauses()))
          .setAdoptedBy(e.adoptedBy())
          .setAt(ts(e.at()))
          .setOrgVersion(e.orgVersion())
          .build()
          .toByteArray();
    }
    if (o instanceof State s) {
      CharterSnapshot.Builder b = CharterSnapshot.newBuilder().setCharterId(s.charterId());
      for (Version v : s.versions()) {
        b.addVersions(
            StoredCharterVersion.newBuilder()
                .setVersion(v.version())
                .setClauses(clauses(v.clauses()))
                .setAdoptedBy(v.adoptedBy())
                .setAt(ts(v.at()))
                .setOrgVersion(v.orgVersion()));
      }
      return b.build().toByteArray();
    }
    throw new IllegalArgumentException("CharterSerializer cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case ADOPTED -> {
          var p = io.rendan.protocol.persistence.v1.CharterAdopted.parseFrom(bytes);
          yield new CharterAdopted(p.getCharterId(), p.getVersion(), clauses(p.getClauses()), p.getAdoptedBy(), instant(p.getAt()), p.getOrgVersion());
        }
        case SNAPSHOT -> {
          var p = CharterSnapshot.parseFrom(bytes);
          List<Version> versions = new ArrayList<>();
          for (StoredCharterVersion v : p.getVersionsList()) {
            versions.add(new Version(v.getVersion(), clauses(v.getClauses()), v.getAdoptedBy(), instant(v.getAt()), v.getOrgVersion()));
          }
          yield new State(p.getCharterId(), versions);
        }
        default -> throw new NotSerializableException("unknown charter manifest " + manifest);
      };
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure = new NotSerializableException("corrupt " + manifest + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  static StoredClauses clauses(Clauses c) {
    return StoredClauses.newBuilder()
        .setMinShareBps(c.minShareBps())
        .setMaxOwnerShareBps(c.maxOwnerShareBps())
        .setRemovalNoticeSeconds(c.removalNotice().toSeconds())
        .setMinTermsIntervalSeconds(c.minTermsInterval().toSeconds())
        .setReplaceOnlyAfterFailedHelp(c.replaceOnlyAfterFailedHelp())
        .setNoSelfAward(c.noSelfAward())
        .build();
  }

  static Clauses clauses(StoredClauses c) {
    return new Clauses(
        c.getMinShareBps(),
        c.getMaxOwnerShareBps(),
        Duration.ofSeconds(c.getRemovalNoticeSeconds()),
        Duration.ofSeconds(c.getMinTermsIntervalSeconds()),
        c.getReplaceOnlyAfterFailedHelp(),
        c.getNoSelfAward());
  }

  private static Timestamp ts(Instant at) {
    return io.rendan.vocabulary.Timestamps.of(at);
  }

  private static Instant instant(Timestamp t) {
    return io.rendan.vocabulary.Timestamps.instant(t);
  }
}
