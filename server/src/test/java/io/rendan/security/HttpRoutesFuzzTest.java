package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rendan.TestNode;
import io.rendan.http.Endpoint;
import io.rendan.NodeRoutes;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * The real routes of a real node: a declared route (or not) with fuzzed path
 * segments, query, method, content type and body, as a signed-in subject. No
 * answer is a 5xx (an undeclared route would be: tests refuse them with 500),
 * and no answer shows an exception or a stack trace.
 */
@Tag("node")
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
    // Jazzer's SSRF detector refuses every connection unless the fuzz test allows it, on its
    // own thread and anew in every run: this test talks to its own node on loopback only.
    BugDetectors.allowNetworkConnections((host, port) -> host.equals("localhost") || host.equals("127.0.0.1"));
    TestNode node = node();
    List<Endpoint> endpoints = NodeRoutes.TABLE.endpoints();
    Endpoint endpoint = data.pickValue(endpoints);
    StringBuilder path = new StringBuilder();
    List<String> sent = new java.util.ArrayList<>(); // what the server may echo back in a message
    for (String segment : endpoint.template().substring(1).split("/")) {
      path.append('/');
      path.append(segment.startsWith("{") ? encode(fuzzed(data, sent)) : segment);
    }
    if (data.consumeBoolean()) {
      path.append('?').append(encode(fuzzed(data, sent))).append('=').append(encode(fuzzed(data, sent)));
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
    Answer response = send(uri, method, type, signedIn ? "Bearer " + token : null, body);
    String what = method + " " + path + " " + type + ": " + response.status() + " " + response.body();
    assertTrue(response.status() < 500 || response.status() == 503, what);
    java.util.regex.Matcher leak = LEAK.matcher(response.body());
    while (leak.find()) {
      String found = leak.group();
      // an id or value of the request, quoted back in a message, is not a leak
      boolean echoed = sent.stream().anyMatch(v -> v.contains(found.trim()) || encode(v).contains(found.trim()));
      assertTrue(echoed, "an exception or stack trace in the answer: " + what);
    }
  }

  /** An exception's class name, a stack frame, a source line: what must never reach a client. */
  private static final java.util.regex.Pattern LEAK =
      java.util.regex.Pattern.compile(
          "\\b[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+\\.[A-Z]\\w*(Exception|Error)\\b|\\b[A-Z]\\w*Exception\\b|\\tat [a-z]|\\.java:\\d+");

  private static String fuzzed(FuzzedDataProvider data, List<String> sent) {
    String value = data.consumeString(40);
    sent.add(value);
    return value;
  }

  private record Answer(int status, String body) {}

  /**
   * One HTTP/1.1 exchange over a socket opened on the fuzzing thread: Jazzer's SSRF
   * detector allows connections per thread, and the JDK client connects on its own.
   */
  private static Answer send(URI uri, String method, String type, String authorization, byte[] body) throws Exception {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", uri.getPort()), 5_000);
      socket.setSoTimeout(20_000);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(uri.getRawPath()).append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1:").append(uri.getPort()).append("\r\n");
      head.append("Content-Type: ").append(type).append("\r\n");
      head.append("Content-Length: ").append(body.length).append("\r\n");
      if (authorization != null) {
        head.append("Authorization: ").append(authorization).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      java.io.OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int status = Integer.parseInt(answer.substring(9, 12));
      int split = answer.indexOf("\r\n\r\n");
      return new Answer(status, split < 0 ? "" : answer.substring(split + 4));
    }
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
