package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.rendan.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node configured for an identity provider (RENDAN_JWT_JWKS_URL,
 * RENDAN_JWT_ISSUER, RENDAN_JWT_AUDIENCE) with dev mode on and no
 * RENDAN_HTTP_HOST: the provider's tokens open the API, the node's own dev
 * tokens still do, and the node listens on this machine only.
 */
@Tag("node")
class IdentityProviderNodeTest {
  private static final String ISSUER = "https://login.example.org/realms/staff";
  @TempDir static Path dataDir;
  private static JwksServer provider;
  private static RSAKey key;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    key = new RSAKeyGenerator(2048).keyID("2026-12").generate();
    provider = new JwksServer();
    provider.publish(key);
    node =
        TestNode.h2(
            dataDir,
            Map.of(
                "rendan.http.host", "",
                "rendan.auth.jwks.url", provider.url().toString(),
                "rendan.auth.issuer", ISSUER,
                "rendan.auth.audience", "rendan"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  private static String providerToken(String subject, String issuer, List<String> audience) throws Exception {
    return JwksServer.sign(key, key.getKeyID(), JwksServer.claims(subject, issuer, audience).build());
  }

  @Test
  void providerTokensOpenTheApi() throws Exception {
    // 404: past authentication, no such ME
    HttpResponse<String> r = node.get("/v1/mes/unknown", providerToken("alice", ISSUER, List.of("rendan")));
    assertEquals(404, r.statusCode(), r.body());
  }

  @Test
  void providerTokensForAnotherAudienceOrIssuerAreRefusedWithTheErrorShape() throws Exception {
    for (String token :
        List.of(
            providerToken("alice", ISSUER, List.of("another-app")),
            providerToken("alice", "https://elsewhere.example", List.of("rendan")),
            // the node's own secret, but without the issuer and audience it requires
            node.token("alice"))) {
      HttpResponse<String> r = node.get("/v1/mes/unknown", token);
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"code\":\"auth:unauthenticated\""), r.body());
    }
  }

  @Test
  void devTokensStillWork() throws Exception {
    HttpResponse<String> issued = node.postJson("/v1/dev/tokens", null, "{\"subject\":\"alice\"}");
    assertEquals(200, issued.statusCode(), issued.body());
    String token = issued.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    assertEquals(404, node.get("/v1/mes/unknown", token).statusCode());
  }

  @Test
  void devModeNodeListensOnThisMachineOnlyByDefault() {
    assertTrue(node.node().devMode());
    assertTrue(node.node().httpAddress().getAddress().isLoopbackAddress(), node.node().httpAddress().toString());
  }
}
