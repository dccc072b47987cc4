package io.rendan.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.IncomingConnection;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts the node's HTTP connections: at most {@code maxConnections} in all (as
 * Pekko's own {@code max-connections}), at most {@code maxPerAddress} from one
 * client address, so that one client cannot hold the node's connections; and a
 * connection that sends no request within {@code firstRequestTimeout} is closed,
 * long before Pekko's idle timeout. What a connection does after its first
 * request (a telemetry stream, a WebSocket) is not limited here.
 */
public final class ConnectionGate {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);

  /** {@code maxPerAddress} 0: no limit per address. */
  public record Settings(int maxConnections, int maxPerAddress, Duration firstRequestTimeout) {}

  private final Settings settings;
  private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();

  public ConnectionGate(Settings settings) {
    this.settings = settings;
  }

  public CompletionStage<ServerBinding> bind(
      ServerBuilder server, Flow<HttpRequest, HttpResponse, NotUsed> handler, Materializer materializer) {
    return server
        .connectionSource()
        .mapAsyncUnordered(settings.maxConnections(), connection -> handle(connection, handler, materializer))
        .toMat(Sink.ignore(), Keep.left())
        .run(materializer);
  }

  private CompletionStage<Done> handle(
      IncomingConnection connection, Flow<HttpRequest, HttpResponse, NotUsed> handler, Materializer materializer) {
    InetAddress address = connection.remoteAddress().getAddress();
    if (!admit(address)) {
      log.debug("connection from {} refused: it holds {} already", address, settings.maxPerAddress());
      connection.handleWith(Flow.fromSinkAndSourceCoupled(Sink.<HttpRequest>cancelled(), Source.<HttpResponse>empty()), materializer);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    CompletionStage<Done> done;
    try {
      done =
          connection.handleWith(
              Flow.of(HttpRequest.class)
                  // Fails the connection's flow, which closes it. Pekko HTTP then writes an
                  // empty 500 with Connection: close before closing; completing the flow
                  // instead left the connection open until the idle timeout.
                  .initialTimeout(settings.firstRequestTimeout())
                  .via(handler)
                  .watchTermination(Keep.right()),
              materializer);
    } catch (RuntimeException e) {
      release(address);
      throw e;
    }
    return done.handle(
        (d, failure) -> {
          release(address);
          return Done.getInstance();
        });
  }

  private boolean admit(InetAddress address) {
    if (address == null) {
      return true;
    }
    boolean[] admitted = {true};
    open.compute(
        address,
        (a, count) -> {
          int now = count == null ? 0 : count;
          if (settings.maxPerAddress() > 0 && now >= settings.maxPerAddress()) {
            admitted[0] = false;
            return count;
          }
          return now + 1;
        });
    if (!admitted[0]) {
      return false;
    }
    return true;
  }

  private void release(InetAddress address) {
    if (address != null) {
      open.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
    }
  }

  /** Connections open from an address (tests, metrics). */
  public int openFrom(InetAddress address) {
    return open.getOrDefault(address, 0);
  }
}
