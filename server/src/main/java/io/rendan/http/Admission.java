package io.rendan.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Admission control of the node: at most {@code rendan.admission.max-in-flight}
 * writes (HTTP requests other than GET and HEAD, WebSocket requests that change
 * something) are worked on at once; one more is refused at once with {@code 429
 * server:overloaded} and {@code Retry-After}, and nothing of it is done. Under
 * overload clients thus get a clear "not now" instead of an answer that comes
 * later and later, and the node's queues (entity mailboxes, ask timeouts) stay
 * bounded. Reads are not counted: they are answered from memory. The telemetry
 * stream is not counted either: it is one long-lived request, slowed by TCP
 * backpressure instead.
 */
public final class Admission {
  /** The telemetry stream: long-lived, paced by TCP backpressure, never refused here. */
  private static final String TELEMETRY_SUFFIX = "/telemetry";

  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** @param limit writes in flight at most; 0 or less: no limit */
  public Admission(int limit) {
    this.limit = limit;
  }

  public static ApiException overloaded() {
    return new ApiException(ErrorCodes.SERVER_OVERLOADED, "the server is at capacity; nothing was done, retry after 1 s");
  }

  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Runs {@code work} if a place is free, holding it until the work completes;
   * otherwise fails at once with {@link #overloaded()} without running it.
   */
  public <T> CompletionStage<T> admit(Supplier<CompletionStage<T>> work) {
    if (!tryAcquire()) {
      return CompletableFuture.failedFuture(overloaded());
    }
    CompletionStage<T> result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      release();
      return CompletableFuture.failedFuture(e);
    }
    return result.whenComplete((value, failure) -> release());
  }

  /** The node's routes behind admission: writes over the limit get {@code 429 server:overloaded} at once. */
  public Route around(Supplier<Route> inner) {
    return extractRequest(
        request -> {
          if (!counted(request)) {
            return inner.get();
          }
          if (!tryAcquire()) {
            return complete(
                HttpApi.errorResponse(429, ErrorCodes.SERVER_OVERLOADED, overloaded().getMessage())
                    .addHeader(RawHeader.create("Retry-After", "1")));
          }
          // the inner route is sealed: every request ends in a response, and the place is given back then
          return mapResponse(
              response -> {
                release();
                return response;
              },
              inner);
        });
  }

  private static boolean counted(HttpRequest request) {
    return !request.method().equals(HttpMethods.GET)
        && !request.method().equals(HttpMethods.HEAD)
        && !request.getUri().path().endsWith(TELEMETRY_SUFFIX);
  }

  private boolean tryAcquire() {
    if (limit <= 0) {
      return true;
    }
    while (true) {
      int now = inFlight.get();
      if (now >= limit) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  private void release() {
    if (limit > 0) {
      inFlight.decrementAndGet();
    }
  }
}
