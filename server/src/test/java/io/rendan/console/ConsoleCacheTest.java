package io.rendan.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Requests for files the console does not have leave nothing behind in memory. */
@Tag("unit")
class ConsoleCacheTest {
  @Test
  void missesAreNotCachedSoTheCacheHoldsOnlyTheConsolesFiles() {
    ConsoleRoutes console = new ConsoleRoutes(false);
    console.serve("js/app.js");
    for (int i = 0; i < 1_000; i++) {
      String name = "missing-" + i + ".js";
      assertEquals(ErrorCodes.ROUTE_NOT_FOUND, assertThrows(ApiException.class, () -> console.serve(name)).code());
    }
    console.serve("js/app.js");
    assertEquals(1, console.cached());
  }
}
