package io.rendan.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.health.HealthReport;
import com.nimbusds.jose.util.health.HealthStatus;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URL;
import java.net.UnknownHostException;
import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of the organisation's identity provider, from its JWKS URL:
 * a token's {@code kid} selects the key; the set is cached for
 * {@link Settings#cacheTtl} and refreshed in the background shortly before it
 * expires. A token whose {@code kid} is not in the set makes the set be fetched
 * again at once (the provider rotated its keys), at most twice per
 * {@link Settings#minRefetchInterval}, so tokens with made-up kids cannot turn the
 * node into a flood of requests to the provider. A key that left the set stops
 * verifying as soon as the set is fetched again. When the provider cannot be
 * reached the last set is kept for {@link Settings#keepOnOutage}.
 *
 * <p>Only RS256 keys of at least {@value #MIN_RSA_BITS} bits and ES256 keys on
 * P-256 are used; symmetric ({@code oct}) keys in the set never are, and keys
 * marked for encryption ({@code use: enc}) or for another {@code alg} are not
 * selected.
 *
 * <p>The fetch that a new kid causes runs on the thread that verifies the token,
 * for at most about twice {@link Settings#fetchTimeout}; threads verifying other
 * new-kid tokens meanwhile wait for it.
 */
public final class JwksKeys implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);
  static final int MIN_RSA_BITS = 2048;
  private static final int P256_BITS = 256;

  /** rendan.auth.jwks */
  public record Settings(
      URL url, Duration cacheTtl, Duration minRefetchInterval, Duration fetchTimeout, Duration keepOnOutage, int maxBytes) {
    public Settings {
      if (!"https".equals(url.getProtocol()) && !("http".equals(url.getProtocol()) && loopback(url.getHost()))) {
        throw new IllegalArgumentException("the JWKS URL must be https (plain http only on this machine): " + url);
      }
      if (minRefetchInterval.isNegative()
          || fetchTimeout.isNegative()
          || fetchTimeout.isZero()
          || keepOnOutage.isNegative()
          || maxBytes < 1) {
        throw new IllegalArgumentException("rendan.auth.jwks: timeouts and sizes must be positive");
      }
      Duration refreshWindow = Duration.ofMillis(JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME).plus(fetchTimeout.multipliedBy(2));
      if (cacheTtl.compareTo(minRefetchInterval) <= 0 || cacheTtl.compareTo(refreshWindow) <= 0) {
        throw new IllegalArgumentException(
            "rendan.auth.jwks.cache-ttl must be longer than min-refetch-interval and than 30 s + 2 x fetch-timeout");
      }
    }

    private static boolean loopback(String host) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
  }

  private final Settings settings;
  private volatile boolean unavailable;
  private final JWKSource<SecurityContext> source;
  private final JWSVerificationKeySelector<SecurityContext> selector;

  JwksKeys(Settings settings) {
    this.settings = settings;
    int timeoutMillis = Math.toIntExact(settings.fetchTimeout().toMillis());
    ExecutorService refresher =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "rendan-jwks-refresh");
              t.setDaemon(true);
              return t;
            });
    this.source =
        JWKSourceBuilder.<SecurityContext>create(
                settings.url(), new DefaultResourceRetriever(timeoutMillis, timeoutMillis, settings.maxBytes()))
            // threads that wait for another's fetch give up after connect + read timeout
            .cache(settings.cacheTtl().toMillis(), 2L * timeoutMillis)
            .refreshAheadCache(JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME, null, refresher, true, null, false)
            .rateLimited(settings.minRefetchInterval().toMillis())
            .healthReporting(this::fetched)
            .outageTolerant(
                settings.keepOnOutage().toMillis(),
                event -> {
                  if (event instanceof OutageTolerantJWKSetSource.OutageEvent<SecurityContext> outage) {
                    log.warn(
                        "the JWKS at {} cannot be fetched ({}); its last set keeps serving for {} s",
                        settings.url(),
                        outage.getException(),
                        outage.getRemainingTime() / 1000);
                  }
                })
            .build();
    this.selector = new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), source);
  }

  public URL url() {
    return settings.url();
  }

  /**
   * Whether the last fetch failed with no earlier set to stand in: then a token
   * the set cannot verify is the provider's outage (503), not the token's fault.
   */
  boolean unavailable() {
    return unavailable;
  }

  /** Every fetch, once the outage tolerance had its say; logged when the state changes. */
  private void fetched(HealthReport<?, SecurityContext> report) {
    boolean failed = report.getHealthStatus() == HealthStatus.NOT_HEALTHY;
    if (failed && !unavailable) {
      log.warn("the JWKS at {} cannot be fetched and no earlier set stands in: {}", settings.url(), String.valueOf(report.getException()));
    } else if (!failed && unavailable) {
      log.info("the JWKS at {} answers again", settings.url());
    }
    unavailable = failed;
  }

  /** The keys that may have signed a token with this header, fetching the set again if its kid is new. */
  List<Key> select(JWSHeader header) throws KeySourceException {
    return selector.selectJWSKeys(header, null).stream().filter(key -> usable(key, header.getAlgorithm())).toList();
  }

  private static boolean usable(Key key, JWSAlgorithm alg) {
    if (key instanceof RSAPublicKey rsa) {
      return JWSAlgorithm.RS256.equals(alg) && strongEnough(rsa);
    }
    if (key instanceof ECPublicKey ec) {
      return JWSAlgorithm.ES256.equals(alg) && ec.getParams().getCurve().getField().getFieldSize() == P256_BITS;
    }
    return false;
  }

  static boolean strongEnough(RSAPublicKey key) {
    return key.getModulus().bitLength() >= MIN_RSA_BITS;
  }

  /** The key ids of the set as it is now (fetched if it is not cached): for the log at start. */
  public List<String> keyIds() throws KeySourceException {
    return source.get(new JWKSelector(new JWKMatcher.Builder().build()), null).stream()
        .map(JWK::getKeyID)
        .map(kid -> kid == null ? "(no kid)" : kid)
        .toList();
  }

  @Override
  public void close() {
    if (source instanceof Closeable closeable) {
      try {
        closeable.close();
      } catch (IOException e) {
        // nothing is left to release
      }
    }
  }
}
