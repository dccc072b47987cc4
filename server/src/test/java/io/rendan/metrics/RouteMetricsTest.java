package io.rendan.metrics;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Route labels stay templates, so that the number of series does not grow with the data. */
@Tag("unit")
class RouteMetricsTest {
  @Test
  void idsInApiPathsBecomePlaceholders() {
    assertEquals("/v1/mes", RouteMetrics.template("/v1/mes"));
    assertEquals("/v1/mes/{id}", RouteMetrics.template("/v1/mes/3f2a-77"));
    assertEquals("/v1/mes/{id}/capabilities", RouteMetrics.template("/v1/mes/abc/capabilities"));
    assertEquals("/v1/mes/{id}/operators/{id}", RouteMetrics.template("/v1/mes/abc/operators/alice"));
    assertEquals(
        "/v1/emcs/{id}/invitations/{id}/accept", RouteMetrics.template("/v1/emcs/e1/invitations/i9/accept"));
  }

  @Test
  void namesOutsideIdCollectionsAreKept() {
    assertEquals("/v1/dev/tokens", RouteMetrics.template("/v1/dev/tokens"));
    assertEquals("/v1/ws", RouteMetrics.template("/v1/ws"));
    assertEquals("/health/ready", RouteMetrics.template("/health/ready"));
    assertEquals("/metrics", RouteMetrics.template("/metrics"));
    assertEquals("/", RouteMetrics.template("/"));
    assertEquals("/v1/mes", RouteMetrics.template("/v1/mes/"));
  }
}
