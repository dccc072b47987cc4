package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.metrics.OperationStats;
import java.util.Map;

/** {@code GET /health/alive}: the trivial route of the node, as a scenario. */
final class HealthScenario implements Scenario {
  private OperationStats alive;
  private HttpLane lane;
  private HttpLane.Request request;

  @Override
  public String name() {
    return "health";
  }

  @Override
  public String description() {
    return "GET /health/alive: the node's trivial route, no authentication, no database";
  }

  @Override
  public void setUp(ScenarioContext context) {
    alive = context.metrics().operation("health.alive", "GET /health/alive");
    lane = context.lane();
    request = context.api().get("/health/alive", null);
  }

  @Override
  public void fire(long intendedNanos) {
    lane.submit(
        request,
        (response, failure) -> {
          if (failure != null) {
            alive.error(intendedNanos, Api.failureCode(failure));
          } else if (response.status() == 200) {
            alive.success(intendedNanos);
          } else {
            alive.error(intendedNanos, Api.errorCode(response));
          }
        });
  }

  @Override
  public void drain(long deadlineNanos) throws InterruptedException {
    Waits.drain(lane, deadlineNanos);
  }

  @Override
  public Verification verify() {
    return Verification.nothingToCheck("reads only: nothing stored, nothing to check");
  }

  @Override
  public Map<String, String> settings() {
    return Map.of();
  }

  @Override
  public void close() {}
}
