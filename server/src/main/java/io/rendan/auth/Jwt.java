package io.rendan.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies JSON Web Tokens signed with HS256 (a shared secret; dev mode also
 * issues these) or RS256 (the public key of the organisation's identity
 * provider). Each algorithm is accepted only when its own key is configured, and
 * each key only for its own algorithm, so a token's header can never choose how
 * it is checked ("none", or an RSA public key misused as an HMAC secret, are
 * refused). Tokens must carry "sub" and "exp"; "nbf" is honoured when present.
 */
public final class Jwt {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final int MAX_TOKEN_CHARS = 8192;

  private final SecretKeySpec key;
  private final PublicKey rsaKey;
  private final Duration leeway;
  private final Clock clock;

  public Jwt(byte[] secret, Duration leeway, Clock clock) {
    this(secret, null, leeway, clock);
  }

  /** Either key may be null, not both. */
  public Jwt(byte[] secret, PublicKey rsaKey, Duration leeway, Clock clock) {
    if (secret == null && rsaKey == null) {
      throw new IllegalArgumentException("an HS256 secret or an RS256 public key is required");
    }
    if (secret != null && secret.length < 32) {
      throw new IllegalArgumentException("the HS256 secret must be at least 32 bytes");
    }
    if (rsaKey != null && !"RSA".equals(rsaKey.getAlgorithm())) {
      throw new IllegalArgumentException("the RS256 key must be an RSA public key");
    }
    this.key = secret == null ? null : new SecretKeySpec(secret, "HmacSHA256");
    this.rsaKey = rsaKey;
    this.leeway = leeway;
    this.clock = clock;
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

  public String issue(String subject, Collection<String> roles, Duration ttl) {
    if (key == null) {
      throw new IllegalStateException("no HS256 secret to issue tokens with");
    }
    Instant now = clock.instant();
    ObjectNode header = JSON.createObjectNode().put("alg", "HS256").put("typ", "JWT");
    ObjectNode claims = JSON.createObjectNode();
    claims.put("sub", subject);
    claims.put("iat", now.getEpochSecond());
    claims.put("exp", now.plus(ttl).getEpochSecond());
    roles.forEach(claims.putArray("roles")::add);
    String signingInput = b64(header.toString()) + "." + b64(claims.toString());
    return signingInput + "." + B64.encodeToString(sign(signingInput));
  }

  /** The caller named by a valid token; otherwise an {@code auth:unauthenticated} error. */
  public Caller verify(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw unauthenticated("missing or oversized token");
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw unauthenticated("malformed token");
    }
    JsonNode header = decodeJson(parts[0]);
    String alg = header.path("alg").asText();
    byte[] signature;
    try {
      signature = B64D.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw unauthenticated("malformed token");
    }
    String signingInput = parts[0] + "." + parts[1];
    if ("HS256".equals(alg) && key != null) {
      if (!MessageDigest.isEqual(sign(signingInput), signature)) {
        throw unauthenticated("invalid token signature");
      }
    } else if ("RS256".equals(alg) && rsaKey != null) {
      if (!verifyRsa(signingInput, signature)) {
        throw unauthenticated("invalid token signature");
      }
    } else {
      throw unauthenticated("unsupported token algorithm");
    }
    JsonNode claims = decodeJson(parts[1]);
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
    Set<String> roles = new LinkedHashSet<>();
    claims.path("roles").forEach(r -> roles.add(r.asText()));
    return new Caller(subject, Set.copyOf(roles), exp);
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

  private boolean verifyRsa(String signingInput, byte[] signature) {
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(rsaKey);
      rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return rsa.verify(signature);
    } catch (SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] sign(String signingInput) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode decodeJson(String part) {
    try {
      JsonNode node = JSON.readTree(B64D.decode(part));
      if (node == null || !node.isObject()) {
        throw unauthenticated("malformed token");
      }
      return node;
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw unauthenticated("malformed token");
    }
  }

  private static ApiException unauthenticated(String why) {
    return new ApiException(ErrorCodes.AUTH_UNAUTHENTICATED, why);
  }
}
