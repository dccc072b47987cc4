package io.rendan.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests Pekko HTTP refuses before any route sees them (a URI or header too
 * long, a bad percent-encoding, a broken request line) leave in the API's error
 * shape too, not as plain text. Named in {@code pekko.http.server.parsing.error-handler}.
 */
public final class ParsingErrors extends ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    int code = status.intValue();
    log.debug("request refused by the HTTP parser: {} {}", code, error.summary());
    String summary = error.summary() == null || error.summary().isBlank() ? status.reason() : error.summary();
    return HttpApi.errorResponse(code, HttpApi.codeFor(code), summary.length() > 200 ? summary.substring(0, 200) + "..." : summary)
        .addHeader(org.apache.pekko.http.javadsl.model.headers.Connection.create("close"));
  }
}
