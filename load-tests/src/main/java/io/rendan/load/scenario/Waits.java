package io.rendan.load.scenario;

import java.util.function.BooleanSupplier;

final class Waits {
  private Waits() {}

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
