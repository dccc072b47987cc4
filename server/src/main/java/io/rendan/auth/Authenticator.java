package io.rendan.auth;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import io.rendan.http.WsFraming;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.javadsl.Flow;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.Route;

/** The directive every API route sits behind: a valid bearer token, or 401. */
public final class Authenticator {
  /** The subprotocol a browser asks for, beside {@code bearer.<token>}, when it cannot send headers. */
  public static final String WS_PROTOCOL = "rendan.v1";
  private static final String WS_TOKEN_PREFIX = "bearer.";

  private final Jwt jwt;
  private final HttpCodec codec;
  private final List<String> allowedOrigins;
  private final SubjectLimits limits;

  public Authenticator(Jwt jwt, HttpCodec codec) {
    this(jwt, codec, List.of());
  }

  public Authenticator(Jwt jwt, HttpCodec codec, List<String> allowedOrigins) {
    this(jwt, codec, allowedOrigins, new SubjectLimits(SubjectLimits.GENEROUS));
  }

  /**
   * {@code allowedOrigins}: browser origins that may open WebSockets besides the
   * server's own ("*": any). {@code limits}: what one subject may use.
   */
  public Authenticator(Jwt jwt, HttpCodec codec, List<String> allowedOrigins, SubjectLimits limits) {
    this.jwt = jwt;
    this.codec = codec;
    this.allowedOrigins = List.copyOf(allowedOrigins);
    this.limits = limits;
  }

  /**
   * The WebSocket handshake: the origin of a browser must be the server's own or
   * a configured one; the token comes in the Authorization header or, from a
   * browser (which cannot set headers on a WebSocket), as the subprotocol
   * {@code bearer.<token>} offered beside {@value #WS_PROTOCOL}, which the server
   * then selects. The token never appears in a URL, so never in access logs.
   */
  public Route webSocket(Function<Caller, Flow<Message, Message, ?>> session, int maxMessageBytes) {
    return extractRequest(
        request -> {
          Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
          if (origin.isPresent() && !originAllowed(origin.get(), request)) {
            return complete(codec.error(request, new ApiException(ErrorCodes.AUTH_FORBIDDEN, "this origin may not open a WebSocket here")));
          }
          Optional<String> authorization = request.getHeader("Authorization").map(HttpHeader::value);
          List<String> offered =
              request
                  .getHeader("Sec-WebSocket-Protocol")
                  .map(h -> List.of(h.value().split("\\s*,\\s*")))
                  .orElse(List.of());
          Optional<String> protocolToken =
              offered.stream().filter(p -> p.startsWith(WS_TOKEN_PREFIX)).map(p -> p.substring(WS_TOKEN_PREFIX.length())).findFirst();
          try {
            boolean inHeader = authorization.isPresent() || protocolToken.isEmpty();
            if (!inHeader && !offered.contains(WS_PROTOCOL)) {
              throw new ApiException(ErrorCodes.REQUEST_INVALID, "offer the subprotocol " + WS_PROTOCOL + " beside the token");
            }
            Caller caller = inHeader ? verify(authorization) : jwt.verify(protocolToken.get());
            if (request.getAttribute(AttributeKeys.webSocketUpgrade).isEmpty()) {
              // not an upgrade: refused as such, before anything is counted
              return handleWebSocketMessages(Flow.<Message>create());
            }
            Duration wait = limits.acquire(caller.subject());
            if (!wait.isZero()) {
              return complete(tooMany(request, wait));
            }
            if (!limits.openConnection(caller.subject())) {
              throw new ApiException(
                  AuthCodes.WS_TOO_MANY_CONNECTIONS,
                  "at most " + limits.settings().maxWsConnections() + " WebSocket connections at once per subject");
            }
            Flow<Message, Message, ?> flow = paced(caller, session.apply(caller));
            // frames straight to the session's stage, without a substream per message (see WsFraming)
            UpgradeToWebSocketLowLevel upgrade =
                (UpgradeToWebSocketLowLevel) request.getAttribute(AttributeKeys.webSocketUpgrade).get();
            return complete(
                upgrade.handleFrames(
                    WsFraming.server(flow, maxMessageBytes),
                    inHeader ? scala.Option.empty() : scala.Option.apply(WS_PROTOCOL)));
          } catch (ApiException e) {
            return complete(codec.error(request, e));
          }
        });
  }

  /**
   * The session's incoming messages, each taken from the subject's request
   * bucket: past its rate they are read later (backpressure to the client
   * through TCP), not refused. The connection is counted until it ends.
   */
  private Flow<Message, Message, ?> paced(Caller caller, Flow<Message, Message, ?> session) {
    String subject = caller.subject();
    return Flow.<Message>create()
        .mapAsync(
            1,
            message -> {
              Duration wait = limits.acquire(subject);
              return wait.isZero()
                  ? CompletableFuture.completedFuture(message)
                  : CompletableFuture.supplyAsync(
                      () -> message, CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS));
            })
        .via(session)
        .watchTermination(
            (mat, done) -> {
              done.whenComplete((ok, failure) -> limits.closeConnection(subject));
              return NotUsed.getInstance();
            });
  }

  /** 429 {@code request:rate-limited}, with when to try again. */
  private HttpResponse tooMany(HttpRequest request, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    return codec
        .error(request, new ApiException(AuthCodes.REQUEST_RATE_LIMITED, "too many requests; try again in " + seconds + " s"))
        .removeHeader("Retry-After")
        .addHeader(RawHeader.create("Retry-After", Long.toString(seconds)));
  }

  private boolean originAllowed(String origin, HttpRequest request) {
    if (allowedOrigins.contains("*") || allowedOrigins.contains(origin)) {
      return true;
    }
    Optional<String> host = request.getHeader("Host").map(HttpHeader::value);
    return host.isPresent() && (origin.equals("http://" + host.get()) || origin.equals("https://" + host.get()));
  }

  public Route authenticated(Function<Caller, Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            extractRequest(
                request -> {
                  Caller caller;
                  try {
                    caller = verify(header);
                  } catch (ApiException e) {
                    return complete(codec.error(request, e));
                  }
                  Duration wait = limits.acquire(caller.subject());
                  if (!wait.isZero()) {
                    return complete(tooMany(request, wait));
                  }
                  return inner.apply(caller);
                }));
  }

  public Caller verify(Optional<String> authorization) {
    String value = authorization.orElseThrow(() -> unauthenticated("an Authorization: Bearer token is required"));
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthenticated("an Authorization: Bearer token is required");
    }
    return jwt.verify(value.substring(7).trim());
  }

  private static ApiException unauthenticated(String message) {
    return new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, message);
  }
}
