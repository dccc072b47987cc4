package io.rendan.projection;

import com.typesafe.config.Config;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * How a projection over an aggregate's tagged events is started: one instance
 * per tag slice ({@code tagPrefix + slice}, as the entity tags its events), each
 * with the projection id {@code (name, tag)}, spread over the cluster as a
 * sharded daemon process named {@code name}, its offsets in {@link
 * ProjectionJdbc}'s tables. The projection's name and tags are stored with its
 * offsets: never rename them.
 *
 * <p>Each instance polls the journal for its tag. Those named in {@code
 * rendan.projection.relaxed.names} (read models whose readers tolerate a
 * second's delay: ledgers, prospectuses, the appliance directory...) read
 * through {@link #RELAXED_READ_JOURNAL}, which polls every {@code
 * rendan.projection.relaxed.refresh-interval} (1 s) instead of the read
 * journal's 200 ms: the polls of idle slices were most of an idle node's CPU.
 */
public final class TaggedProjections {
  /** The read journal plugin of the relaxed projections (application.conf). */
  public static final String RELAXED_READ_JOURNAL = "jdbc-read-journal-relaxed";

  private TaggedProjections() {}

  /**
   * At least once, asynchronously: the offset is stored after {@code handler}'s
   * future completes, so a handler that tells another entity must be idempotent.
   * It is made per tag and given the instance's name ({@code name/tag}), for the
   * projection's health.
   */
  public static <E> void atLeastOnceAsync(
      ActorSystem<?> system,
      ProjectionJdbc jdbc,
      String name,
      String tagPrefix,
      int slices,
      Function<String, Handler<EventEnvelope<E>>> handler) {
    start(
        system,
        name,
        tagPrefix,
        slices,
        tag -> JdbcProjection.atLeastOnceAsync(ProjectionId.of(name, tag), events(system, name, tag), jdbc.sessions(), () -> handler.apply(name + "/" + tag), system));
  }

  /**
   * Exactly once: {@code handler} writes in the same transaction as the offset.
   * It is made per tag and given the instance's name ({@code name/tag}), for the
   * projection's health.
   */
  public static <E> void exactlyOnce(
      ActorSystem<?> system,
      ProjectionJdbc jdbc,
      String name,
      String tagPrefix,
      int slices,
      Function<String, JdbcHandler<EventEnvelope<E>, ProjectionJdbc.Session>> handler) {
    start(
        system,
        name,
        tagPrefix,
        slices,
        tag ->
            JdbcProjection.exactlyOnce(
                ProjectionId.of(name, tag), events(system, name, tag), jdbc.sessions(), () -> handler.apply(name + "/" + tag), system));
  }

  private static <E> SourceProvider<Offset, EventEnvelope<E>> events(ActorSystem<?> system, String name, String tag) {
    return EventSourcedProvider.eventsByTag(system, readJournal(system.settings().config(), name), tag);
  }

  /** The read journal plugin a projection of this name polls through. */
  static String readJournal(Config config, String name) {
    List<String> relaxed = config.getStringList("rendan.projection.relaxed.names");
    return relaxed.contains(name) ? RELAXED_READ_JOURNAL : JdbcReadJournal.Identifier();
  }

  private static void start(
      ActorSystem<?> system, String name, String tagPrefix, int slices, Function<String, Projection<?>> projection) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            name,
            slices,
            slice -> ProjectionBehavior.create(projection.apply(tagPrefix + slice)),
            ProjectionBehavior.stopMessage());
  }
}
