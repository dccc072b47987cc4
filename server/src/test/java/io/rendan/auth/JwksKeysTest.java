package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tokens of an identity provider verified against its JWKS, served by a real HTTP
 * server on a loopback port: kid selection, rotation, rate-limited refetches,
 * RS256 and ES256, weak and symmetric keys, an unreachable provider.
 */
@Tag("unit")
class JwksKeysTest {
  private static final String ISSUER = "https://login.example.org/realms/staff";
  private static RSAKey k1;
  private static RSAKey k2;
  private static RSAKey k3;
  private static ECKey e1;

  private final JwksServer provider = new JwksServer();
  private Jwt jwt;

  JwksKeysTest() throws Exception {}

  @BeforeAll
  static void keys() throws Exception {
    k1 = new RSAKeyGenerator(2048).keyID("k1").keyUse(KeyUse.SIGNATURE).generate();
    k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
    k3 = new RSAKeyGenerator(3072).keyID("k3").algorithm(JWSAlgorithm.RS256).generate();
    e1 = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
  }

  @AfterEach
  void stop() {
    if (jwt != null) {
      jwt.close();
    }
    provider.close();
  }

  private Jwt jwks(Duration minRefetchInterval) throws Exception {
    jwt = Jwt.builder(Clock.systemUTC()).jwks(provider.settings(minRefetchInterval)).issuer(ISSUER).audience("rendan").build();
    return jwt;
  }

  private static String token(JWK key, String subject) throws Exception {
    return JwksServer.sign(key, key.getKeyID(), JwksServer.claims(subject, ISSUER, List.of("rendan")).build());
  }

  private static ApiException assertRefused(Jwt jwt, String token) {
    ApiException e = assertThrows(ApiException.class, () -> jwt.verify(token), () -> "accepted: " + token);
    assertEquals(ErrorCodes.AUTH_UNAUTHENTICATED, e.code());
    assertEquals(401, e.status());
    return e;
  }

