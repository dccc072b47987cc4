package io.rendan.http;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How a declared template covers request paths: the route table's undeclared-route check depends on it. */
@Tag("unit")
class EndpointTest {
  @Test
  void aVariableTakesExactlyOneNonEmptySegment() {
    Endpoint e = Endpoint.get("/v1/mes/{meId}", Endpoint.Access.BEARER, "x");
    assertTrue(e.matches("GET", "/v1/mes/abc"));
    assertTrue(e.matches("HEAD", "/v1/mes/abc"));
    assertFalse(e.matches("POST", "/v1/mes/abc"));
    assertFalse(e.matches("GET", "/v1/mes/"));
    assertFalse(e.matches("GET", "/v1/mes/abc/ledger"));
  }

  @Test
  void aLastRestVariableTakesOneOrMoreNonEmptySegments() {
    Endpoint e = Endpoint.get("/console/{file...}", Endpoint.Access.PUBLIC, "x");
    assertTrue(e.matches("GET", "/console/app.js"));
    assertTrue(e.matches("GET", "/console/js/views/me.js"));
    assertFalse(e.matches("GET", "/console"));
    assertFalse(e.matches("GET", "/console/"));
    assertFalse(e.matches("GET", "/console/js//me.js"));
    assertFalse(e.matches("GET", "/other/app.js"));
  }

  @Test
  void theRootIsItsOwnTemplate() {
    Endpoint e = Endpoint.get("/", Endpoint.Access.PUBLIC, "x");
    assertTrue(e.matches("GET", "/"));
    assertFalse(e.matches("GET", "/v1"));
  }
}
