package io.rendan.load.client;

import io.rendan.protocol.api.v1.Push;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The WebSocket side of the load generator: a few selector threads that carry
 * every {@link WsConnection} of a run, so that 5 000 subscribers cost two
 * threads rather than 5 000 (or the JDK client's executor and its CPU per
 * frame). Connections are dealt out to the threads in turn; each connection is
 * read, written and answered on its own thread only, so its callbacks must not
 * block.
 */
public final class WsClient implements AutoCloseable {
  /** As wrk's {@code -t2}, and as the HTTP lanes. */
  public static final int DEFAULT_THREADS = 2;

  /** How often a loop looks at its connections' clocks: connect timeouts, and probes of stalled ones. */
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final Loop[] loops;
  private final AtomicInteger next = new AtomicInteger();
  private volatile boolean closed;

  public WsClient(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("a WebSocket client needs at least one thread");
    }
    loops = new Loop[threads];
    try {
      for (int i = 0; i < threads; i++) {
        loops[i] = new Loop(i);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector", e);
    }
    for (Loop l : loops) {
      l.thread.start();
    }
  }

  /** Opens a connection to {@code uri} (ws://) as {@code token}'s subject; completes once the upgrade is done. */
  public CompletableFuture<WsConnection> open(URI uri, String token, boolean binary, Consumer<Push> onPush) {
    if (closed) {
      return CompletableFuture.failedFuture(new IOException("WebSocket client closed"));
    }
    Loop loop = loops[Math.floorMod(next.getAndIncrement(), loops.length)];
    WsConnection c = new WsConnection(loop, uri, token, binary, onPush);
    loop.execute(c::connect);
    return c.opened();
  }

  public int threads() {
    return loops.length;
  }

  /** Ends the threads; connections still open are dropped. */
  @Override
  public void close() {
    closed = true;
    for (Loop l : loops) {
      l.selector.wakeup();
    }
  }

  /** One selector thread: its connections' sockets, and tasks handed to it by other threads. */
  final class Loop implements Runnable {
    final Selector selector;
    final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean woken = new AtomicBoolean();
    private final java.util.List<WsConnection> connections = new java.util.ArrayList<>();
    long now = System.nanoTime();

    Loop(int index) throws IOException {
      selector = Selector.open();
      thread = new Thread(this, "ws-client-" + index);
      thread.setDaemon(true);
    }

    /** Runs {@code task} on this loop: at once when called from it, else at its next turn. */
    void execute(Runnable task) {
      if (Thread.currentThread() == thread) {
        task.run();
        return;
      }
      tasks.add(task);
      if (woken.compareAndSet(false, true)) {
        selector.wakeup();
      }
    }

    /** Whether the client is closing: no new connection starts. */
    boolean stopping() {
      return closed;
    }

    void add(WsConnection c) {
      connections.add(c);
    }

    void remove(WsConnection c) {
      connections.remove(c);
    }

    @Override
    public void run() {
      long lastTick = now;
      long tickMillis = TimeUnit.NANOSECONDS.toMillis(TICK_NANOS);
      try {
        while (!closed) {
          woken.set(false);
          Runnable task;
          while ((task = tasks.poll()) != null) {
            runSafely(task);
          }
          selector.select(this::ready, tickMillis);
          now = System.nanoTime();
          if (now - lastTick >= TICK_NANOS) {
            lastTick = now;
            for (WsConnection c : connections.toArray(WsConnection[]::new)) {
              c.tick(now);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        System.err.println(thread.getName() + " failed: " + e);
      } finally {
        for (WsConnection c : connections.toArray(WsConnection[]::new)) {
          c.drop("the load generator's WebSocket client closed");
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
          runSafely(task);
        }
        try {
          selector.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }

    private void ready(SelectionKey key) {
      WsConnection c = (WsConnection) key.attachment();
      try {
        c.ready(key);
      } catch (RuntimeException e) {
        c.drop("client failure: " + e);
      }
    }

    private void runSafely(Runnable task) {
      try {
        task.run();
      } catch (RuntimeException e) {
        // a scenario's bug must not stop the loop
        e.printStackTrace();
      }
    }
  }
}
