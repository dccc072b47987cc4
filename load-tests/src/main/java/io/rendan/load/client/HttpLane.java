package io.rendan.load.client;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Asynchronous HTTP/1.1 requests with at most {@code maxInFlight} outstanding.
 * The JDK client opens a new connection for every concurrent request and has no
 * limit of its own, so requests beyond the limit wait here, in order, and the
 * number of open connections stays near {@code maxInFlight}, as with a pooled
 * client of a real app. The wait counts in the latency, which is taken from the
 * intended send time by the caller. A queue longer than {@code maxQueued} makes
 * new requests fail at once ({@link BacklogFull}) instead of filling the heap.
 */
public final class HttpLane {
  /** The lane refused a request because too many were waiting. */
  public static final class BacklogFull extends RuntimeException {
    BacklogFull() {
      super("load generator backlog full", null, false, false);
    }
  }

  private record Pending(HttpRequest request, BiConsumer<HttpResponse<byte[]>, Throwable> done) {}

  private final HttpClient client;
  private final int maxInFlight;
  private final int maxQueued;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();

  public HttpLane(HttpClient client, int maxInFlight, int maxQueued) {
    this.client = client;
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
  }

  public void submit(HttpRequest request, BiConsumer<HttpResponse<byte[]>, Throwable> done) {
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      done.accept(null, new BacklogFull());
      return;
    }
    queue.add(new Pending(request, done));
    pump();
  }

  /** Requests sent and not yet answered, plus those waiting for a connection. */
  public int outstanding() {
    return inFlight.get() + queued.get();
  }

  private void pump() {
    while (true) {
      int n = inFlight.get();
      if (n >= maxInFlight) {
        return;
      }
      if (!inFlight.compareAndSet(n, n + 1)) {
        continue;
      }
      Pending next = queue.poll();
      if (next == null) {
        inFlight.decrementAndGet();
        // a request added between the poll and the decrement would otherwise wait for the next completion
        if (queue.isEmpty()) {
          return;
        }
        continue;
      }
      queued.decrementAndGet();
      send(next);
    }
  }

  private void send(Pending p) {
    try {
      client
          .sendAsync(p.request(), HttpResponse.BodyHandlers.ofByteArray())
          .whenComplete(
              (response, failure) -> {
                inFlight.decrementAndGet();
                try {
                  p.done().accept(response, failure);
                } finally {
                  pump();
                }
              });
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      p.done().accept(null, e);
    }
  }
}
