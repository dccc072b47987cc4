package io.rendan.projection;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Which projection instances on this node are stopped on an envelope they cannot
 * apply. A projection retries a failed envelope from its last offset, for ever, and
 * holds back every later event of its tag while it does: that must show at once, as
 * a readiness check that fails ({@code projection:<name>/<tag>}), as metrics and in
 * the handler's log line naming the event, never as a silent stop.
 */
public final class ProjectionHealth implements Extension {
  /** The envelope an instance is stuck on, and since when (nanoTime). */
  public record Stuck(String instance, String event, String error, long sinceNanos) {}

  private final Map<String, Stuck> stuck = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;

  public static ProjectionHealth get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /**
   * An envelope of {@code instance} failed. Returns true the first time this
   * envelope fails in a row, so that the caller logs it loudly once per envelope.
   */
  public boolean failed(String instance, String event, Throwable error) {
    counter(instance).incrementAndGet();
    boolean[] first = {false};
    stuck.compute(
        instance,
        (i, before) -> {
          if (before != null && before.event().equals(event)) {
            return before;
          }
          first[0] = true;
          return new Stuck(instance, event, String.valueOf(error), System.nanoTime());
        });
    return first[0];
  }

  /** An envelope of {@code instance} was applied: it moves again. */
  public void applied(String instance) {
    counter(instance);
    stuck.remove(instance);
  }

  /**
   * Shows every instance this node runs as {@code rendan_projection_failures_total}
   * and {@code rendan_projection_stuck_seconds} (0 while it moves).
   */
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    failures.keySet().forEach(i -> register(registry, i));
  }

  private AtomicLong counter(String instance) {
    AtomicLong count = failures.get(instance);
    if (count != null) {
      return count;
    }
    AtomicLong created = new AtomicLong();
    AtomicLong raced = failures.putIfAbsent(instance, created);
    if (raced != null) {
      return raced;
    }
    MeterRegistry r = registry;
    if (r != null) {
      register(r, instance);
    }
    return created;
  }

  private void register(MeterRegistry registry, String instance) {
    FunctionCounter.builder("rendan.projection.failures", this, h -> h.failures(instance))
        .description("envelopes a projection instance failed to apply, retries included")
        .tag("projection", instance)
        .register(registry);
    Gauge.builder("rendan.projection.stuck", this, h -> h.stuckFor(instance).toMillis() / 1000.0)
        .description("how long a projection instance has retried the envelope it is stuck on")
        .baseUnit("seconds")
        .tag("projection", instance)
        .register(registry);
  }

  public List<Stuck> stuck() {
    return List.copyOf(stuck.values());
  }

  /** Failed envelopes of an instance since start, retries included. */
  public long failures(String instance) {
    AtomicLong count = failures.get(instance);
    return count == null ? 0 : count.get();
  }

  /** How long an instance has been stuck on its current envelope; zero when it moves. */
  public Duration stuckFor(String instance) {
    Stuck s = stuck.get(instance);
    return s == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - s.sinceNanos());
  }

  private static final class Id extends ExtensionId<ProjectionHealth> {
    static final Id INSTANCE = new Id();

    @Override
    public ProjectionHealth createExtension(ActorSystem<?> system) {
      return new ProjectionHealth();
    }
  }
}
