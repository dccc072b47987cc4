package io.rendan.loadtest.device;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One thread driving many devices: their sockets through one selector, and
 * their clocks by a tick every few milliseconds. Devices are touched only by
 * this thread, so they need no locks.
 */
final class EventLoop implements Runnable {
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final Selector selector;
  private final List<SimulatedDevice> devices = new ArrayList<>();
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;

  EventLoop(int index) throws IOException {
    this.selector = Selector.open();
    this.thread = new Thread(this, "device-loop-" + index);
    this.thread.setDaemon(true);
  }

  /** Before {@link #start}: the devices this loop drives. */
  void add(SimulatedDevice device) {
    devices.add(device);
  }

  void start() {
    thread.start();
  }

  @Override
  public void run() {
    long nextTick = 0;
    try {
      while (running) {
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(TICK_NANOS)));
        Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        while (ready.hasNext()) {
          SelectionKey key = ready.next();
          ready.remove();
          ((DeviceConnection) key.attachment()).handle(key);
        }
        long now = System.nanoTime();
        if (now >= nextTick) {
          for (SimulatedDevice device : devices) {
            device.tick(selector, now);
          }
          nextTick = now + TICK_NANOS;
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println(thread.getName() + " failed: " + e);
    } finally {
      devices.forEach(SimulatedDevice::stop);
      try {
        selector.close();
      } catch (IOException e) {
        // closing anyway
      }
      stopped.countDown();
    }
  }

  void stop() throws InterruptedException {
    running = false;
    selector.wakeup();
    stopped.await(10, TimeUnit.SECONDS);
  }
}
