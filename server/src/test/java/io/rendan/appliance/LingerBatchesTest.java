package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The ingest's batching stage on a real stream: when a batch leaves, and what it holds. */
@Tag("unit")
class LingerBatchesTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A running stream: readings go in through the queue, batches come out in {@code batches}. */
  static final class Run {
    final BlockingQueue<List<Integer>> batches = new LinkedBlockingQueue<>();
    final BoundedSourceQueue<Integer> readings;

    Run(int maxBatch, Duration linger, java.util.function.Function<List<Integer>, java.util.concurrent.CompletionStage<List<Integer>>> write) {
      readings =
          Source.<Integer>queue(1000)
              .via(new LingerBatches<>(maxBatch, linger))
              .mapAsync(1, write::apply)
              .to(Sink.foreach(batches::add))
              .run(testKit.system());
    }

    Run(int maxBatch, Duration linger) {
      this(maxBatch, linger, CompletableFuture::completedFuture);
    }

    void offer(int... values) {
      for (int v : values) {
        assertTrue(readings.offer(v).isEnqueued(), "enqueued " + v);
      }
    }

    List<Integer> next() throws InterruptedException {
      List<Integer> batch = batches.poll(10, TimeUnit.SECONDS);
      assertNotNull(batch, "a batch within 10 s");
      return batch;
    }
  }

  @Test
  void aFullBatchLeavesAtOnceAndTheRestWhenTheStreamEnds() throws Exception {
    Run run = new Run(3, Duration.ofHours(1));
    run.offer(1, 2, 3, 4, 5, 6, 7, 8);
    assertEquals(List.of(1), run.next(), "the stream was quiet: its first reading waits for nothing");
    assertEquals(List.of(2, 3, 4), run.next(), "full: without waiting the hour since the first");
    assertEquals(List.of(5, 6, 7), run.next());
    run.readings.complete();
    assertEquals(List.of(8), run.next(), "the last, short batch, without waiting its hour");
  }

  @Test
  void aReadingOnAQuietStreamLeavesAtOnceAndTheNextWaitsTheLingerOfThePrevious() throws Exception {
    Run run = new Run(100, Duration.ofSeconds(1));
    long started = System.nanoTime();
    run.offer(1);
    assertEquals(List.of(1), run.next());
    long firstMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(firstMs < 700, "the first reading waited for nothing: left after " + firstMs + " ms");
    // within the linger of that batch: these wait for the rest of it, together
    run.offer(2, 3);
    assertEquals(List.of(2, 3), run.next());
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(waitedMs >= 990, "the second batch left " + waitedMs + " ms after the first reading came: before the first batch's linger ended");
    // a linger after the last batch the stream is quiet again: the next reading goes at once
    Thread.sleep(1100); // the quiet time itself is what is tested: nothing to probe for
    long quiet = System.nanoTime();
    run.offer(4);
    assertEquals(List.of(4), run.next());
    long lastMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quiet);
    assertTrue(lastMs < 700, "after a quiet linger the reading went at once: left after " + lastMs + " ms");
  }

  @Test
  void whatArrivesWhileAWriteIsInFlightLeavesAsOneBatch() throws Exception {
    CompletableFuture<List<Integer>> firstWrite = new CompletableFuture<>();
    BlockingQueue<List<Integer>> started = new LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    Run run =
        new Run(
            100,
            Duration.ZERO,
            batch -> {
              started.add(batch);
              return calls.incrementAndGet() == 1 ? firstWrite.thenApply(x -> batch) : CompletableFuture.completedFuture(batch);
            });
    run.offer(1);
    assertEquals(List.of(1), started.poll(10, TimeUnit.SECONDS), "with no linger the first reading goes at once");
    run.offer(2, 3, 4, 5);
    assertNull(run.batches.poll(200, TimeUnit.MILLISECONDS), "nothing leaves while the first write is in flight");
    firstWrite.complete(List.of());
    assertEquals(List.of(1), run.next());
    assertEquals(List.of(2, 3, 4, 5), run.next(), "the readings that waited, together");
  }

  @Test
  void aFullBatchHoldsTheStreamBackUntilItLeaves() throws Exception {
    // each write waits until the test lets it finish, one at a time
    BlockingQueue<CompletableFuture<Void>> writes = new LinkedBlockingQueue<>();
    BlockingQueue<List<Integer>> started = new LinkedBlockingQueue<>();
    Run run =
        new Run(
            2,
            Duration.ZERO,
            batch -> {
              CompletableFuture<Void> write = new CompletableFuture<>();
              writes.add(write);
              started.add(batch);
              return write.thenApply(x -> batch);
            });
    run.offer(1, 2, 3, 4, 5, 6);
    assertEquals(List.of(1), started.poll(10, TimeUnit.SECONDS), "no linger: the first reading goes at once");
    // The stage takes readings from the queue while the first write is out, up
    // to a full batch, and then stops: wait until it holds 2 and 3 (4-6 left in
    // the queue) before that write ends, or a slow machine sees single batches.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (run.readings.size() > 3 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(3, run.readings.size(), "a full batch waits in the stage, the rest in the queue");
    List<Integer> seen = new java.util.ArrayList<>(List.of(1));
    boolean gathered = false;
    while (seen.size() < 6) {
      writes.poll(10, TimeUnit.SECONDS).complete(null);
      List<Integer> batch = started.poll(10, TimeUnit.SECONDS);
      assertNotNull(batch, "the next write after " + seen);
      assertTrue(batch.size() <= 2, "never more than maxBatch: " + batch);
      gathered |= batch.size() == 2;
      seen.addAll(batch);
    }
    assertEquals(List.of(1, 2, 3, 4, 5, 6), seen, "all of them, in order, once");
    assertTrue(gathered, "readings that waited behind a write went together");
    writes.poll(10, TimeUnit.SECONDS).complete(null);
    run.readings.complete();
  }
}
