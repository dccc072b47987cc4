package io.rendan.load.client;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The calls off the measured path: readiness and membership polls, management
 * and metrics reads, the simulator's provisioning. They go through the same
 * client as the measured operations, {@link HttpLane}, so that the load
 * generator has one HTTP client: here one small lane per address the harness
 * talks to (a node's HTTP port, its management port), opened on first use and
 * kept for the life of the process (its one selector thread is a daemon), each
 * call waiting for its answer. WebSocket and device streams hold connections of
 * their own ({@link WsConnection}, {@code loadtest.device.DeviceConnection}).
 */
public final class ControlHttp {
  /** An answer as control calls read it: the status and the body as text. */
  public record Answer(int status, String body) {}

  /** A call that makes no progress (connect, write or read) for this long fails. */
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  /**
   * Connections per address, opened only when calls overlap (a lane reuses a
   * free connection first): as many as the simulator's provisioning makes at
   * once by default ({@code --parallel 16}).
   */
  private static final int CONNECTIONS = 16;

  /** Calls that may wait for a connection of one address (the simulator's provisioning threads beyond 16). */
  private static final int MAX_QUEUED = 1 << 20;

  private static final Map<String, HttpLane> LANES = new ConcurrentHashMap<>();

  private ControlHttp() {}

  /** {@code GET uri}, waiting for the answer. */
  public static Answer get(URI uri) throws IOException, InterruptedException {
    return call(uri, "GET", null, null, null);
  }

  /** {@code POST uri} with {@code body} as JSON, as {@code token}'s subject when it is not null. */
  public static Answer postJson(URI uri, String token, String json) throws IOException, InterruptedException {
    return call(uri, "POST", token, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  private static Answer call(URI uri, String method, String token, String contentType, byte[] body)
      throws IOException, InterruptedException {
    String path = uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    HttpLane.Response r = lane(uri).send(new HttpLane.Request(method, path, token, contentType, null, body));
    return new Answer(r.status(), new String(r.body(), StandardCharsets.UTF_8));
  }

  /** Plain HTTP only, as every client of the load generator (its streams and WebSockets too): no TLS. */
  private static HttpLane lane(URI uri) {
    if (!"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException(uri + ": the load generator speaks plain http only");
    }
    String address = uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 80);
    return LANES.computeIfAbsent(address, a -> new HttpLane(URI.create("http://" + a), CONNECTIONS, MAX_QUEUED, TIMEOUT, 1));
  }
}
