package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rendan.TestNode;
import io.rendan.http.Endpoint;
import io.rendan.http.RouteTable;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real routes of a real node: a declared route (or not) with fuzzed path
 * segments, query, method, content type and body, as a signed-in subject. No
 * answer is a 5xx (an undeclared route would be: tests refuse them with 500),
 * and no answer shows an exception or a stack trace.
 */
class HttpRoutesFuzzTest {
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH");
  private static final List<String> TYPES =
      List.of("application/json", "application/x-protobuf", "application/x-ndjson", "text/plain", "application/json; charset=utf-8");
  private static TestNode node;
  private static String token;

  private static synchronized TestNode node() throws Exception {
    if (node == null) {
      node = TestNode.h2(Files.createTempDirectory("routes-fuzz"), java.util.Map.of("rendan.limits.requests-per-second", 1_000_000));
      token = node.token("fuzzer");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.close();
        } catch (Exception e) {
          // the JVM ends anyway
        }
      }));
    }
    return node;
  }

  @FuzzTest(maxDuration = "2m")
  void noRouteAnswers5xxOrAStackTrace(FuzzedDataProvider data) throws Exception {
    TestNode node = node();
    List<Endpoint> endpoints = RouteTable.API.endpoints();
    Endpoint endpoint = data.pickValue(endpoints);
    StringBuilder path = new StringBuilder();
    for (String segment : endpoint.template().substring(1).split("/")) {
      path.append('/');
      path.append(segment.startsWith("{") ? encode(data.consumeString(40)) : segment);
    }
    if (data.consumeBoolean()) {
      path.append('?').append(encode(data.consumeString(40))).append('=').append(encode(data.consumeString(40)));
    }
    String method = data.consumeBoolean() ? endpoint.method() : data.pickValue(METHODS);
    String type = data.pickValue(TYPES);
    boolean signedIn = data.consumeBoolean() || endpoint.access() != Endpoint.Access.PUBLIC;
    byte[] body = data.consumeRemainingAsBytes();
    if (endpoint.template().equals("/v1/ws")) {
      return; // a WebSocket upgrade; its frames are fuzzed by WsFrameFuzzTest
    }
    URI uri;
    try {
      uri = node.uri(path.toString());
    } catch (IllegalArgumentException e) {
      return; // not a URI a client could send
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", type)
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    if (signedIn) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = node.send(request.build());
    String what = method + " " + path + " " + type + ": " + response.statusCode() + " " + response.body();
    assertTrue(response.statusCode() < 500 || response.statusCode() == 503, what);
    assertFalse(response.body().matches("(?s).*(Exception|\\tat [a-z]|\\.java:\\d).*"), what);
  }

  /** Percent-encodes everything but unreserved characters, so that any string is one path segment. */
  private static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
