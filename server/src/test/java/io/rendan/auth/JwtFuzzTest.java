package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Tag;

/**
 * Whatever a token holds, verifying it gives a caller or a 401, never another
 * exception (which would be answered 500). Half the inputs are signed with the
 * node's own secret, so header and claims are the fuzzer's and still reach the
 * claim checks; a token accepted must then be an HS256 one, of the configured
 * issuer and audience, with a subject and not expired.
 */
@Tag("unit")
class JwtFuzzTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration LEEWAY = Duration.ofSeconds(30);

  /** Made on first use, once the fuzzer's agent runs, so that the classes it loads are instrumented. */
  private static final class Verifier {
    static final Jwt JWT =
        Jwt.builder(Clock.fixed(NOW, ZoneOffset.UTC)).hs256(SECRET).issuer("https://idp.example").audience("rendan").leeway(LEEWAY).build();
  }
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @FuzzTest(maxDuration = "2m")
  void anyTokenGivesACallerOrA401(FuzzedDataProvider data) throws Exception {
    String token;
    boolean signed = data.consumeBoolean();
    if (signed) {
      String header = data.consumeString(400);
      String claims = data.consumeRemainingAsString();
      String input = b64(header) + "." + b64(claims);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
      token = input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } else {
      token = data.consumeRemainingAsString();
    }
    Caller caller;
    try {
      caller = Verifier.JWT.verify(token);
    } catch (ApiException e) {
      assertEquals(ErrorCodes.AUTH_UNAUTHENTICATED, e.code(), e.getMessage());
      return;
    }
    assertFalse(caller.subject().isBlank());
    assertFalse(caller.expiresAt().isBefore(NOW.minus(LEEWAY)), "expired: " + caller);
    JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0]));
    assertEquals("HS256", header.path("alg").asText(), token);
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    assertEquals("https://idp.example", claims.path("iss").asText(), token);
    assertTrue(claims.path("aud").toString().contains("\"rendan\""), token);
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
