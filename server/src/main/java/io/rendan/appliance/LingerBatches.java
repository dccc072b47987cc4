package io.rendan.appliance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * Groups a device stream's readings into batches: a batch goes downstream when
 * downstream asks for one and {@code linger} has passed since the stream's
 * previous batch went out, or it holds {@code maxBatch}, or the stream ends.
 * While downstream is busy (a write in flight) readings keep joining the
 * waiting batch; a full batch holds the stream back.
 *
 * <p>So a stream writes at most once per linger, and a reading on a quiet stream
 * (its previous batch went out a linger or more ago: the common case of a
 * device sending a reading every second or so) goes at once, without a timer.
 * Waiting a linger for readings that will not come saved no write and cost a
 * timer, its message to the stream's actor and the linger's delay on every ack.
 *
 * <p>What {@code groupedWithin} does, without its clock: that stage ticks every
 * interval for as long as the stream lives, busy or idle, and each tick is a
 * message to the stream's actor. With 10 000 devices connected and a 50 ms
 * linger that is 200 000 messages a second of which nearly all find nothing to
 * do. Here a timer is armed only when a batch gets its first reading within a
 * linger of the previous batch, once.
 */
final class LingerBatches<T> extends GraphStage<FlowShape<T, List<T>>> {
  private final int maxBatch;
  private final Duration linger;
  private final long lingerNanos;
  private final Inlet<T> in = Inlet.create("LingerBatches.in");
  private final Outlet<List<T>> out = Outlet.create("LingerBatches.out");
  private final FlowShape<T, List<T>> shape = FlowShape.of(in, out);

  LingerBatches(int maxBatch, Duration linger) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be 1 or more");
    }
    this.maxBatch = maxBatch;
    this.linger = linger;
    this.lingerNanos = linger.toNanos();
  }

  @Override
  public FlowShape<T, List<T>> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private List<T> batch = new ArrayList<>();
      /** The waiting batch may go: a linger has passed since the previous one went out. */
      private boolean due;
      private boolean finishing;
      /** When the previous batch went out ({@link System#nanoTime}); none yet: long ago. */
      private long lastEmitted = System.nanoTime() - lingerNanos;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                if (batch.isEmpty()) {
                  long quietFor = System.nanoTime() - lastEmitted;
                  if (quietFor >= lingerNanos) {
                    due = true;
                  } else {
                    scheduleOnce("linger", Duration.ofNanos(lingerNanos - quietFor));
                  }
                }
                batch.add(grab(in));
                if (batch.size() >= maxBatch) {
                  due = true;
                }
                if (due && isAvailable(out)) {
                  emitBatch();
                }
                if (batch.size() < maxBatch && !hasBeenPulled(in)) {
                  pull(in);
                }
              }

              @Override
              public void onUpstreamFinish() {
                finishing = true;
                if (batch.isEmpty()) {
                  completeStage();
                } else if (isAvailable(out)) {
                  emitBatch();
                  completeStage();
                }
                // otherwise onPull sends the last batch and completes
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                if (!batch.isEmpty() && (due || finishing)) {
                  emitBatch();
                  if (finishing) {
                    completeStage();
                  }
                }
              }
            });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      @Override
      public void onTimer(Object key) {
        due = true;
        if (isAvailable(out) && !batch.isEmpty()) {
          emitBatch();
        }
      }

      private void emitBatch() {
        List<T> full = batch;
        batch = new ArrayList<>();
        due = false;
        cancelTimer("linger");
        lastEmitted = System.nanoTime();
        push(out, full);
        if (!finishing && !hasBeenPulled(in) && !isClosed(in)) {
          pull(in); // a full batch held the stream back
        }
      }
    };
  }
}
