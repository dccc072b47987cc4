package io.rendan.vocabulary;

/**
 * An entity's answer that it refused a command: a stable error code (each
 * package's {@code *Codes}) and a message for people. Every entity's {@code
 * Rejected} reply is one, so the APIs turn any of them into the same error
 * ({@code http.ApiException#failOnRefusal}).
 */
public interface Refusal {
  String code();

  String message();
}
