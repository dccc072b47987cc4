package io.rendan;

import com.typesafe.config.Config;
import io.rendan.auth.Jwt;
import io.rendan.auth.JwksKeys;
import io.rendan.auth.SubjectLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The node's bearer tokens and per-subject limits, as rendan.auth and rendan.limits configure them. */
final class NodeAuth {
  private static final Logger log = LoggerFactory.getLogger(NodeAuth.class);

  private NodeAuth() {}

  /**
   * Bearer token verification as rendan.auth configures it. Tokens expire in
   * real time, whatever pace the business clock keeps. A JWKS is fetched once in
   * the background at start, so that its first token does not wait and the log
   * says early whether the identity provider can be reached.
   */
  static Jwt jwt(Config config, boolean devMode) throws IOException {
    Config auth = config.getConfig("rendan.auth");
    PublicKey rsaKey = rsaPublicKey(config);
    JwksKeys.Settings jwks = jwksSettings(auth.getConfig("jwks"));
    Jwt jwt =
        Jwt.builder(Clock.systemUTC())
            .hs256(secret(config, devMode, rsaKey != null || jwks != null))
            .rs256(rsaKey)
            .jwks(jwks)
            .issuer(auth.getString("issuer"))
            .audience(auth.getString("audience"))
            .leeway(auth.getDuration("leeway"))
            .verifiedCache(auth.getInt("verified-cache.entries"), auth.getDuration("verified-cache.ttl"))
            .build();
    log.info(
        "bearer tokens: {} ({}{}), issuer {}, audience {}",
        jwt.algorithms().stream().map(Object::toString).sorted().toList(),
        rsaKey == null ? "" : "RS256 PEM key, ",
        jwks == null ? "no JWKS" : "JWKS " + jwks.url(),
        auth.getString("issuer").isBlank() ? "not checked" : auth.getString("issuer").trim(),
        auth.getString("audience").isBlank() ? "not checked" : auth.getString("audience").trim());
    jwt.jwks()
        .ifPresent(
            keys -> {
              Thread first =
                  new Thread(
                      () -> {
                        try {
                          log.info("JWKS {} holds the keys {}", keys.url(), keys.keyIds());
                        } catch (Exception e) {
                          log.warn("the JWKS {} cannot be fetched yet: {}", keys.url(), e.toString());
                        }
                      },
                      "rendan-jwks-first-fetch");
              first.setDaemon(true);
              first.start();
            });
    return jwt;
  }

  private static JwksKeys.Settings jwksSettings(Config jwks) {
    String url = jwks.getString("url").trim();
    if (url.isEmpty()) {
      return null;
    }
    try {
      return new JwksKeys.Settings(
          java.net.URI.create(url).toURL(),
          jwks.getDuration("cache-ttl"),
          jwks.getDuration("min-refetch-interval"),
          jwks.getDuration("fetch-timeout"),
          jwks.getDuration("keep-on-outage"),
          Math.toIntExact(jwks.getBytes("max-bytes")));
    } catch (java.net.MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("RENDAN_JWT_JWKS_URL: " + e.getMessage(), e);
    }
  }

  /**
   * The configured HS256 secret; in dev mode without one, a random secret kept in
   * the data directory so that tokens survive a restart.
   */
  private static byte[] secret(Config config, boolean devMode, boolean providerConfigured) throws IOException {
    String configured = config.getString("rendan.auth.hs256-secret");
    if (!configured.isEmpty()) {
      return configured.getBytes(StandardCharsets.UTF_8);
    }
    if (!devMode) {
      if (providerConfigured) {
        return null; // the identity provider's tokens only
      }
      throw new IllegalStateException(
          "outside dev mode a key for bearer tokens is required: RENDAN_JWT_SECRET (HS256) and/or "
              + "RENDAN_JWT_JWKS_URL (RS256, ES256) or RENDAN_JWT_PUBLIC_KEY or RENDAN_JWT_PUBLIC_KEY_FILE (RS256)");
    }
    Path file = Path.of(config.getString("rendan.data-dir"), "dev-jwt-secret");
    if (!Files.exists(file)) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      Files.createDirectories(file.getParent());
      Files.writeString(file, Base64.getEncoder().encodeToString(random));
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the file stays with default permissions
      }
    }
    return Base64.getDecoder().decode(Files.readString(file).trim());
  }

  static SubjectLimits.Settings subjectLimits(Config config) {
    Config limits = config.getConfig("rendan.limits");
    return new SubjectLimits.Settings(
        limits.getDouble("requests-per-second"),
        limits.getInt("request-burst"),
        limits.getInt("ws-connections-per-subject"),
        limits.getInt("max-subjects"));
  }

  /** The identity provider's RS256 public key (PEM), inline or from a file; null when neither is set. */
  private static PublicKey rsaPublicKey(Config config) throws IOException {
    String pem = config.getString("rendan.auth.rs256-public-key");
    String file = config.getString("rendan.auth.rs256-public-key-file");
    if (pem.isBlank() && !file.isBlank()) {
      pem = Files.readString(Path.of(file));
    }
    return pem.isBlank() ? null : Jwt.rsaPublicKey(pem);
  }
}
