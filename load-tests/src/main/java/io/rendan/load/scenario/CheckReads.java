package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reads of an end-of-run check, bounded in time. Each read goes through the
 * nodes in turn (one lane per node, skipping nodes that are away), several at
 * once, and is sent again while its answer means "not now" (503 while an entity
 * recovers or its shard moves, 429, a timeout or a refused connection) until
 * {@link ScenarioContext#checkDeadline()}. What has no definite answer by then
 * is named as unconfirmed: a check ends with what it could not confirm instead
 * of waiting on a node that does not answer.
 *
 * <p>Reads once sent one at a time through one lane each waited up to the lane's
 * timeout: 300 of them, after a rolling restart that left a node's appliances
 * failing their recovery for minutes, waited for an hour.
 */
final class CheckReads {
  /** A read: {@code key} names it in the result (an entity id), {@code request} is the GET. */
  record Read(String key, HttpLane.Request request) {}

  /** Definite answers by key (200, or a 4xx that will not change), and the rest with the last thing each got. */
  record Result(Map<String, HttpLane.Response> answered, Map<String, String> unconfirmed) {
    /** One line naming the first few unconfirmed keys and what they got, for a check's problems. */
    String unconfirmedLine(String what) {
      List<String> first = new ArrayList<>();
      unconfirmed.entrySet().stream().limit(5).forEach(e -> first.add(e.getKey() + " (" + e.getValue() + ")"));
      return unconfirmed.size() + " " + what + " not confirmed before the check's deadline: " + String.join(", ", first) + (unconfirmed.size() > 5 ? ", ..." : "");
    }
  }

  private static final long RETRY_PAUSE_MILLIS = 250;

  private CheckReads() {}

  /** Reads everything in {@code reads}, at most {@code parallel} at once, until done or the check's deadline. */
  static Result readAll(ScenarioContext context, String what, List<Read> reads, int parallel) throws InterruptedException {
    long deadline = context.checkDeadline();
    List<Api> nodes = context.nodes();
    List<HttpLane> lanes = new ArrayList<>();
    for (Api node : nodes) {
      lanes.add(node.lane(parallel, reads.size() + parallel));
    }
    Map<String, HttpLane.Response> answered = new ConcurrentHashMap<>();
    Map<String, String> lastCode = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(reads.size());
    Semaphore slots = new Semaphore(parallel);
    AtomicInteger turn = new AtomicInteger();
    AtomicInteger confirmed = new AtomicInteger();
    ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "check-retries");
      t.setDaemon(true);
      return t;
    });
    try {
      for (Read read : reads) {
        if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          break; // the rest were never sent: unconfirmed
        }
        send(context, read, lanes, turn, deadline, answered, lastCode, done, slots, confirmed, retries, what, reads.size());
      }
      done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } finally {
      retries.shutdownNow();
      lanes.forEach(HttpLane::close);
    }
    Map<String, String> unconfirmed = new LinkedHashMap<>();
    for (Read read : reads) {
      if (!answered.containsKey(read.key())) {
        unconfirmed.put(read.key(), lastCode.getOrDefault(read.key(), "never sent"));
      }
    }
    return new Result(Map.copyOf(answered), unconfirmed);
  }

  private static void send(
      ScenarioContext context,
      Read read,
      List<HttpLane> lanes,
      AtomicInteger turn,
      long deadline,
      Map<String, HttpLane.Response> answered,
      Map<String, String> lastCode,
      CountDownLatch done,
      Semaphore slots,
      AtomicInteger confirmed,
      ScheduledExecutorService retries,
      String what,
      int total) {
    HttpLane lane = lanes.get(context.liveNodeIndex(turn.getAndIncrement()));
    lane.submit(
        read.request(),
        (response, failure) -> {
          boolean definite = response != null && (response.status() == 200 || (response.status() >= 400 && response.status() < 500 && response.status() != 429));
          if (definite) {
            answered.put(read.key(), response);
            context.checkProgress(confirmed.incrementAndGet() + " of " + total + " " + what + " read");
          } else {
            lastCode.put(read.key(), response != null ? response.status() + " " + Api.errorCode(response) : Api.failureCode(failure));
          }
          if (definite || System.nanoTime() - deadline >= 0) {
            slots.release();
            done.countDown();
            return;
          }
          try {
            retries.schedule(
                () -> send(context, read, lanes, turn, deadline, answered, lastCode, done, slots, confirmed, retries, what, total),
                RETRY_PAUSE_MILLIS,
                TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.RejectedExecutionException e) {
            slots.release(); // the check is over
            done.countDown();
          }
        });
  }
}
