package io.rendan.load.client;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The one client of the calls off the measured path: readiness and membership
 * polls, management and metrics reads, the simulator's provisioning. It is the
 * JDK's {@link HttpClient}, shared, so that every such call behaves alike. The
 * measured operations go through {@link HttpLane} (its own NIO connections, no
 * thread per request); WebSocket and device streams hold connections of their own
 * ({@link WsConnection}, {@code loadtest.device.DeviceConnection}).
 */
public final class ControlHttp {
  /** HTTP/1.1 as the node speaks it; a connection that a node refuses fails within the connect timeout. */
  public static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private ControlHttp() {}
}
