package io.rendan.http;

import io.rendan.vocabulary.Refusal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A request that cannot be served, with its stable error code. Thrown (or
 * returned) anywhere on the edge; turned into the one error shape by
 * {@link ErrorCodes#toError}.
 */
public final class ApiException extends RuntimeException {
  private final String code;

  public ApiException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }

  public int status() {
    return ErrorCodes.status(code);
  }

  /**
   * An entity's reply as the API answers it: a {@link Refusal} (any entity's
   * {@code Rejected}) fails the stage with its code and message, any other reply
   * passes through. The one place where an ask's refusal becomes an error.
   */
  public static <R> CompletionStage<R> failOnRefusal(CompletionStage<R> reply) {
    return reply.thenCompose(
        r ->
            r instanceof Refusal refusal
                ? CompletableFuture.failedFuture(new ApiException(refusal.code(), refusal.message()))
                : CompletableFuture.completedFuture(r));
  }
}