  @Test
  void rotationInTheMiddleKeepsOldTokensWhileTheirKeyIsPublished() throws Exception {
    Jwt jwt = jwks(Duration.ZERO);
    provider.publish(k1);
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());
    assertEquals(1, provider.fetches());
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());
    assertEquals(1, provider.fetches(), "a known kid is served from the cache");

    // The provider rotates: k2 signs from now on, k1 stays published for tokens already out.
    provider.publish(k2, k1);
    assertEquals("bob", jwt.verify(token(k2, "bob")).subject(), "a new kid makes the set be fetched again");
    assertEquals(2, provider.fetches());
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject(), "the old key still verifies while published");
    assertEquals(2, provider.fetches());

    // Then k1 leaves the set and k3 joins: once the set is fetched again, k1's tokens are refused.
    provider.publish(k2, k3);
    assertEquals("carol", jwt.verify(token(k3, "carol")).subject());
    assertEquals(3, provider.fetches());
    assertRefused(jwt, token(k1, "alice"));
    assertEquals("bob", jwt.verify(token(k2, "bob")).subject());
  }

  @Test
  void unknownKidsAreFetchedForAtMostTwiceAnInterval() throws Exception {
    Jwt jwt = jwks(Duration.ofMinutes(10));
    provider.publish(k1);
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());

    // Tokens with made-up kids, as an attacker would send them by the thousand.
    for (int i = 0; i < 50; i++) {
      RSAKey forged = new RSAKey.Builder(k2).keyID("made-up-" + i).build();
      assertEquals("no key here verifies this token", assertRefused(jwt, token(forged, "mallory")).getMessage());
    }
    assertTrue(provider.fetches() <= 2, provider.fetches() + " fetches for 50 unknown kids");
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject(), "known keys keep working meanwhile");
  }

  @Test
  void es256AndRs256KeysVerifyOnlyTheirOwnAlgorithm() throws Exception {
    Jwt jwt = jwks(Duration.ZERO);
    provider.publish(k1, e1);
    assertEquals("erin", jwt.verify(token(e1, "erin")).subject());
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());
    assertEquals(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), jwt.algorithms());

    // An ES256 token naming the RSA key's kid, and the other way round.
    assertRefused(jwt, JwksServer.sign(e1, "k1", JwksServer.claims("mallory", ISSUER, List.of("rendan")).build()));
    assertRefused(jwt, JwksServer.sign(k1, "e1", JwksServer.claims("mallory", ISSUER, List.of("rendan")).build()));
    // Without a kid every key of the right type is tried.
    assertEquals("alice", jwt.verify(JwksServer.sign(k1, null, JwksServer.claims("alice", ISSUER, List.of("rendan")).build())).subject());
    // ES256 only: a P-384 key's ES384 token is refused.
    ECKey p384 = new ECKeyGenerator(Curve.P_384).keyID("p384").generate();
    provider.publish(k1, e1, p384);
    assertEquals("unsupported token algorithm", assertRefused(jwt, token(p384, "mallory")).getMessage());
  }

  @Test
  void weakSymmetricAndEncryptionKeysOfTheSetAreNeverUsed() throws Exception {
    Jwt jwt = jwks(Duration.ZERO);
    RSAKey weak = new RSAKeyGenerator(1024, true).keyID("weak").generate();
    OctetSequenceKey oct = new OctetSequenceKeyGenerator(256).keyID("oct").generate();
    RSAKey encryption = new RSAKeyGenerator(2048).keyID("enc").keyUse(KeyUse.ENCRYPTION).generate();
    provider.publish(k1, weak, oct, encryption);

    assertEquals("no key here verifies this token", assertRefused(jwt, token(weak, "mallory")).getMessage());
    assertEquals("unsupported token algorithm", assertRefused(jwt, token(oct, "mallory")).getMessage());
    assertRefused(jwt, token(encryption, "mallory"));

    // With an HS256 secret configured beside the JWKS, a symmetric key of the set still does not count.
    jwt.close();
    this.jwt =
        Jwt.builder(Clock.systemUTC())
            .hs256("rendan-own-secret-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8))
            .jwks(provider.settings(Duration.ZERO))
            .build();
    assertEquals("invalid token signature", assertRefused(this.jwt, token(oct, "mallory")).getMessage());
    // nor may an HS256 token be keyed with a published RSA key's public bytes
    String confused =
        JwksServer.sign(
            new OctetSequenceKey.Builder(k1.toRSAPublicKey().getEncoded()).build(), "k1", JwksServer.claims("mallory", ISSUER, List.of("rendan")).build());
    assertRefused(this.jwt, confused);
  }

  @Test
  void issuerAndAudienceApplyToProviderTokens() throws Exception {
    Jwt jwt = jwks(Duration.ZERO);
    provider.publish(k1);
    assertRefused(jwt, JwksServer.sign(k1, "k1", JwksServer.claims("alice", "https://elsewhere.example", List.of("rendan")).build()));
    assertRefused(jwt, JwksServer.sign(k1, "k1", JwksServer.claims("alice", ISSUER, List.of("another-app")).build()));
    assertRefused(jwt, JwksServer.sign(k1, "k1", JwksServer.claims("alice", null, null).build()));
  }

  @Test
  void knownKeysOutliveAnOutageOfTheProvider() throws Exception {
    Jwt jwt = jwks(Duration.ZERO);
    provider.publish(k1);
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());

    provider.answer(503);
    // A new kid makes the node ask again, which fails: the last set stays in use.
    assertRefused(jwt, token(k2, "bob"));
    assertEquals("alice", jwt.verify(token(k1, "alice")).subject());
    assertTrue(provider.fetches() >= 2);

    provider.answer(200);
    provider.publish(k1, k2);
    assertEquals("bob", jwt.verify(token(k2, "bob")).subject());
  }

  @Test
  void unreachableProviderWithoutKnownKeysIsUnavailableNotUnauthenticated() throws Exception {
    Jwt jwt = jwks(Duration.ofMinutes(10));
    provider.answer(500);
    // also once the refetch limit holds further fetches back: the provider is still down, the token may be fine
    for (int i = 0; i < 5; i++) {
      ApiException e = assertThrows(ApiException.class, () -> jwt.verify(token(k1, "alice")));
      assertEquals(ErrorCodes.SERVER_UNAVAILABLE, e.code());
      assertEquals(503, e.status());
    }
    assertTrue(provider.fetches() <= 2, provider.fetches() + " fetches");
  }

  @Test
  void aSetWithoutTheKidIsAnAnswerNotAnOutage() throws Exception {
    Jwt jwt = jwks(Duration.ofMinutes(10));
    provider.publish(k2);
    for (int i = 0; i < 5; i++) {
      assertRefused(jwt, token(k1, "alice"));
    }
  }

  @Test
  void jwksUrlMustBeHttpsOffThisMachine() throws Exception {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new JwksKeys.Settings(
                URI.create("http://10.0.0.1/jwks").toURL(), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofHours(1), 1024));
    new JwksKeys.Settings(
        URI.create("https://login.example.org/jwks").toURL(), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofHours(1), 1024);
    // a cache that expires before a refetch may happen is a configuration error
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new JwksKeys.Settings(
                URI.create("https://login.example.org/jwks").toURL(), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofSeconds(5), Duration.ofHours(1), 1024));
  }
}
