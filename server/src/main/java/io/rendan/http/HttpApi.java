package io.rendan.http;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.protocol.api.v1.Error;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route table of the node, sealed so that whatever is refused or fails
 * leaves in the API's one error shape, never as Pekko's plain-text defaults or
 * a stack trace.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /** Codes for the refusals Pekko HTTP makes by itself, by status. */
  private static final Map<Integer, String> CODE_BY_STATUS =
      Map.of(
          400, ErrorCodes.REQUEST_MALFORMED,
          401, ErrorCodes.AUTH_UNAUTHENTICATED,
          403, ErrorCodes.AUTH_FORBIDDEN,
          404, ErrorCodes.ROUTE_NOT_FOUND,
          405, ErrorCodes.ROUTE_METHOD_NOT_ALLOWED,
          406, ErrorCodes.REQUEST_NOT_ACCEPTABLE,
          413, ErrorCodes.REQUEST_TOO_LARGE,
          414, ErrorCodes.REQUEST_URI_TOO_LONG,
          415, ErrorCodes.REQUEST_UNSUPPORTED_MEDIA_TYPE,
          431, ErrorCodes.REQUEST_HEADERS_TOO_LARGE);

  private HttpApi() {}

  /**
   * The routes in one error shape, each answered request checked against
   * {@code table} ({@code undeclared}: what to do when a route serves a request
   * the table does not declare, see {@link RouteTable}).
   */
  public static Route seal(List<Route> routes, RouteTable table, RouteTable.Undeclared undeclared) {
    Route all = routes.size() == 1 ? routes.get(0) : concat(routes.get(0), routes.subList(1, routes.size()).toArray(Route[]::new));
    return table.check(
        undeclared, handleExceptions(exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> all)));
  }

  private static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleNotFound(complete(errorResponse(404, ErrorCodes.ROUTE_NOT_FOUND, "no such resource")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(HttpApi::toErrorShape);
  }

  private static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(ApiException.class, e -> complete(errorResponse(e.status(), e.code(), e.getMessage())))
        .match(
            EntityStreamSizeException.class,
            e -> complete(errorResponse(413, ErrorCodes.REQUEST_TOO_LARGE, "the request body is too large")))
        .matchAny(
            e -> {
              log.error("unhandled failure in a route", e);
              return complete(errorResponse(500, ErrorCodes.SERVER_INTERNAL, "internal error"));
            })
        .build();
  }

  /** Rewrites Pekko's plain-text refusals into the error shape, keeping their message. */
  private static HttpResponse toErrorShape(HttpResponse response) {
    if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      return response;
    }
    int status = response.status().intValue();
    String message =
        response.entity() instanceof HttpEntity.Strict strict ? strict.getData().utf8String() : "request refused";
    return errorResponse(status, codeFor(status), message).addHeaders(response.getHeaders());
  }

  /** The code of a refusal Pekko HTTP makes by itself, from its status. */
  static String codeFor(int status) {
    return CODE_BY_STATUS.getOrDefault(status, status >= 500 ? ErrorCodes.SERVER_INTERNAL : ErrorCodes.REQUEST_INVALID);
  }

  static HttpResponse errorResponse(int status, String code, String message) {
    Error error = Error.newBuilder().setCode(code).setMessage(message).setStatus(status).build();
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, HttpCodec.toJson(error)));
  }
}
