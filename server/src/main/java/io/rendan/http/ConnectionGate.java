package io.rendan.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one client address may hold of the node's connections, before any
 * credential is seen: a connection that sends no request within {@code
 * firstRequestTimeout} is closed, and a connection whose first request comes from
 * an address that already holds {@code maxPerAddress} connections is answered
 * {@code 429 request:connections.too-many} with {@code Connection: close}.
 *
 * <p>It sits in the handler flow that Pekko HTTP materializes once per connection
 * ({@code newServerAt(...).bindFlow(...)}), not around Pekko's connection source:
 * the binding stays Pekko's own, so its graceful termination (in-flight requests
 * answered, later ones refused with 503, idle connections closed) keeps working.
 * The handler flow is materialized when the connection is accepted, so the timer
 * runs from then; the client's address is known from the first request
 * ({@code remote-address-attribute}), so a connection counts from its first
 * request to its end. A silent one never counts, but lives only until the
 * timeout. A WebSocket leaves the count at its upgrade (Pekko ends the HTTP
 * handler then); from there it counts against its subject's
 * {@code ws-connections-per-subject}.
 */
public final class ConnectionGate {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);

  /**
   * @param maxPerAddress connections one address holds at once; 0: no limit
   * @param firstRequestTimeout how long a new connection may stay without a request; zero: no limit
   */
  public record Settings(int maxPerAddress, Duration firstRequestTimeout) {}

  private final Settings settings;
  private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

  public ConnectionGate(Settings settings) {
    this.settings = settings;
  }

  /** {@code handler}, materialized once per connection, behind the gate. */
  public Flow<HttpRequest, HttpResponse, NotUsed> around(Flow<HttpRequest, HttpResponse, NotUsed> handler) {
    return BidiFlow.fromGraph(new Gate()).join(handler);
  }

  /** Connections counted for an address now (tests). */
  public int openFrom(InetAddress address) {
    return open.getOrDefault(address, 0);
  }

  /** Addresses with connections counted (bounded by the connections open: entries go at zero). */
  public int addresses() {
    return open.size();
  }

  private boolean admit(InetAddress address) {
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
    return admitted[0];
  }

  private void release(InetAddress address) {
    open.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
  }

  static HttpResponse tooMany() {
    return HttpApi.errorResponse(
            429,
            ErrorCodes.REQUEST_TOO_MANY_CONNECTIONS,
            "this address holds as many connections as it may; reuse one, or retry after 1 s")
        .addHeader(RetryAfter.create(1L))
        .addHeader(Connection.create("close"));
  }

  /**
   * One connection: requests from the network (in) to the handler (out),
   * responses from the handler (in) to the network (out).
   */
  private final class Gate extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {
    private final Inlet<HttpRequest> fromNet = Inlet.create("ConnectionGate.fromNet");
    private final Outlet<HttpRequest> toHandler = Outlet.create("ConnectionGate.toHandler");
    private final Inlet<HttpResponse> fromHandler = Inlet.create("ConnectionGate.fromHandler");
    private final Outlet<HttpResponse> toNet = Outlet.create("ConnectionGate.toNet");
    private final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
        BidiShape.of(fromNet, toHandler, fromHandler, toNet);

    @Override
    public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new TimerGraphStageLogic(shape) {
        private boolean first = true;
        private InetAddress counted;

        {
          setHandler(
              fromNet,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  HttpRequest request = grab(fromNet);
                  if (first) {
                    first = false;
                    cancelTimer("first-request");
                    Optional<InetAddress> address =
                        request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress);
                    if (address.isPresent()) {
                      if (!admit(address.get())) {
                        refuse(address.get());
                        return;
                      }
                      counted = address.get();
                    }
                  }
                  push(toHandler, request);
                }

                @Override
                public void onUpstreamFinish() {
                  complete(toHandler);
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                  fail(toHandler, ex);
                }
              });
          setHandler(
              toHandler,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(fromNet);
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                  cancel(fromNet, cause);
                }
              });
          setHandler(
              fromHandler,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  push(toNet, grab(fromHandler));
                }

                @Override
                public void onUpstreamFinish() {
                  complete(toNet);
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                  fail(toNet, ex);
                }
              });
          setHandler(
              toNet,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(fromHandler);
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                  cancel(fromHandler, cause);
                }
              });
        }

        @Override
        public void preStart() {
          if (!settings.firstRequestTimeout().isZero()) {
            scheduleOnce("first-request", settings.firstRequestTimeout());
          }
        }

        /**
         * Closes the connection without an answer: there is no request to answer.
         * Completing towards the server layer (and cancelling the requests) ends
         * Pekko's connection stage with no request open, which closes the socket;
         * failing instead would make Pekko write an unasked 500.
         */
        @Override
        public void onTimer(Object key) {
          log.debug("closing a connection that sent no request within {}", settings.firstRequestTimeout());
          completeStage();
        }

        /** Answers the first request 429 and closes the connection; the handler never sees it. */
        private void refuse(InetAddress address) {
          log.debug("refusing a connection of {}: it holds {} already", address, settings.maxPerAddress());
          cancel(fromNet);
          complete(toHandler);
          cancel(fromHandler);
          emit(toNet, tooMany(), () -> completeStage());
        }

        @Override
        public void postStop() {
          if (counted != null) {
            release(counted);
          }
        }
      };
    }
  }
}
