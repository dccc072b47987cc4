package io.rendan.auth;

import java.time.Instant;
import java.util.Set;

/** Who sent a request, as proven by a verified token. */
public record Caller(String subject, Set<String> roles, Instant expiresAt) {
  public static final String ADMIN = "admin";

  public boolean isAdmin() {
    return roles.contains(ADMIN);
  }
}
