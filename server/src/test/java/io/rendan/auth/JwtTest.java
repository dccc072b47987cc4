package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.testkit.TestClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class JwtTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final Duration LEEWAY = Duration.ofSeconds(30);
  private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");

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
  void aRememberedTokenStillExpiresAndIsForgottenAfterItsTtl() throws Exception {
    Jwt cached = Jwt.builder(clock).hs256(SECRET).leeway(LEEWAY).verifiedCache(2, Duration.ofSeconds(30)).build();
    String token = cached.issue("alice", List.of("operator"), Duration.ofMinutes(1));
    Caller first = cached.verify(token);
    assertEquals(first, cached.verify(token));

    // within its ttl but past its expiry (and the leeway): refused, although remembered
    clock.advance(Duration.ofSeconds(20));
    String shortLived = cached.issue("bob", List.of(), Duration.ofSeconds(5));
    assertEquals("bob", cached.verify(shortLived).subject());
    clock.advance(Duration.ofSeconds(36));
    assertRefused(cached, shortLived);

    // a forged token never enters: a valid one with another signature is refused each time
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA" + token.substring(token.lastIndexOf('.') + 5);
    assertRefused(cached, forged);
    assertRefused(cached, forged);

    // bounded: a third token empties the table instead of growing it
    cached.verify(cached.issue("carol", List.of(), Duration.ofMinutes(5)));
    cached.verify(cached.issue("dave", List.of(), Duration.ofMinutes(5)));
    assertTrue(cached.rememberedTokens() <= 2);
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
  // ---- the identity provider's RS256 key (PEM), headers, issuer and audience ----------------------

  private static final RSAKey PROVIDER = rsa(2048, "provider");

  private static RSAKey rsa(int bits, String kid) {
    try {
      return new RSAKeyGenerator(bits, true).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private Jwt rs256Only() throws Exception {
    return Jwt.builder(clock).rs256(PROVIDER.toRSAPublicKey()).leeway(LEEWAY).build();
  }

  private String claims(String subject) {
    return "{\"sub\":\"" + subject + "\",\"exp\":" + (now() + 3600) + "}";
  }

  /** A token signed with the provider's private key under any header. */
  private static String rsaSigned(String headerJson, String claimsJson, RSAKey key) throws Exception {
    String signingInput = b64(headerJson) + "." + b64(claimsJson);
    java.security.Signature rsa = java.security.Signature.getInstance("SHA256withRSA");
    rsa.initSign(key.toPrivateKey());
    rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    byte[] signature = rsa.sign();
    return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
  }

  @Test
  void rs256PemKeyVerifiesItsProvidersTokens() throws Exception {
    Jwt jwt = rs256Only();
    assertEquals("alice", jwt.verify(rsaSigned("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims("alice"), PROVIDER)).subject());

    // Another key's token, and HS256 tokens when no secret is configured, are refused.
    assertRefused(jwt, rsaSigned("{\"alg\":\"RS256\"}", claims("alice"), rsa(2048, "other")));
    assertEquals("unsupported token algorithm", assertRefused(jwt, signed(claims("alice"))).getMessage());
    assertEquals(Set.of(JWSAlgorithm.RS256), jwt.algorithms());
  }

  @Test
  void rsaPublicKeyMisusedAsHmacSecretIsRefused() throws Exception {
    // The classic algorithm confusion: HS256 keyed with the bytes of the public key every client may know.
    byte[] publicDer = PROVIDER.toRSAPublicKey().getEncoded();
    String pem =
        "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(publicDer) + "\n-----END PUBLIC KEY-----\n";
    for (byte[] misused : new byte[][] {publicDer, pem.getBytes(StandardCharsets.US_ASCII)}) {
      assertRefused(rs256Only(), token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims("mallory"), misused));
      // also when an HS256 secret is configured beside the key: the token is checked with the secret only
      Jwt both = Jwt.builder(clock).hs256(SECRET).rs256(PROVIDER.toRSAPublicKey()).leeway(LEEWAY).build();
      assertEquals(
          "invalid token signature",
          assertRefused(both, token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims("mallory"), misused)).getMessage());
    }
  }

  @Test
  void rsaKeysUnder2048BitsAreRefusedAtConstruction() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Jwt.builder(clock).rs256(rsa(1024, "weak").toRSAPublicKey()).build());
    assertThrows(IllegalArgumentException.class, () -> Jwt.builder(clock).leeway(LEEWAY).build(), "no key at all");
  }

  @Test
  void criticalHeaderParametersAreRefused() throws Exception {
    // This server implements no JWS extension: a "crit" it would have to understand means "do not accept".
    String header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"x-rendan-scope\"],\"x-rendan-scope\":\"all\"}";
    assertEquals(
        "token has critical header parameters this server does not understand",
        assertRefused(jwt, token(header, claims("alice"), SECRET)).getMessage());
    // RFC 7797's unencoded payload, which the library itself would understand, is no JWT either.
    assertRefused(jwt, token("{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", claims("alice"), SECRET));
    assertRefused(
        rs256Only(), rsaSigned("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", claims("alice"), PROVIDER));
  }

  @Test
  void onlyAccessTokenTypesAreAccepted() throws Exception {
    assertEquals("alice", jwt.verify(token("{\"alg\":\"HS256\"}", claims("alice"), SECRET)).subject());
    assertEquals("alice", jwt.verify(token("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", claims("alice"), SECRET)).subject());
    // A token meant for something else (a logout token, an ID token's cousins) is not a bearer token here.
    assertEquals(
        "unsupported token type",
        assertRefused(jwt, token("{\"alg\":\"HS256\",\"typ\":\"logout+jwt\"}", claims("alice"), SECRET)).getMessage());
  }

  @Test
  void keyCarriedInTheHeaderIsNeverUsed() throws Exception {
    RSAKey mallory = rsa(2048, "provider");
    String claims = claims("mallory");
    // Signed by mallory, who hands her own public key (or where to find it) along with the token.
    assertRefused(
        rs256Only(),
        rsaSigned("{\"alg\":\"RS256\",\"jwk\":" + mallory.toPublicJWK().toJSONString() + "}", claims, mallory));
    assertRefused(
        rs256Only(), rsaSigned("{\"alg\":\"RS256\",\"jku\":\"https://mallory.example/jwks\",\"kid\":\"provider\"}", claims, mallory));
  }

  @Test
  void issuerAndAudienceAreCheckedWhenConfigured() throws Exception {
    Jwt strict =
        Jwt.builder(clock).hs256(SECRET).issuer("https://login.example.org/realms/staff").audience("rendan").leeway(LEEWAY).build();
    long exp = now() + 3600;
    String iss = "\"iss\":\"https://login.example.org/realms/staff\"";

    assertEquals("alice", strict.verify(signed("{\"sub\":\"alice\",\"exp\":" + exp + "," + iss + ",\"aud\":\"rendan\"}")).subject());
    assertEquals(
        "alice",
        strict.verify(signed("{\"sub\":\"alice\",\"exp\":" + exp + "," + iss + ",\"aud\":[\"account\",\"rendan\"]}")).subject());

    assertEquals(
        "token has another issuer",
        assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"aud\":\"rendan\"}")).getMessage());
    assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"iss\":\"https://login.example.org/realms/other\",\"aud\":\"rendan\"}"));
    assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"iss\":[\"https://login.example.org/realms/staff\"],\"aud\":\"rendan\"}"));
    assertEquals(
        "token is meant for another audience",
        assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + "," + iss + "}")).getMessage());
    assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + "," + iss + ",\"aud\":\"account\"}"));
    assertRefused(strict, signed("{\"sub\":\"alice\",\"exp\":" + exp + "," + iss + ",\"aud\":[\"account\"]}"));

    // Not configured: not checked (the default, as before).
    assertEquals("alice", jwt.verify(signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"aud\":\"anything\"}")).subject());
  }

  @Test
  void devTokensCarryTheConfiguredIssuerAndAudience() throws Exception {
    Jwt strict = Jwt.builder(clock).hs256(SECRET).issuer("https://login.example.org").audience("rendan").leeway(LEEWAY).build();
    String token = strict.issue("alice", List.of("admin"), Duration.ofHours(1));

    assertEquals(new Caller("alice", Set.of("admin"), START.plus(Duration.ofHours(1))), strict.verify(token));
    String claims = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    assertTrue(claims.contains("\"iss\":\"https://login.example.org\"") && claims.contains("\"aud\":\"rendan\""), claims);
    // and a node that checks neither accepts them as well
    assertEquals("alice", jwt.verify(token).subject());
  }

  @Test
  void registeredClaimsOfTheWrongTypeAreRefused() throws Exception {
    // Ignored before the library checked them; RFC 7519 gives each its type.
    long exp = now() + 3600;
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"iat\":\"yesterday\"}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"aud\":5}"));
    assertRefused(jwt, signed("{\"sub\":\"alice\",\"exp\":" + exp + ",\"iss\":{}}"));
    assertRefused(jwt, signed("{\"sub\":[\"alice\"],\"exp\":" + exp + "}"));
    // a numeric subject was accepted as its digits, and still is
    assertEquals("42", jwt.verify(signed("{\"sub\":42,\"exp\":" + exp + "}")).subject());
  }

  @Test
  void deeplyNestedTokensAreRefused() throws Exception {
    // Under the 8 KiB limit, but nested deeper than a JSON parser should follow: a 401, not a 500.
    String deep = "[".repeat(2000) + "]".repeat(2000);
    assertRefused(jwt, b64("{\"alg\":\"HS256\",\"x\":" + deep + "}") + "." + b64(claims("alice")) + ".c2ln");
    assertRefused(jwt, token("{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":" + (now() + 60) + ",\"x\":" + deep + "}", SECRET));
  }
}
