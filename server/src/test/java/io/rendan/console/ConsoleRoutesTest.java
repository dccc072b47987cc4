package io.rendan.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's files over plain HTTP: no token, the right types and cache headers, 404 in the API's shape. */
@Tag("node")
class ConsoleRoutesTest {
  @TempDir static Path dataDir;
  static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.h2(dataDir);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void thePageIsServedAtTheRootWithoutAToken() throws Exception {
    HttpResponse<String> page = node.get("/", null);
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=UTF-8", page.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElseThrow());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("default-src 'self'"));
    assertTrue(page.body().contains("<script type=\"module\" src=\"/console/js/app.js\">"), page.body());
  }

  @Test
  void assetsHaveTheirContentTypes() throws Exception {
    assertType("/console/js/app.js", "text/javascript; charset=UTF-8");
    assertType("/console/js/api.js", "text/javascript; charset=UTF-8");
    assertType("/console/js/views/rounds.js", "text/javascript; charset=UTF-8");
    assertType("/console/console.css", "text/css; charset=UTF-8");
    assertType("/console/favicon.svg", "image/svg+xml");
    assertType("/console/index.html", "text/html; charset=UTF-8");
  }

  @Test
  void anUnchangedAssetIsNotSentAgain() throws Exception {
    HttpResponse<String> first = node.get("/console/js/api.js", null);
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = node.send(node.request("/console/js/api.js", null).header("If-None-Match", etag).GET().build());
    assertEquals(304, again.statusCode());
  }

  @Test
  void theSettingsSayWhetherDevModeIsOn() throws Exception {
    HttpResponse<String> settings = node.get("/console/settings.json", null);
    assertEquals(200, settings.statusCode());
    assertEquals("application/json", settings.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("no-store", settings.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals("{\"devMode\":true}", settings.body());
  }

  @Test
  void aMissingAssetIs404InTheErrorShape() throws Exception {
    for (String path : new String[] {"/console/nope.js", "/console/js/nope.js", "/console/../application.conf", "/console/%2e%2e/application.conf", "/console/logback.xml", "/console/"}) {
      HttpResponse<String> missing = node.get(path, null);
      assertEquals(404, missing.statusCode(), path);
      assertEquals("application/json", missing.headers().firstValue("Content-Type").orElseThrow(), path);
      assertTrue(missing.body().contains("\"code\":\"route:not-found\""), path + " " + missing.body());
    }
  }

  @Test
  void theApiStillNeedsItsToken() throws Exception {
    assertEquals(401, node.get("/v1/rounds", null).statusCode());
  }

  private static void assertType(String path, String type) throws Exception {
    HttpResponse<String> r = node.get(path, null);
    assertEquals(200, r.statusCode(), path);
    assertEquals(type, r.headers().firstValue("Content-Type").orElseThrow(), path);
    assertEquals("no-cache", r.headers().firstValue("Cache-Control").orElseThrow(), path);
    assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow(), path);
    assertTrue(r.body().length() > 0, path);
  }
}
