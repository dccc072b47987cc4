package io.rendan.load.client;

import io.rendan.protocol.api.v1.IssueDevTokenRequest;
import io.rendan.protocol.api.v1.IssueDevTokenResponse;
import java.io.IOException;
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
  private final HttpLane lane;
  private final Map<String, String> issued = new ConcurrentHashMap<>();

  private Tokens(String fixed, String prefix, Api api, HttpLane lane) {
    this.fixed = fixed;
    this.prefix = prefix;
    this.api = api;
    this.lane = lane;
  }

  public static Tokens fixed(String token) {
    return new Tokens(token, null, null, null);
  }

  /** Dev tokens, fetched over {@code lane}. */
  public static Tokens dev(String subjectPrefix, Api api, HttpLane lane) {
    return new Tokens(null, subjectPrefix, api, lane);
  }

  public String operator(int n) {
    return fixed != null ? fixed : issue(prefix + "-op-" + n, List.of());
  }

  /** May watch every ME (admin role): subscribers of the churn scenario. */
  public String watcher(int n) {
    return fixed != null ? fixed : issue(prefix + "-watch-" + n, List.of("admin"));
  }

  /** An admin: the naive-peer baseline's bids go through an admin-only route. */
  public String admin() {
    return fixed != null ? fixed : issue(prefix + "-admin", List.of("admin"));
  }

  private String issue(String subject, List<String> roles) {
    return issued.computeIfAbsent(
        subject,
        s -> {
          try {
            HttpLane.Response r =
                lane.send(
                    api.send(
                        "POST",
                        "/v1/dev/tokens",
                        null,
                        IssueDevTokenRequest.newBuilder().setSubject(s).addAllRoles(roles).build()));
            if (r.status() != 200) {
              throw new IllegalStateException(
                  "POST /v1/dev/tokens answered "
                      + r.status()
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
