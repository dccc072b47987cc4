package io.rendan.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens this node has verified lately, with the caller each names.
 *
 * <p>An app sends the same bearer token with every request until it expires;
 * parsing it and checking its signature again each time cost more node CPU than
 * some of the requests it guards (a bid). A token is remembered only once it
 * verified (nothing a caller without a valid token sends is kept), for at most
 * {@code ttl}, and its expiry is checked again on every use. At most
 * {@code maxEntries} are held; when full, the table is emptied and refills from
 * the tokens in use.
 *
 * <p>What it changes: a token whose signing key has been withdrawn from the
 * identity provider's key set is still accepted for up to {@code ttl} after it
 * was last verified (the key set itself is cached longer, see JwksKeys).
 */
final class VerifiedTokens {
  private record Entry(Caller caller, Instant verifiedAt) {}

  private final int maxEntries;
  private final Duration ttl;
  private final Duration leeway;
  private final ConcurrentHashMap<String, Entry> verified = new ConcurrentHashMap<>();

  VerifiedTokens(int maxEntries, Duration ttl, Duration leeway) {
    this.maxEntries = maxEntries;
    this.ttl = ttl;
    this.leeway = leeway;
  }

  /** The caller of a token verified within the ttl and not expired at {@code now}; null otherwise. */
  Caller get(String token, Instant now) {
    if (maxEntries == 0) {
      return null;
    }
    Entry entry = verified.get(token);
    if (entry == null) {
      return null;
    }
    if (now.isAfter(entry.verifiedAt().plus(ttl)) || now.minus(leeway).isAfter(entry.caller().expiresAt())) {
      verified.remove(token, entry);
      return null;
    }
    return entry.caller();
  }

  void put(String token, Caller caller, Instant now) {
    if (maxEntries == 0) {
      return;
    }
    if (verified.size() >= maxEntries) {
      verified.clear();
    }
    verified.put(token, new Entry(caller, now));
  }

  int size() {
    return verified.size();
  }
}
