package io.rendan.load.scenario;

import java.util.function.BooleanSupplier;

import io.rendan.load.client.HttpLane;

final class Waits {
  private Waits() {}

  /**
   * Lets a lane finish: waits for what is queued and in flight until the
   * deadline, then drops what has still not been sent (so that nothing reaches
   * the node while the run is checked) and waits for what is in flight, which
   * ends within the request timeout.
   */
  static void drain(HttpLane lane, long deadlineNanos) throws InterruptedException {
    if (!until(() -> lane.outstanding() == 0, deadlineNanos)) {
      lane.cancelQueued();
      until(() -> lane.outstanding() == 0, System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1));
    }
  }

  /** Polls {@code done} until it holds or the deadline passes; answers whether it held. */
  static boolean until(BooleanSupplier done, long deadlineNanos) throws InterruptedException {
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadlineNanos >= 0) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
