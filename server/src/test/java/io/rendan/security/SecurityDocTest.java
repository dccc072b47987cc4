package io.rendan.security;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.http.Endpoint;
import io.rendan.NodeRoutes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** docs/SECURITY.md lists every declared route with who may call it. */
@Tag("unit")
class SecurityDocTest {
  @Test
  void everyDeclaredRouteIsInTheMatrixOfTheDocs() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "SECURITY.md"));
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      String row = "| `" + e.method() + "` | `" + e.template() + "` | " + e.access() + " | " + e.who() + " |";
      assertTrue(doc.contains(row), "docs/SECURITY.md lacks (or has another text for) the row: " + row);
    }
  }
}
