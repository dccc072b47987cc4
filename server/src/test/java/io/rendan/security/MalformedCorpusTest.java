package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.rendan.TestNode;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.Error;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.Round;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays the corpus of malformed requests in {@code src/test/resources/malformed/}
 * against a real node on a real port, over a plain socket (so that requests an
 * HTTP client library would refuse to send, such as a bad percent-encoding, get
 * through): every one is refused with its expected status and code in the error
 * shape, no stack trace, and none stores anything.
 */
@Tag("node")
class MalformedCorpusTest {
  @TempDir static Path dir;
  static TestNode node;
  static String alice;
  static Map<String, String> ids = new LinkedHashMap<>();
  static long journalBefore;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dir);
    alice = node.token("alice");
    String meId = parse(node.postJson("/v1/mes", alice, "{\"name\":\"Owner\",\"kind\":\"INTERNAL\"}"), Me.newBuilder()).getMeId();
    String emcId =
        parse(node.postJson("/v1/emcs", alice, "{\"name\":\"L\",\"userGroup\":\"u\",\"ownerMeId\":\"" + meId + "\",\"ownerSide\":\"EXPERIENCE\"}"), Emc.newBuilder())
            .getEmcId();
    String roundId =
        parse(node.postJson(
                "/v1/emcs/" + emcId + "/calls",
                alice,
                "{\"call\":{\"capability\":\"x\",\"side\":\"SOLUTION\",\"role\":\"r\",\"maxShareBps\":100,\"mode\":\"SEALED\","
                    + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}},\"closesInSeconds\":3600}"),
            Round.newBuilder()).getRoundId();
    String applianceId =
        parse(node.postJson("/v1/emcs/" + emcId + "/appliances", alice, "{\"type\":\"WASHER\",\"model\":\"m\",\"location\":\"l\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}"),
                ProvisionedAppliance.newBuilder())
            .getAppliance().getApplianceId();
    ids.put("{meId}", meId);
    ids.put("{emcId}", emcId);
    ids.put("{roundId}", roundId);
    ids.put("{applianceId}", applianceId);
    // the EMC's start reaches its owner ME as a stored membership, asynchronously: let it land first
    TestNode.await(
        java.time.Duration.ofSeconds(15),
        "the owner ME records its membership",
        () -> parse(node.get("/v1/mes/" + meId, alice), Me.newBuilder()).getMembershipsCount() == 1);
    journalBefore = node.journalRows();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      assertEquals(journalBefore, node.journalRows(), "the malformed corpus stored nothing: " + journal());
    } finally {
      node.close();
    }
  }

  private static List<String> journal() throws Exception {
    List<String> rows = new ArrayList<>();
    try (var c = node.connection();
        var s = c.createStatement();
        var rs = s.executeQuery("SELECT \"persistence_id\", \"sequence_number\", \"event_ser_manifest\" FROM \"event_journal\" ORDER BY \"ordering\"")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "#" + rs.getLong(2) + " " + rs.getString(3));
      }
    }
    return rows;
  }

  @TestFactory
  Stream<DynamicTest> everyMalformedRequestIsRefusedInTheErrorShape() throws Exception {
    Path corpus = Path.of("src/test/resources/malformed");
    List<Path> cases;
    try (Stream<Path> files = Files.list(corpus)) {
      cases = files.filter(f -> f.toString().endsWith(".http")).sorted().toList();
    }
    assertTrue(cases.size() >= 20, "the corpus is there: " + corpus.toAbsolutePath());
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> replay(c)));
  }

  private static void replay(Path file) throws Exception {
    Case c = Case.read(file);
    Answer answer = send(c);
    String what = file.getFileName() + ": " + answer.status() + " " + abbreviate(answer.body());
    String[] expect = c.meta().get("expect").split(" ");
    assertEquals(Integer.parseInt(expect[0]), answer.status(), what);
    assertEquals("application/json", answer.headers().get("content-type"), what);
    Error.Builder error = Error.newBuilder();
    JsonFormat.parser().merge(answer.body(), error);
    assertEquals(expect[1], error.getCode(), what);
    assertEquals(answer.status(), error.getStatus(), what);
    assertFalse(answer.body().matches("(?s).*(Exception|\\tat [a-z]|\\.java:\\d|StackOverflow).*"), what);
  }

  /** One request of the corpus, as the file says. */
  record Case(String method, String path, Map<String, String> headers, Map<String, String> meta, byte[] body) {
    static Case read(Path file) throws Exception {
      List<String> lines = new ArrayList<>(List.of(Files.readString(file).split("\n", -1)));
      while (lines.get(0).startsWith("#")) {
        lines.remove(0);
      }
      String[] requestLine = lines.remove(0).split(" ", 2);
      Map<String, String> headers = new LinkedHashMap<>();
      Map<String, String> meta = new LinkedHashMap<>();
      while (!lines.isEmpty() && !lines.get(0).isEmpty()) {
        String line = lines.remove(0);
        int colon = line.indexOf(':');
        String name = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (name.startsWith("X-Case-")) {
          meta.put(name.substring("X-Case-".length()).toLowerCase(Locale.ROOT), value);
        } else {
          headers.put(name, value);
        }
      }
      if (!lines.isEmpty()) {
        lines.remove(0);
      }
      String text = String.join("\n", lines);
      if (text.endsWith("\n")) {
        text = text.substring(0, text.length() - 1);
      }
      byte[] body;
      if (meta.containsKey("body-hex")) {
        body = HexFormat.of().parseHex(meta.get("body-hex").replace(" ", ""));
      } else {
        String filled = fill(text);
        if (meta.containsKey("nest")) {
          String[] nest = meta.get("nest").split("\\|", -1);
          int n = Integer.parseInt(nest[0]);
          filled = nest[1].repeat(n) + filled + nest[2].repeat(n);
        }
        if (meta.containsKey("repeat")) {
          filled = filled.repeat(Integer.parseInt(meta.get("repeat")));
        }
        body = filled.getBytes(StandardCharsets.UTF_8);
      }
      String path = fill(requestLine[1]);
      if (meta.containsKey("path-pad")) {
        path = path + "a".repeat(Integer.parseInt(meta.get("path-pad")));
      }
      if (meta.containsKey("header-pad")) {
        headers.put("X-Pad", "a".repeat(Integer.parseInt(meta.get("header-pad"))));
      }
      return new Case(requestLine[0], path, headers, meta, body);
    }

    private static String fill(String text) {
      for (Map.Entry<String, String> id : ids.entrySet()) {
        text = text.replace(id.getKey(), id.getValue());
      }
      return text;
    }
  }

  record Answer(int status, Map<String, String> headers, String body) {}

  /** HTTP/1.1 by hand over a socket; the node closes the connection after its answer. */
  private static Answer send(Case c) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      socket.setSoTimeout(30_000);
      StringBuilder head = new StringBuilder();
      head.append(c.method()).append(' ').append(c.path()).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1:").append(node.port()).append("\r\n");
      if (!"none".equals(c.meta().get("auth"))) {
        head.append("Authorization: Bearer ").append(alice).append("\r\n");
      }
      c.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      if (c.body().length > 0 || !c.method().equals("GET")) {
        head.append("Content-Length: ").append(c.body().length).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      try {
        out.write(c.body());
        out.flush();
      } catch (java.io.IOException refusedEarly) {
        // the node may answer and close before it has read a body it refuses
      }
      return parseAnswer(socket.getInputStream());
    }
  }

  private static Answer parseAnswer(InputStream in) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) != -1; ) {
        all.write(buffer, 0, n);
      }
    } catch (java.net.SocketException reset) {
      // a reset after the answer (the node closed with our body unread) still leaves the answer
    }
    String raw = all.toString(StandardCharsets.UTF_8);
    int end = raw.indexOf("\r\n\r\n");
    assertTrue(end > 0, "an HTTP answer: " + abbreviate(raw));
    String[] headLines = raw.substring(0, end).split("\r\n");
    int status = Integer.parseInt(headLines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < headLines.length; i++) {
      int colon = headLines[i].indexOf(':');
      headers.put(headLines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), headLines[i].substring(colon + 1).trim());
    }
    String body = raw.substring(end + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      StringBuilder joined = new StringBuilder();
      int at = 0;
      while (true) {
        int lineEnd = body.indexOf("\r\n", at);
        int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
        if (size == 0) {
          break;
        }
        joined.append(body, lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
      body = joined.toString();
    }
    return new Answer(status, headers, body);
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  private static <B extends com.google.protobuf.Message.Builder> B parse(HttpResponse<String> r, B builder) throws Exception {
    assertTrue(r.statusCode() / 100 == 2, r.body());
    JsonFormat.parser().ignoringUnknownFields().merge(r.body(), builder);
    return builder;
  }
}
