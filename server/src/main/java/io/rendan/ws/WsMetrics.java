package io.rendan.ws;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket meters of a node: connections open now, and frames that were never
 * sent because the client's outgoing buffer was full (the connection is then
 * closed) or the connection had already closed.
 */
public final class WsMetrics {
  private final AtomicInteger open = new AtomicInteger();
  private final Counter droppedBufferFull;
  private final Counter droppedClosed;

  public WsMetrics(MeterRegistry registry) {
    Gauge.builder("rendan.ws.connections", open, AtomicInteger::get)
        .description("WebSocket connections open on this node")
        .register(registry);
    droppedBufferFull = dropped(registry, "buffer-full");
    droppedClosed = dropped(registry, "closed");
  }

  private static Counter dropped(MeterRegistry registry, String reason) {
    return Counter.builder("rendan.ws.frames.dropped")
        .description("WebSocket frames not sent: the client's outgoing buffer was full, or the connection had closed")
        .tag("reason", reason)
        .register(registry);
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed() {
    open.decrementAndGet();
  }

  void droppedBufferFull() {
    droppedBufferFull.increment();
  }

  void droppedClosed() {
    droppedClosed.increment();
  }
}
