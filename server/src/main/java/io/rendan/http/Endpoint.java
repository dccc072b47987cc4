package io.rendan.http;

import java.util.List;

/**
 * One route of the API as its routes class declares it: method, path template
 * ({@code {name}} stands for one path segment, a last {@code {name...}} for
 * one or more), what proves who the caller is,
 * and, in words, who may use it on which objects. The declarations are the
 * route table that {@link RouteTable}, the authorization tests and
 * docs/SECURITY.md work from.
 */
public record Endpoint(String method, String template, Access access, String who) {

  /** How a caller proves who it is; what it may then do with an object its entity decides. */
  public enum Access {
    /** Nobody needs to: health, metrics, dev tokens (dev mode only), console files. */
    PUBLIC,
    /** The appliance's own device secret ({@code Authorization: Device <secret>}), no bearer token. */
    DEVICE,
    /** A valid bearer token; the entity then checks the subject against the object (operator, owner, member...). */
    BEARER,
    /** A valid bearer token with the {@code admin} role. */
    ADMIN
  }

  public Endpoint {
    if (!List.of("GET", "POST", "PUT", "DELETE").contains(method)) {
      throw new IllegalArgumentException("unexpected method " + method);
    }
    if (!template.startsWith("/")) {
      throw new IllegalArgumentException("a template starts with /: " + template);
    }
  }

  public static Endpoint get(String template, Access access, String who) {
    return new Endpoint("GET", template, access, who);
  }

  public static Endpoint post(String template, Access access, String who) {
    return new Endpoint("POST", template, access, who);
  }

  public static Endpoint put(String template, Access access, String who) {
    return new Endpoint("PUT", template, access, who);
  }

  public static Endpoint delete(String template, Access access, String who) {
    return new Endpoint("DELETE", template, access, who);
  }

  /** Does a request path fall under this template? Segment by segment; a {@code {name}} takes any one non-empty segment. */
  public boolean matches(String method, String path) {
    String effective = method.equals("HEAD") ? "GET" : method;
    if (!this.method.equals(effective)) {
      return false;
    }
    String[] want = template.split("/", -1);
    String[] got = path.split("/", -1);
    boolean rest = want[want.length - 1].endsWith("...}");
    if (rest ? got.length < want.length : want.length != got.length) {
      return false;
    }
    for (int i = want.length; i < got.length; i++) {
      if (got[i].isEmpty()) {
        return false;
      }
    }
    for (int i = 0; i < want.length; i++) {
      boolean variable = want[i].startsWith("{") && want[i].endsWith("}");
      if (variable ? got[i].isEmpty() : !want[i].equals(got[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return method + " " + template;
  }
}
