package io.rendan.vocabulary;

/**
 * A stable error code and the HTTP status it is answered with. Each package
 * declares its own (its {@code *Codes.CODES}) beside the code constants, so
 * the status lives with the package that owns the rejection and an entity never
 * reaches into the HTTP layer; the node registers every package's list with
 * {@code http/ErrorCodes}, which only looks them up. WebSocket errors carry the
 * same code and status. Codes are never renamed.
 */
public record ErrorCode(String code, int status) {
  public ErrorCode {
    if (code == null || !code.contains(":")) {
      throw new IllegalArgumentException("an error code is area:name, not " + code);
    }
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException(code + ": an error status is 4xx or 5xx, not " + status);
    }
  }

  public static ErrorCode of(String code, int status) {
    return new ErrorCode(code, status);
  }
}
