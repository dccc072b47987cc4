package io.rendan.load.client;

import io.rendan.protocol.api.v1.IssueDevTokenRequest;
import io.rendan.protocol.api.v1.IssueDevTokenResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens for the simulated clients. With a fixed token (a real node, dev
 * mode off) every client acts as that one subject. Otherwise each simulated
 * operator gets its own subject, {@code <prefix>-op-<n>}, and watchers an admin
 * token, from the node's dev-mode token route.
 */
public final class Tokens {
  private final String fixed;
  private final String prefix;
  private final Api api;
  private final HttpClient http;
  private final Map<String, String> issued = new ConcurrentHashMap<>();

  private Tokens(String fixed, String prefix, Api api, HttpClient http) {
    this.fixed = fixed;
    this.prefix = prefix;
    this.api = api;
    this.http = http;
  }

  public static Tokens fixed(String token) {
    return new Tokens(token, null, null, null);
  }

  public static Tokens dev(String subjectPrefix, Api api, HttpClient http) {
    return new Tokens(null, subjectPrefix, api, http);
  }

  /** The subject an operator acts as; with a fixed token, null (the token's own). */
  public String operatorSubject(int n) {
    return fixed != null ? null : prefix + "-op-" + n;
  }

  public String operator(int n) {
    return fixed != null ? fixed : issue(prefix + "-op-" + n, List.of());
  }

  /** May watch every ME (admin role): subscribers of the churn scenario. */
  public String watcher(int n) {
    return fixed != null ? fixed : issue(prefix + "-watch-" + n, List.of("admin"));
  }

  private String issue(String subject, List<String> roles) {
    return issued.computeIfAbsent(
        subject,
        s -> {
          try {
            HttpResponse<byte[]> r =
                http.send(
                    api.send(
                        "POST",
                        "/v1/dev/tokens",
                        null,
                        IssueDevTokenRequest.newBuilder().setSubject(s).addAllRoles(roles).build()),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
              throw new IllegalStateException(
                  "POST /v1/dev/tokens answered "
                      + r.statusCode()
                      + " "
                      + Api.errorCode(r)
                      + ": is the node in dev mode? Otherwise pass --token");
            }
            return Api.parse(r, IssueDevTokenResponse.newBuilder()).getToken();
          } catch (IOException e) {
            throw new IllegalStateException("could not reach " + api.base() + ": " + e, e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }
}
