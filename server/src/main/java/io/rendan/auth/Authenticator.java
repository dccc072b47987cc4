package io.rendan.auth;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.Route;

/** The directive every API route sits behind: a valid bearer token, or 401. */
public final class Authenticator {
  private final Jwt jwt;
  private final HttpCodec codec;

  public Authenticator(Jwt jwt, HttpCodec codec) {
    this.jwt = jwt;
    this.codec = codec;
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
