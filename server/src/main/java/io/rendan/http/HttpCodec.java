package io.rendan.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads request bodies and writes responses in the API's two encodings: the
 * canonical protobuf JSON mapping ({@code application/json}) and binary protobuf
 * ({@code application/x-protobuf}), chosen by Content-Type and Accept. Every
 * failure leaves as the one error shape.
 */
public final class HttpCodec {
  private static final Logger log = LoggerFactory.getLogger(HttpCodec.class);
  public static final ContentType.Binary PROTOBUF =
      ContentTypes.create(MediaTypes.customBinary("application", "x-protobuf", false));
  public static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser();
  public static final JsonFormat.Printer JSON_PRINTER =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

  private final Materializer materializer;
  private final long maxBodyBytes;
  private final Duration readTimeout;

  public HttpCodec(Materializer materializer, long maxBodyBytes, Duration readTimeout) {
    this.materializer = materializer;
    this.maxBodyBytes = maxBodyBytes;
    this.readTimeout = readTimeout;
  }

  /** Parses the body into {@code builder}; fails with 400, 413 or 415 as the body deserves. */
  public <B extends Message.Builder> CompletionStage<B> read(HttpRequest request, B builder) {
    var entity = request.entity();
    if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > maxBodyBytes) {
      return CompletableFuture.failedFuture(tooLarge());
    }
    boolean protobuf = isProtobuf(entity.getContentType());
    boolean json = entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON);
    if (!protobuf && !json) {
      entity.discardBytes(materializer);
      return CompletableFuture.failedFuture(
          new ApiException(
              ErrorCodes.REQUEST_UNSUPPORTED_MEDIA_TYPE,
              "send application/json or application/x-protobuf, not " + entity.getContentType().mediaType()));
    }
    return entity
        .withSizeLimit(maxBodyBytes)
        .toStrict(readTimeout.toMillis(), materializer)
        .handle(
            (strict, failure) -> {
              if (failure != null) {
                throw failure instanceof EntityStreamSizeException
                        || failure.getCause() instanceof EntityStreamSizeException
                    ? tooLarge()
                    : new ApiException(ErrorCodes.REQUEST_MALFORMED, "the request body could not be read");
              }
              if (strict.getData().size() > maxBodyBytes) {
                throw tooLarge();
              }
              if (protobuf) {
                StrictInput.mergeProtobuf(strict.getData().toArray(), builder);
              } else {
                StrictInput.mergeJson(strict.getData().utf8String(), builder);
              }
              return builder;
            });
  }

  /**
   * As {@link #read}, for routes whose body is optional: no body at all (none
   * sent, or an empty one of any type) is the empty message; anything else must
   * be a valid one.
   */
  public <B extends Message.Builder> CompletionStage<B> readOptional(HttpRequest request, B builder) {
    var entity = request.entity();
    if (entity.isKnownEmpty()
        || (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() == 0)) {
      entity.discardBytes(materializer);
      return CompletableFuture.completedFuture(builder);
    }
    return read(request, builder);
  }

  public HttpResponse respond(HttpRequest request, StatusCode status, Message body) {
    if (wantsProtobuf(request)) {
      return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(PROTOBUF, body.toByteArray()));
    }
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, toJson(body)));
  }

  public HttpResponse error(HttpRequest request, ApiException e) {
    HttpResponse response = respond(request, StatusCodes.get(e.status()), ErrorCodes.toError(e));
    if (e.status() == 401) {
      response = response.addHeader(RawHeader.create("WWW-Authenticate", "Bearer"));
    }
    if (e.status() == 429 || e.status() == 503) {
      // the refusals that mean "not now": a client may try again after a moment
      response = response.addHeader(RawHeader.create("Retry-After", "1"));
    }
    return response;
  }

  /**
   * Runs a handler and turns whatever it throws or fails with into an error
   * response; unexpected failures are logged here, at the edge, without the body.
   */
  public CompletionStage<HttpResponse> handle(HttpRequest request, Supplier<CompletionStage<HttpResponse>> handler) {
    CompletionStage<HttpResponse> result;
    try {
      result = handler.get();
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.exceptionally(
        failure -> {
          ApiException api = ErrorCodes.fromThrowable(failure);
          if (api.status() >= 500) {
            log.warn("{} {} failed: {}", request.method().value(), request.getUri().path(), failure.toString());
          }
          return error(request, api);
        });
  }

  public static String toJson(Message message) {
    try {
      return JSON_PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static boolean isProtobuf(ContentType contentType) {
    var media = contentType.mediaType();
    return media.mainType().equals("application") && media.subType().equals("x-protobuf");
  }

  private static boolean wantsProtobuf(HttpRequest request) {
    return request.getHeader("Accept").map(h -> h.value().contains("application/x-protobuf")).orElse(false);
  }

  private static ApiException tooLarge() {
    return new ApiException(ErrorCodes.REQUEST_TOO_LARGE, "the request body is too large");
  }

  /** The parser's own words, without the exception class names it prefixes them with. */
  static String describe(Exception e) {
    String message = e.getMessage() == null ? "unreadable" : e.getMessage();
    message = message.replaceAll("(?:[a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
    return message.length() > 200 ? message.substring(0, 200) + "..." : message;
  }
}
