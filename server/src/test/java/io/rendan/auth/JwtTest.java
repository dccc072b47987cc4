package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class JwtTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final Duration LEEWAY = Duration.ofSeconds(30);
  private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");

  /** A clock the test moves by hand. */
  private static final class TestClock extends Clock {
    private Instant now;

    TestClock(Instant now) {
      this.now = now;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  private final TestClock clock = new TestClock(START);
  private final Jwt jwt = new Jwt(SECRET, LEEWAY, clock);

  private static ApiException assertRefused(Jwt jwt, String token) {
    ApiException e = assertThrows(ApiException.class, () -> jwt.verify(token), () -> "accepted: " + token);
    assertEquals(ErrorCodes.AUTH_UNAUTHENTICATED, e.code());
    assertEquals(401, e.status());
    return e;
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A token built by hand and signed with HMAC-SHA256 under {@code key}, whatever its header says. */
  private static String token(String headerJson, String claimsJson, byte[] key) throws Exception {
    String signingInput = b64(headerJson) + "." + b64(claimsJson);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] signature = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
  }

  private static String signed(String claimsJson) throws Exception {
    return token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claimsJson, SECRET);
  }

  private long now() {
    return clock.instant().getEpochSecond();
  }

  @Test
  void issuedTokenVerifies() {
    String token = jwt.issue("alice", List.of("admin", "operator"), Duration.ofHours(1));

    Caller caller = jwt.verify(token);

    assertEquals(new Caller("alice", Set.of("admin", "operator"), START.plus(Duration.ofHours(1))), caller);
  }

  @Test
  void handBuiltTokenVerifies() throws Exception {
    // Proves the hand-built tokens below are refused for the one thing each gets wrong.
    String token = signed("{\"sub\":\"alice\",\"exp\":" + (now() + 60) + ",\"nbf\":" + now() + "}");

    assertEquals("alice", jwt.verify(token).subject());
  }

  @Test
  void wrongSignatureIsRefused() throws Exception {
    Jwt otherIssuer = new Jwt("another-secret-of-at-least-32-bytes".getBytes(StandardCharsets.US_ASCII), LEEWAY, clock);
    assertRefused(jwt, otherIssuer.issue("alice", List.of(), Duration.ofHours(1)));

    // Claims swapped under a genuine signature.
    String genuine = jwt.issue("alice", List.of(), Duration.ofHours(1));
    String[] parts = genuine.split("\\.");
    String forgedClaims = b64("{\"sub\":\"mallory\",\"exp\":" + (now() + 3600) + ",\"roles\":[\"admin\"]}");
    assertRefused(jwt, parts[0] + "." + forgedClaims + "." + parts[2]);

    // Signature missing.
    assertRefused(jwt, parts[0] + "." + parts[1] + ".");
  }

  @Test
  void algNoneIsRefused() throws Exception {
    String claims = "{\"sub\":\"alice\",\"exp\":" + (now() + 3600) + "}";
    String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims) + ".";
    assertRefused(jwt, unsigned);

    // Even correctly signed, a header naming another algorithm is refused: the header never chooses.
    assertRefused(jwt, token("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, SECRET));
    assertRefused(jwt, token("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims, SECRET));
    assertRefused(jwt, token("{\"typ\":\"JWT\"}", claims, SECRET));
  }

  @Test
  void expiredTokenIsRefused() {
    String token = jwt.issue("alice", List.of(), Duration.ofMinutes(10));

    clock.advance(Duration.ofMinutes(10).plus(LEEWAY));
    assertEquals("alice", jwt.verify(token).subject(), "still valid within the leeway");

    clock.advance(Duration.ofSeconds(1));
    assertEquals("token expired", assertRefused(jwt, token).getMessage());
  }

  @Test
  void notYetValidTokenIsRefused() throws Exception {
    long nbf = now() + LEEWAY.toSeconds() + 60;
    String token = signed("{\"sub\":\"alice\",\"exp\":" + (nbf + 3600) + ",\"nbf\":" + nbf + "}");

    assertEquals("token not yet valid", assertRefused(jwt, token).getMessage());

    clock.advance(Duration.ofSeconds(60));
    assertEquals("alice", jwt.verify(token).subject(), "valid once nbf is within the leeway");
  }

  @Test
  void missingSubjectIsRefused() throws Exception {
    long exp = now() + 3600;
    assertRefused(jwt, signed("{\"exp\":" + exp + "}"));
    assertRefused(jwt, signed("{\"sub\":\"\",\"exp\":" + exp + "}"));
    assertRefused(jwt, signed("{\"sub\":\"  \",\"exp\":" + exp + "}"));
    assertRefused(jwt, signed("{\"sub\":null,\"exp\":" + exp + "}"));
  }

  @Test
  void missingExpiryIsRefused() throws Exception {
    assertRefused(jwt, signed("{\"sub\":\"alice\"}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":\"tomorrow\"}"));
  }

  @Test
  void timeClaimsOutsideTheCalendarAreRefused() throws Exception {
    long exp = now() + 3600;
    // Signed, but beyond what java.time holds: a 401, not an exception that surfaces as a 500.
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + Long.MAX_VALUE + "}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":" + Long.MIN_VALUE + "}"));

    // At the very edge of the calendar the leeway must not overflow either.
    String farFuture = signed("{\"sub\":\"alice\",\"exp\":" + Instant.MAX.getEpochSecond() + "}");
    assertEquals(Instant.ofEpochSecond(Instant.MAX.getEpochSecond()), jwt.verify(farFuture).expiresAt());
  }

  @Test
  void unreadableNotBeforeIsRefused() throws Exception {
    long exp = now() + 3600;
    // Ignoring it would make a token valid before its issuer meant it to be.
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":\"" + (now() + 86400) + "\"}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":\"tomorrow\"}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"nbf\":null}"));
  }

  @Test
  void garbageIsRefused() throws Exception {
    String valid = jwt.issue("alice", List.of(), Duration.ofHours(1));
    char[] oversized = new char[8193];
    Arrays.fill(oversized, 'a');

    for (String garbage :
        new String[] {
          null,
          "",
          "garbage",
          "a.b",
          "a.b.c",
          "a.b.c.d",
          "!!!.???.***",
          valid + ".",
          "." + valid,
          valid.replace('.', '~'),
          b64("[]") + "." + b64("{}") + ".",
          b64("not json") + "." + b64("{}") + ".",
          new String(oversized)
        }) {
      assertRefused(jwt, garbage);
    }
    // Signed, but the claims are not a JSON object.
    assertRefused(jwt, signed("[\"alice\"]"));
    assertRefused(jwt, signed("not json"));
  }

  @Test
  void secretShorterThan32BytesIsRejectedAtConstruction() {
    assertThrows(IllegalArgumentException.class, () -> new Jwt(new byte[31], LEEWAY, clock));
    assertDoesNotThrow(() -> new Jwt(new byte[32], LEEWAY, clock));
  }
}
