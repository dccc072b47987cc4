package io.rendan.me;

import com.typesafe.config.Config;
import io.rendan.me.MeProtocol.Command;
import io.rendan.vocabulary.Metric;
import io.rendan.vocabulary.Side;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * A micro-enterprise: its name, kind, capabilities and the subjects who operate
 * it. Every change is an event first; replies go out only once the event is
 * stored. Live changes are published to the topic {@code me/{meId}} with the
 * entity's sequence number.
 *
 * <p>Its parts: what it is told and answers ({@link MeProtocol}); what it
 * stores, its events and state with the event handler ({@link State#apply}),
 * here; its rules, the command handlers by lifecycle state ({@link MeBehaviour}).
 */
public final class MeEntity {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Me");
  public static final int NEUTRAL_RATING = 500;

  public enum Kind {
    INTERNAL,
    EXTERNAL_PARTNER
  }


  /** One ledger credit (negative for a refund), keyed by EMC and revenue id. */
  public record Credit(
      String emcId,
      long emcSeq,
      String revenueId,
      long amountMinor,
      String currency,
      String source,
      Instant earnedAt,
      int shareBps,
      int contractVersion,
      boolean owner) {}

  /** What a help step is to this ME. The order is the stored number: only ever append. */
  public enum HelpStep {
    PLEDGE_GIVEN,
    PLEDGE_RECEIVED,
    DELIVERED_GIVEN,
    DELIVERED_RECEIVED,
    REPAYMENT_PAID,
    REPAYMENT_RECEIVED,
    CASE_OPENED,
    CASE_RECOVERED,
    CASE_FAILED,
    RECOVERY_HELPED
  }

  /**
   * One help step for this ME; {@code amountMinor} (signed, in {@code currency})
   * moves its balance and is a ledger entry: an advance given (negative) or
   * received, a repayment paid (negative) or received.
   */
  public record HelpNote(
      String emcId, long emcSeq, String caseId, String pledgeId, HelpStep step, long amountMinor, String currency, Instant earnedAt) {}

  /** The ME's record of help given and received in all its EMCs. */
  public record HelpRecord(
      long pledgesGiven,
      long deliveredGiven,
      long pledgesReceived,
      long deliveredReceived,
      long casesOpened,
      long casesRecovered,
      long casesFailed,
      long recoveriesHelped) {
    public static final HelpRecord EMPTY = new HelpRecord(0, 0, 0, 0, 0, 0, 0, 0);

    HelpRecord after(HelpStep step) {
      return switch (step) {
        case PLEDGE_GIVEN -> new HelpRecord(pledgesGiven + 1, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case DELIVERED_GIVEN -> new HelpRecord(pledgesGiven, deliveredGiven + 1, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case PLEDGE_RECEIVED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived + 1, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case DELIVERED_RECEIVED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived + 1, casesOpened, casesRecovered, casesFailed, recoveriesHelped);
        case CASE_OPENED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened + 1, casesRecovered, casesFailed, recoveriesHelped);
        case CASE_RECOVERED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered + 1, casesFailed, recoveriesHelped);
        case CASE_FAILED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed + 1, recoveriesHelped);
        case RECOVERY_HELPED -> new HelpRecord(pledgesGiven, deliveredGiven, pledgesReceived, deliveredReceived, casesOpened, casesRecovered, casesFailed, recoveriesHelped + 1);
        case REPAYMENT_PAID, REPAYMENT_RECEIVED -> this;
      };
    }
  }

  public record TargetOutcome(
      String emcId, long emcSeq, String period, Metric metric, long target, long achieved, boolean met, boolean atRisk) {}


  // ---- events ---------------------------------------------------------------------------------

  public sealed interface Event
      permits MeRegistered,
          CapabilitiesChanged,
          OperatorAdded,
          OperatorRemoved,
          MembershipRecorded,
          LedgerCredited,
          TargetResultRecorded,
          HelpRecorded {
    String meId();

    Instant at();
  }

  public record MeRegistered(String meId, String name, Kind kind, List<String> capabilities, String operator, Instant at)
      implements Event {}

  public record CapabilitiesChanged(String meId, List<String> capabilities, String changedBy, Instant at)
      implements Event {}

  public record OperatorAdded(String meId, String subject, String addedBy, Instant at) implements Event {}

  public record OperatorRemoved(String meId, String subject, String removedBy, Instant at) implements Event {}

  public record MembershipRecorded(String meId, Membership membership, Instant at) implements Event {}

  /** An immutable ledger entry; corrections are further entries. */
  public record LedgerCredited(String meId, Credit credit, Instant at) implements Event {}

  public record TargetResultRecorded(String meId, TargetOutcome outcome, Instant at) implements Event {}

  public record HelpRecorded(String meId, HelpNote note, Instant at) implements Event {}

  /** This ME's seat in an EMC; inactive ones are kept for their {@code emcSeq}. */
  public record Membership(
      String emcId, String emcName, Side side, String role, boolean owner, boolean active, long emcSeq) {
    Membership at(long seq) {
      return new Membership(emcId, emcName, side, role, owner, active, seq);
    }
  }

  // ---- state ----------------------------------------------------------------------------------

  /**
   * The ME; {@code name == null} until it is registered. Lists are kept sorted and
   * unique so that equal states compare equal. {@code version} counts the events
   * applied, which is the entity's sequence number.
   */
  public record State(
      String meId,
      String name,
      Kind kind,
      List<String> capabilities,
      List<String> operators,
      Instant registeredAt,
      long version,
      Map<String, Membership> memberships,
      Map<String, Long> balances,
      long targetsMet,
      long targetsMissed,
      HelpRecord help) {

    public State {
      help = help == null ? HelpRecord.EMPTY : help;
      capabilities = sortedUnique(capabilities);
      operators = sortedUnique(operators);
      memberships = Collections.unmodifiableMap(new TreeMap<>(memberships));
      balances = Collections.unmodifiableMap(new TreeMap<>(balances == null ? Map.of() : balances));
    }

    public State(
        String meId,
        String name,
        Kind kind,
        List<String> capabilities,
        List<String> operators,
        Instant registeredAt,
        long version,
        Map<String, Membership> memberships) {
      this(meId, name, kind, capabilities, operators, registeredAt, version, memberships, Map.of(), 0, 0, HelpRecord.EMPTY);
    }

    public State(
        String meId,
        String name,
        Kind kind,
        List<String> capabilities,
        List<String> operators,
        Instant registeredAt,
        long version,
        Map<String, Membership> memberships,
        Map<String, Long> balances,
        long targetsMet,
        long targetsMissed) {
      this(meId, name, kind, capabilities, operators, registeredAt, version, memberships, balances, targetsMet, targetsMissed, HelpRecord.EMPTY);
    }

    static State unregistered(String meId) {
      return new State(meId, null, null, List.of(), List.of(), null, 0, Map.of());
    }

    /**
     * 0..1000 from the record of targets and of help delivered to other members:
     * round(1000 × (met + 1 + h/2) / (met + missed + 2 + h/2)) with h the help it
     * delivered, each counting as half a target met; so 500 (neutral) with no
     * record, moving with every result and never reaching 0 or 1000. Bidding
     * weighs asks by it. Integer arithmetic (in halves), halves rounded up.
     */
    public int rating() {
      long h = help.deliveredGiven();
      long d = 2 * (targetsMet + targetsMissed + 2) + h;
      return (int) ((2_000 * (2 * (targetsMet + 1) + h) + d) / (2 * d));
    }

    /** The last EMC event this ME has applied, per EMC: the delivery's de-duplication cursor. */
    public long emcCursor(String emcId) {
      Membership m = memberships.get(emcId);
      return m == null ? 0 : m.emcSeq();
    }

    private State with(long next, Map<String, Membership> ms, Map<String, Long> bs, long met, long missed) {
      return new State(meId, name, kind, capabilities, operators, registeredAt, next, ms, bs, met, missed, help);
    }

    private Map<String, Membership> advanced(String emcId, long seq) {
      Map<String, Membership> all = new HashMap<>(memberships);
      Membership m = all.get(emcId);
      all.put(emcId, m == null ? new Membership(emcId, "", null, "", false, false, seq) : m.at(seq));
      return all;
    }

    /** The memberships in force, by EMC id. */
    public List<Membership> activeMemberships() {
      return memberships.values().stream().filter(Membership::active).toList();
    }

    public boolean isRegistered() {
      return name != null;
    }

    public boolean isOperator(String subject) {
      return operators.contains(subject);
    }

    State apply(Event event) {
      long next = version + 1;
      if (event instanceof MeRegistered e) {
        return new State(meId, e.name(), e.kind(), e.capabilities(), List.of(e.operator()), e.at(), next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof CapabilitiesChanged e) {
        return new State(meId, name, kind, e.capabilities(), operators, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof OperatorAdded e) {
        List<String> ops = new ArrayList<>(operators);
        ops.add(e.subject());
        return new State(meId, name, kind, capabilities, ops, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof OperatorRemoved e) {
        List<String> ops = new ArrayList<>(operators);
        ops.remove(e.subject());
        return new State(meId, name, kind, capabilities, ops, registeredAt, next, memberships, balances, targetsMet, targetsMissed, help);
      } else if (event instanceof MembershipRecorded e) {
        Map<String, Membership> all = new HashMap<>(memberships);
        all.put(e.membership().emcId(), e.membership());
        return with(next, all, balances, targetsMet, targetsMissed);
      } else if (event instanceof LedgerCredited e) {
        Map<String, Long> bs = new TreeMap<>(balances);
        bs.merge(e.credit().currency(), e.credit().amountMinor(), Math::addExact);
        return with(next, advanced(e.credit().emcId(), e.credit().emcSeq()), bs, targetsMet, targetsMissed);
      } else if (event instanceof TargetResultRecorded e) {
        TargetOutcome o = e.outcome();
        return with(
            next, advanced(o.emcId(), o.emcSeq()), balances, targetsMet + (o.met() ? 1 : 0), targetsMissed + (o.met() ? 0 : 1));
      } else if (event instanceof HelpRecorded e) {
        HelpNote n = e.note();
        Map<String, Long> bs = balances;
        if (n.amountMinor() != 0) {
          bs = new TreeMap<>(balances);
          bs.merge(n.currency(), n.amountMinor(), Math::addExact);
        }
        return new State(meId, name, kind, capabilities, operators, registeredAt, next, advanced(n.emcId(), n.emcSeq()), bs, targetsMet, targetsMissed, help.after(n.step()));
      }
      throw new IllegalStateException("unknown event " + event.getClass());
    }
  }

  static List<String> sortedUnique(List<String> values) {
    return values == null ? List.of() : List.copyOf(new TreeSet<>(values));
  }

  /** Where live changes go; the real one is the cluster-wide topic {@code me/{meId}}. */
  @FunctionalInterface
  public interface ChangePublisher {
    void published(String event, State me);
  }

  /** Tunables of the entity, from {@code rendan.me} in application.conf. */
  public record Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax, int tagSlices) {
    public static Settings from(Config config) {
      Config c = config.getConfig("rendan.me");
      return new Settings(
          c.getInt("snapshot-every"), c.getDuration("backoff-min"), c.getDuration("backoff-max"), c.getInt("tag-slices"));
    }

    public Settings(int snapshotEvery, Duration backoffMin, Duration backoffMax) {
      this(snapshotEvery, backoffMin, backoffMax, 4);
    }
  }

  /** The journal tag of an ME's events (the ledger read model follows them). */
  public static String tag(String meId, int slices) {
    return "me-" + Math.floorMod(meId.hashCode(), slices);
  }

  // ---- behaviour ------------------------------------------------------------------------------

  public static Behavior<Command> create(String meId, Settings settings, ChangePublisher publisher, Clock clock) {
    return create(meId, settings, publisher, clock, new LiveMes());
  }

  public static Behavior<Command> create(
      String meId, Settings settings, ChangePublisher publisher, Clock clock, LiveMes live) {
    return Behaviors.setup(ctx -> new MeBehaviour(ctx, meId, settings, publisher, clock, live));
  }

  /** Starts the ME shard region on this node; its entities keep {@code live} up to date. */
  public static void init(ActorSystem<?> system, Settings settings, ChangePublisher publisher, Clock clock, LiveMes live) {
    ClusterSharding.get(system)
        .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, publisher, clock, live)));
  }

  private MeEntity() {}

  public static PersistenceId persistenceId(String meId) {
    return PersistenceId.of(TYPE_KEY.name(), meId);
  }
}
