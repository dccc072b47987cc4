package io.rendan.http;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends this node's long-lived connections cleanly when it stops (SIGTERM, a
 * rolling restart), before its shards hand over: every WebSocket session and
 * every device stream stops taking new work, answers what it took, and ends.
 * Nothing a client sent is then in doubt: it was either answered, or never read
 * (and may be sent again, to another node).
 *
 * <p>A connection's stream takes its work through a {@link Connection#intake()}
 * gate and counts as open until the stream given to {@link Connection#until}
 * ends. Coordinated shutdown closes every gate in its {@code service-unbind}
 * phase (while the port is unbound, before Pekko HTTP terminates the
 * connections in {@code service-requests-done}) and waits, up to
 * {@code rendan.http.drain-timeout}, for the connections to end: an answer in
 * flight waits at most the ask timeout for its entity, which still runs here
 * (a batch of readings, sent again when it is not answered in time, at most
 * {@code rendan.ask-retry.deadline}).
 *
 * <p>A closed gate completes downstream (the session then finishes what it
 * took and completes, and Pekko HTTP closes a WebSocket with status 1000, a
 * chunked response with its last chunk). What the client sends after that is
 * not read: a WebSocket gate keeps pulling and drops it, so that the client's
 * close handshake can still arrive; a device stream's gate cancels its request
 * body, which ends the connection once the response is out.
 */
public final class ConnectionDrain implements Extension {
  private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);

  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  private ConnectionDrain(ActorSystem<?> system) {
    Duration timeout = system.settings().config().getDuration("rendan.http.drain-timeout");
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "rendan-drain-connections",
            () -> drain().toCompletableFuture().completeOnTimeout(Done.getInstance(), timeout.toMillis(), TimeUnit.MILLISECONDS));
  }

  public static ConnectionDrain get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** One connection: {@code keepReading} for a WebSocket (its close handshake), not for a request body. */
  public Connection connection(boolean keepReading) {
    return new Connection(keepReading);
  }

  /** A WebSocket handler that is drained: its input passes a gate, and it counts as open until its output ends. */
  public <I, O> Flow<I, O, NotUsed> around(Flow<I, O, NotUsed> handler) {
    return around(connection -> handler);
  }

  /**
   * The same, for a handler that may also end its connection this way by itself
   * ({@link Connection#end()}: a WebSocket whose token expires).
   */
  public <I, O> Flow<I, O, NotUsed> around(java.util.function.Function<Connection, Flow<I, O, NotUsed>> handler) {
    Connection connection = connection(true);
    return Flow.<I>create().via(connection.<I>intake()).via(handler.apply(connection)).watchTermination(connection::watched);
  }

  /** Whether the node is draining its connections (it is stopping). */
  public boolean draining() {
    return draining;
  }

  /** Closes every gate; completes when every connection has ended. */
  CompletionStage<Done> drain() {
    draining = true;
    List<Connection> now = List.copyOf(open);
    if (!now.isEmpty()) {
      log.info("draining {} connections: each answers what it took, then ends", now.size());
    }
    now.forEach(Connection::close);
    CompletableFuture<?>[] ends = now.stream().map(c -> c.ended).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(ends)
        .thenApply(
            done -> {
              if (!now.isEmpty()) {
                log.info("{} connections drained", now.size());
              }
              return Done.getInstance();
            });
  }

  /** The drained part of one connection's stream. */
  public final class Connection {
    private final boolean keepReading;
    private final CompletableFuture<Done> ended = new CompletableFuture<>();
    private volatile AsyncCallback<Done> closeGate;
    private volatile boolean ending;

    private Connection(boolean keepReading) {
      this.keepReading = keepReading;
    }

    /** Where the connection takes new work: passes it on until the node drains, then completes. */
    public <T> Flow<T, T, NotUsed> intake() {
      return Flow.fromGraph(new Gate<T>(this));
    }

    /** {@code stream}, after which the connection counts as ended (whether it completes or fails). */
    public <T, M> Source<T, M> until(Source<T, M> stream) {
      return stream.watchTermination(this::watched);
    }

    /** The connection's stream started: it counts as open until {@code done}. */
    <M> M watched(M mat, CompletionStage<Done> done) {
      open.add(this);
      done.whenComplete(
          (ok, failure) -> {
            open.remove(this);
            ended.complete(Done.getInstance());
          });
      if (draining) {
        close(); // started after the drain began
      }
      return mat;
    }

    /**
     * Ends this one connection as a drain would: it reads nothing more, answers
     * what it read, and closes (a WebSocket with 1000). For a WebSocket whose
     * token expired: after the close, a request without an answer was never read,
     * whether the node stopped or the token ran out.
     */
    public void end() {
      ending = true;
      close();
    }

    private void close() {
      AsyncCallback<Done> callback = closeGate;
      if (callback != null) {
        callback.invoke(Done.getInstance());
      }
      // not yet materialized: the gate sees `draining` (or `ending`) when it starts
    }
  }

  /** Passes elements until the connection is closed, then completes its output. */
  private final class Gate<T> extends GraphStage<FlowShape<T, T>> {
    private final Connection connection;
    private final Inlet<T> in = Inlet.create("ConnectionDrain.in");
    private final Outlet<T> out = Outlet.create("ConnectionDrain.out");
    private final FlowShape<T, T> shape = FlowShape.of(in, out);

    Gate(Connection connection) {
      this.connection = connection;
    }

    @Override
    public FlowShape<T, T> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new GraphStageLogic(shape) {
        private boolean closed;

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  T element = grab(in);
                  if (closed) {
                    pull(in); // not read: dropped unanswered, the client may send it again
                  } else {
                    push(out, element);
                  }
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }
              });
        }

        @Override
        public void preStart() {
          connection.closeGate = createAsyncCallback(done -> closeGate());
          if (draining || connection.ending) {
            closeGate();
          }
        }

        private void closeGate() {
          if (closed) {
            return;
          }
          closed = true;
          if (!connection.keepReading) {
            completeStage();
            return;
          }
          complete(out);
          if (!hasBeenPulled(in) && !isClosed(in)) {
            pull(in);
          }
        }
      };
    }
  }

  private static final class Id extends ExtensionId<ConnectionDrain> {
    static final Id INSTANCE = new Id();

    @Override
    public ConnectionDrain createExtension(ActorSystem<?> system) {
      return new ConnectionDrain(system);
    }
  }
}
