package io.rendan.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies JSON Web Tokens with nimbus-jose-jwt: HS256 under a shared secret
 * (dev mode issues these too), RS256 under the identity provider's PEM public
 * key, and RS256 or ES256 under the keys of the identity provider's JWKS
 * ({@link JwksKeys}: selected by {@code kid}, cached, refetched on rotation).
 *
 * <p>Each algorithm is accepted only when a key for it is configured, and each key
 * only for its own algorithm, so a token's header can never choose how it is
 * checked: {@code alg: none} and an RSA or EC public key misused as an HMAC
 * secret are refused, a key the header brings along ({@code jwk}, {@code jku},
 * {@code x5c}) is never used. So are {@code crit} headers refused (this server
 * understands no extension), and RSA keys under 2048 bits and EC keys off P-256
 * never used.
 *
 * <p>The library checks the header and the signature; the claims are checked
 * here, on the verified payload's own numbers: the library turns {@code exp} into
 * a {@link Date} by multiplying seconds by 1000, which overflows for far-future
 * values instead of refusing them. Tokens must carry {@code sub} and {@code exp}
 * ({@code nbf} is honoured), and the configured {@code iss} and {@code aud}.
 */
public final class Jwt implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_TOKEN_CHARS = 8192;
  /** RFC 9068 names access tokens {@code at+jwt}; most providers still say {@code JWT} or nothing. */
  private static final Set<JOSEObjectType> TYPES =
      Set.of(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"));

  private final SecretKeySpec hmacKey;
  private final MACSigner signer;
  private final RSAPublicKey rsaKey;
  private final JwksKeys jwks;
  private final Set<JWSAlgorithm> algorithms;
  private final String issuer;
  private final String audience;
  private final Duration leeway;
  private final Clock clock;
  private final VerifiedTokens verified;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  public Jwt(byte[] secret, Duration leeway, Clock clock) {
    this(builder(clock).hs256(secret).leeway(leeway));
  }

  /** Either key may be null, not both. */
  public Jwt(byte[] secret, PublicKey rsaKey, Duration leeway, Clock clock) {
    this(builder(clock).hs256(secret).rs256(rsaKey).leeway(leeway));
  }

  public static Builder builder(Clock clock) {
    return new Builder(clock);
  }

  /** What tokens are verified with and must say; at least one key source. */
  public static final class Builder {
    private final Clock clock;
    private byte[] secret;
    private PublicKey rsaKey;
    private JwksKeys.Settings jwks;
    private String issuer = "";
    private String audience = "";
    private Duration leeway = Duration.ZERO;
    private int verifiedCacheEntries;
    private Duration verifiedCacheTtl = Duration.ZERO;

    private Builder(Clock clock) {
      this.clock = clock;
    }

    /** The HS256 secret, at least 32 bytes; null: none. */
    public Builder hs256(byte[] secret) {
      this.secret = secret;
      return this;
    }

    /** The identity provider's RS256 public key, at least 2048 bits; null: none. */
    public Builder rs256(PublicKey key) {
      this.rsaKey = key;
      return this;
    }

    /** The identity provider's JWKS; null: none. */
    public Builder jwks(JwksKeys.Settings jwks) {
      this.jwks = jwks;
      return this;
    }

    /** The {@code iss} every token must carry; empty: not checked. */
    public Builder issuer(String issuer) {
      this.issuer = issuer == null ? "" : issuer.trim();
      return this;
    }

    /** A value every token's {@code aud} must hold; empty: not checked. */
    public Builder audience(String audience) {
      this.audience = audience == null ? "" : audience.trim();
      return this;
    }

    /** Clock skew tolerated on {@code exp} and {@code nbf}. */
    public Builder leeway(Duration leeway) {
      this.leeway = leeway;
      return this;
    }

    /**
     * Remember up to {@code entries} verified tokens for at most {@code ttl} each
     * ({@link VerifiedTokens}); 0 entries, the default, verifies every time.
     */
    public Builder verifiedCache(int entries, Duration ttl) {
      this.verifiedCacheEntries = entries;
      this.verifiedCacheTtl = ttl;
      return this;
    }

    public Jwt build() {
      return new Jwt(this);
    }
  }

  private Jwt(Builder b) {
    if (b.secret == null && b.rsaKey == null && b.jwks == null) {
      throw new IllegalArgumentException("an HS256 secret, an RS256 public key or a JWKS URL is required");
    }
    if (b.secret != null && b.secret.length < 32) {
      throw new IllegalArgumentException("the HS256 secret must be at least 32 bytes");
    }
    if (b.rsaKey != null && !(b.rsaKey instanceof RSAPublicKey)) {
      throw new IllegalArgumentException("the RS256 key must be an RSA public key");
    }
    if (b.rsaKey != null && !JwksKeys.strongEnough((RSAPublicKey) b.rsaKey)) {
      throw new IllegalArgumentException("the RS256 key must have at least " + JwksKeys.MIN_RSA_BITS + " bits");
    }
    this.hmacKey = b.secret == null ? null : new SecretKeySpec(b.secret, "HmacSHA256");
    try {
      this.signer = b.secret == null ? null : new MACSigner(b.secret);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable HS256 secret: " + e.getMessage(), e);
    }
    this.rsaKey = (RSAPublicKey) b.rsaKey;
    this.jwks = b.jwks == null ? null : new JwksKeys(b.jwks);
    Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
    if (hmacKey != null) {
      algorithms.add(JWSAlgorithm.HS256);
    }
    if (rsaKey != null || jwks != null) {
      algorithms.add(JWSAlgorithm.RS256);
    }
    if (jwks != null) {
      algorithms.add(JWSAlgorithm.ES256);
    }
    this.algorithms = Set.copyOf(algorithms);
    this.issuer = b.issuer;
    this.audience = b.audience;
    this.leeway = b.leeway;
    this.clock = b.clock;
    this.verified = new VerifiedTokens(b.verifiedCacheEntries, b.verifiedCacheTtl, b.leeway);
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(withNull(TYPES)));
    processor.setJWSKeySelector((JWSKeySelector<SecurityContext>) (header, context) -> keys(header));
    // claims are checked by verify() on the payload's own numbers (see the class comment)
    processor.setJWTClaimsSetVerifier(null);
  }

  private static Set<JOSEObjectType> withNull(Set<JOSEObjectType> types) {
    Set<JOSEObjectType> all = new HashSet<>(types);
    all.add(null);
    return all;
  }

  /** An RSA public key from PEM ("-----BEGIN PUBLIC KEY-----", X.509 SubjectPublicKeyInfo). */
  public static PublicKey rsaPublicKey(String pem) {
    String base64 =
        pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a PEM RSA public key: " + e.getMessage(), e);
    }
  }

  /** The algorithms a token may be signed with here: those a key is configured for. */
  public Set<JWSAlgorithm> algorithms() {
    return algorithms;
  }

  /** The JWKS keys, when a JWKS URL is configured. */
  public Optional<JwksKeys> jwks() {
    return Optional.ofNullable(jwks);
  }

  /** An HS256 token for the subject, stamped with the configured issuer and audience so that this node accepts it. */
  public String issue(String subject, Collection<String> roles, Duration ttl) {
    if (signer == null) {
      throw new IllegalStateException("no HS256 secret to issue tokens with");
    }
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject(subject)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .claim("roles", List.copyOf(roles));
    if (!issuer.isEmpty()) {
      claims.issuer(issuer);
    }
    if (!audience.isEmpty()) {
      claims.audience(audience);
    }
    SignedJWT token =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims.build());
    try {
      token.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return token.serialize();
  }

  /**
   * The caller named by a valid token; otherwise an {@code auth:unauthenticated}
   * error, or {@code server:unavailable} when the identity provider's keys cannot
   * be fetched and none are known.
   */
  public Caller verify(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw unauthenticated("missing or oversized token");
    }
    Caller known = verified.get(token, clock.instant());
    if (known != null) {
      return known;
    }
    SignedJWT jwt = parse(token);
    JWSHeader header = jwt.getHeader();
    if (!algorithms.contains(header.getAlgorithm())) {
      throw unauthenticated("unsupported token algorithm");
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      throw unauthenticated("token has critical header parameters this server does not understand");
    }
    if (!header.isBase64URLEncodePayload()) {
      throw unauthenticated("malformed token");
    }
    try {
      processor.process(jwt, null);
    } catch (BadJWSException e) {
      throw unauthenticated("invalid token signature");
    } catch (BadJWTException e) {
      throw unauthenticated("malformed token"); // claims that are not a JWT claims set
    } catch (BadJOSEException e) {
      throw unauthenticated(
          e.getMessage() != null && e.getMessage().contains("typ") ? "unsupported token type" : "no key here verifies this token");
    } catch (RateLimitReachedException e) {
      // an unknown kid, and the key set was fetched (or tried) moments ago
      throw jwks != null && jwks.unavailable() ? providerUnavailable() : unauthenticated("no key here verifies this token");
    } catch (KeySourceException e) {
      throw providerUnavailable(); // JwksKeys logs why
    } catch (JOSEException | RuntimeException e) {
      throw unauthenticated("invalid token");
    }
    Caller caller = claims(payload(jwt));
    verified.put(token, caller, clock.instant());
    return caller;
  }

  /** How many verified tokens are remembered now (tests). */
  int rememberedTokens() {
    return verified.size();
  }

  private static SignedJWT parse(String token) {
    JWT parsed;
    try {
      parsed = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      throw unauthenticated("malformed token");
    }
    if (!(parsed instanceof SignedJWT signed)) {
      throw unauthenticated("unsupported token algorithm"); // unsigned (alg: none) or encrypted
    }
    return signed;
  }

  /** The keys a token with this header may be signed with: never one the header brings along. */
  private List<Key> keys(JWSHeader header) throws KeySourceException {
    JWSAlgorithm alg = header.getAlgorithm();
    if (JWSAlgorithm.HS256.equals(alg)) {
      return hmacKey == null ? List.of() : List.of(hmacKey);
    }
    List<Key> keys = new ArrayList<>();
    if (JWSAlgorithm.RS256.equals(alg) && rsaKey != null) {
      keys.add(rsaKey);
    }
    if (jwks != null && (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.ES256.equals(alg))) {
      try {
        keys.addAll(jwks.select(header));
      } catch (KeySourceException e) {
        if (keys.isEmpty()) {
          throw e;
        }
        // the PEM key may still verify it
      }
    }
    return keys;
  }

  private static JsonNode payload(SignedJWT jwt) {
    try {
      JsonNode node = JSON.readTree(jwt.getParsedParts()[1].decode());
      if (node == null || !node.isObject()) {
        throw unauthenticated("malformed token");
      }
      return node;
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiException api) {
        throw api;
      }
      throw unauthenticated("malformed token");
    }
  }

  private Caller claims(JsonNode claims) {
    String subject = claims.path("sub").asText("");
    if (subject.isBlank()) {
      throw unauthenticated("token has no subject");
    }
    if (!claims.path("exp").canConvertToLong()) {
      throw unauthenticated("token has no expiry");
    }
    Instant now = clock.instant();
    Instant exp = numericDate(claims, "exp");
    // Leeway moves "now", not the claim: a claim near Instant.MAX must not overflow.
    if (now.minus(leeway).isAfter(exp)) {
      throw unauthenticated("token expired");
    }
    if (claims.has("nbf") && now.plus(leeway).isBefore(numericDate(claims, "nbf"))) {
      throw unauthenticated("token not yet valid");
    }
    if (!issuer.isEmpty() && !(claims.path("iss").isTextual() && issuer.equals(claims.path("iss").asText()))) {
      throw unauthenticated("token has another issuer");
    }
    if (!audience.isEmpty() && !audienceHolds(claims.path("aud"))) {
      throw unauthenticated("token is meant for another audience");
    }
    Set<String> roles = new LinkedHashSet<>();
    claims.path("roles").forEach(r -> roles.add(r.asText()));
    return new Caller(subject, Set.copyOf(roles), exp);
  }

  /** RFC 7519: {@code aud} is one string or an array of them. */
  private boolean audienceHolds(JsonNode aud) {
    if (aud.isTextual()) {
      return audience.equals(aud.asText());
    }
    if (aud.isArray()) {
      for (JsonNode one : aud) {
        if (one.isTextual() && audience.equals(one.asText())) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A time claim in epoch seconds. One that is not a number, or lies outside what
   * {@link Instant} holds, makes the token invalid: it must neither be ignored
   * nor escape as an exception that would be answered with a 500.
   */
  private static Instant numericDate(JsonNode claims, String name) {
    JsonNode value = claims.path(name);
    if (!value.canConvertToLong()) {
      throw unauthenticated("token has an invalid " + name);
    }
    try {
      return Instant.ofEpochSecond(value.asLong());
    } catch (DateTimeException e) {
      throw unauthenticated("token has an invalid " + name);
    }
  }

  private static ApiException providerUnavailable() {
    return new ApiException(ErrorCodes.SERVER_UNAVAILABLE, "the identity provider's keys cannot be fetched; try again later");
  }

  private static ApiException unauthenticated(String why) {
    return new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, why);
  }

  /** Stops the JWKS refresh thread, if any. */
  @Override
  public void close() {
    if (jwks != null) {
      jwks.close();
    }
  }
}
