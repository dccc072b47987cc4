package io.rendan.http;

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
}
