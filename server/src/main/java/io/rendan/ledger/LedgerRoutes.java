package io.rendan.ledger;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.google.protobuf.Message;
import io.rendan.auth.Authenticator;
import io.rendan.http.Endpoint;
import io.rendan.http.HttpCodec;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The read side of the money over HTTP.
 *
 * <pre>
 * GET /v1/mes/{meId}/ledger?limit=&amp;after=        entries, newest first (operators, admins)
 * GET /v1/mes/{meId}/statement?period=YYYY-MM    win-win value statement of an ME (operators, admins)
 * GET /v1/emcs/{emcId}/statement?period=YYYY-MM  win-win value statement of an EMC (who may see the EMC)
 * GET /v1/admin/books                            the books check (admins)
 * </pre>
 */
public final class LedgerRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.get("/v1/mes/{meId}/ledger", BEARER, "its operators, admins"),
          Endpoint.get("/v1/mes/{meId}/statement", BEARER, "its operators, admins"),
          Endpoint.get("/v1/emcs/{emcId}/statement", BEARER, "operators of its MEs, admins"),
          Endpoint.get("/v1/admin/books", ADMIN, "admins"));

  private final LedgerApi api;
  private final HttpCodec codec;
  private final Authenticator auth;

  public LedgerRoutes(LedgerApi api, HttpCodec codec, Authenticator auth) {
    this.api = api;
    this.codec = codec;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        path(PathMatchers.segment("mes").slash(PathMatchers.segment()).slash("ledger"), meId -> get(() -> ledger(meId))),
        path(
            PathMatchers.segment("mes").slash(PathMatchers.segment()).slash("statement"),
            meId -> get(() -> period(period -> caller -> api.meStatement(caller, meId, period)))),
        path(
            PathMatchers.segment("emcs").slash(PathMatchers.segment()).slash("statement"),
            emcId -> get(() -> period(period -> caller -> api.emcStatement(caller, emcId, period)))),
        path(PathMatchers.segment("admin").slash("books"), () -> get(() -> auth.authenticated(caller -> answer(() -> api.books(caller))))));
  }

  private Route ledger(String meId) {
    return auth.authenticated(
        caller ->
            parameterOptional(
                "limit",
                limit ->
                    parameterOptional(
                        "after", after -> answer(() -> api.ledger(caller, meId, limit(limit.orElse("")), after.orElse(""))))));
  }

  private <T extends Message> Route period(
      java.util.function.Function<String, java.util.function.Function<io.rendan.auth.Caller, CompletionStage<T>>> call) {
    return auth.authenticated(
        caller -> parameterOptional("period", period -> answer(() -> call.apply(period.orElse("")).apply(caller))));
  }

  private static int limit(String value) {
    if (value.isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new io.rendan.http.ApiException(io.rendan.http.ErrorCodes.REQUEST_INVALID, "limit must be a number");
    }
  }

  private <T extends Message> Route answer(Supplier<CompletionStage<T>> call) {
    return extractRequest(
        (HttpRequest request) ->
            completeWithFuture(codec.handle(request, () -> call.get().thenApply(body -> codec.respond(request, StatusCodes.OK, body)))));
  }
}
