package io.rendan.charter;

import io.rendan.vocabulary.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A charter and every version of it: the organisation's ({@link #ORG}), or the
 * stricter values an EMC adopted (its id is the EMC's). A change of a charter
 * is a new version; versions are never rewritten, so what a contract was made
 * under stays known. Whether an EMC's values are stricter than the
 * organisation's is checked by {@link CharterApi} before the command.
 */
public final class CharterEntity
    extends EventSourcedBehaviorWithEnforcedReplies<CharterEntity.Command, CharterEntity.Event, CharterEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Charter");
  /** The id of the organisation's charter; an EMC's charter has the EMC's id (never "org": ids of EMCs are checked). */
  public static final String ORG = "_org";
  /** Versions a charter keeps: what one admin or owner can make the server hold. */
  public static final int MAX_VERSIONS = 1_000;

  public record Version(int version, Clauses clauses, String adoptedBy, Instant at, int orgVersion) {}

  public sealed interface Command extends CborSerializable permits GetCharter, AdoptCharter {}

  public record GetCharter(ActorRef<Reply> replyTo) implements Command {}

  /** A new version; the same clauses as the current version change nothing. */
  public record AdoptCharter(Clauses clauses, String adoptedBy, int orgVersion, ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  public record Accepted(State charter) implements Reply {}

  public record Rejected(String code, String message) implements Reply, io.rendan.vocabulary.Refusal {}

  public sealed interface Event permits CharterAdopted {}

  public record CharterAdopted(String charterId, int version, Clauses clauses, String adoptedBy, Instant at, int orgVersion) implements Event {}

  /** Every version, oldest first; none: the default (version 0). */
  public record State(String charterId, List<Version> versions) {
    public State {
      versions = List.copyOf(versions);
    }

    public Optional<Version> current() {
      return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    public int version() {
      return current().map(Version::version).orElse(0);
    }

    public Clauses clauses() {
      return current().map(Version::clauses).orElse(Clauses.DEFAULT);
    }

    State apply(CharterAdopted e) {
      List<Version> next = new ArrayList<>(versions);
      next.add(new Version(e.version(), e.clauses(), e.adoptedBy(), e.at(), e.orgVersion()));
      return new State(charterId, next);
    }
  }

  public record Settings(Duration backoffMin, Duration backoffMax) {}

  public static Behavior<Command> create(String charterId, Settings settings, Clock clock) {
    return Behaviors.setup(ctx -> new CharterEntity(charterId, settings, clock));
  }

  public static PersistenceId persistenceId(String charterId) {
    return PersistenceId.of(TYPE_KEY.name(), charterId);
  }

  private final String charterId;
  private final Clock clock;

  private CharterEntity(String charterId, Settings settings, Clock clock) {
    super(persistenceId(charterId), SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
    this.charterId = charterId;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return new State(charterId, List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(GetCharter.class, (s, c) -> Effect().reply(c.replyTo(), new Accepted(s)))
        .onCommand(AdoptCharter.class, this::adopt)
        .build();
  }

  private ReplyEffect<Event, State> adopt(State state, AdoptCharter cmd) {
    if (state.current().isPresent() && state.clauses().equals(cmd.clauses()) && state.current().get().orgVersion() == cmd.orgVersion()) {
      return Effect().reply(cmd.replyTo(), new Accepted(state));
    }
    if (state.versions().size() >= MAX_VERSIONS) {
      return Effect().reply(cmd.replyTo(), new Rejected(CharterCodes.TOO_MANY_VERSIONS, "a charter keeps at most " + MAX_VERSIONS + " versions"));
    }
    CharterAdopted event = new CharterAdopted(charterId, state.version() + 1, cmd.clauses(), cmd.adoptedBy(), clock.instant(), cmd.orgVersion());
    return Effect().persist(event).thenReply(cmd.replyTo(), Accepted::new);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(CharterAdopted.class, State::apply).build();
  }
}
