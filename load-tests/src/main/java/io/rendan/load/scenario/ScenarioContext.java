package io.rendan.load.scenario;

import io.rendan.load.Options;
import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.load.client.Tokens;
import io.rendan.load.metrics.ScenarioMetrics;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.util.Optional;

/**
 * What a scenario gets from the harness: the node's API, tokens, one shared HTTP
 * client, the metrics to record into, the command-line options (scenario
 * settings such as {@code --mes}), and the node itself when the harness started it.
 *
 * @param runId short and unique per run: scenarios put it in the ids they
 *     create, so that runs against the same node never collide
 * @param connections HTTP connections (requests in flight) per lane
 * @param backlog requests a lane holds back before refusing new ones
 * @param smoke a short check rather than a measurement: scenarios size their fixtures down
 */
public record ScenarioContext(
    String runId,
    Api api,
    Tokens tokens,
    HttpClient http,
    ScenarioMetrics metrics,
    Options options,
    int connections,
    int backlog,
    boolean smoke,
    PrintStream log,
    Optional<NodeControl> node) {

  /** A lane of at most {@link #connections} requests in flight. */
  public HttpLane lane() {
    return new HttpLane(http, connections, backlog);
  }

  /** The node under load, when the harness runs it: for crash and recovery scenarios. */
  public interface NodeControl {
    long pid();
  }
}
