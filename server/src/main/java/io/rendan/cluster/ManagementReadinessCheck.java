package io.rendan.cluster;

import io.rendan.http.Readiness;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The node's own readiness ({@link Readiness}) as a Pekko Management readiness
 * check, so that {@code /ready} on the management port agrees with
 * {@code /health/ready} on the API port. Management creates it by reflection
 * from {@code pekko.management.health-checks.readiness-checks}.
 */
public final class ManagementReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  private final Readiness readiness;

  public ManagementReadinessCheck(ActorSystem system) {
    this.readiness =
        new Readiness(Adapter.toTyped(system), system.settings().config().getDuration("rendan.health.journal-timeout"));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return readiness.failedChecks().thenApply(failed -> failed.isEmpty());
  }
}
