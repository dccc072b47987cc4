package io.rendan.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rendan.NodeRoutes;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * openapi.json describes exactly the routes of {@link NodeRoutes#TABLE}: every declared
 * route, with its path parameters and who may call it, and no other; every message it
 * names is a message of the API's protocol.
 */
@Tag("unit")
class OpenApiTest {
  private static final Pattern PARAMETER = Pattern.compile("\\{(\\w+)(?:\\.\\.\\.)?\\}");
  private static JsonNode doc;

  @BeforeAll
  static void read() throws Exception {
    try (InputStream in = OpenApiTest.class.getClassLoader().getResourceAsStream(OpenApiRoutes.RESOURCE)) {
      assertNotNull(in, OpenApiRoutes.RESOURCE);
      doc = new ObjectMapper().readTree(in);
    }
  }

  @Test
  void isOpenApi31() {
    assertTrue(doc.path("openapi").asText().startsWith("3.1."), doc.path("openapi").asText());
  }

  @Test
  void everyDeclaredRouteIsDescribedAndNothingElse() {
    Map<String, Endpoint> declared = new TreeMap<>();
    NodeRoutes.TABLE.endpoints().forEach(e -> declared.put(e.method() + " " + openApiPath(e.template()), e));
    Set<String> described = new TreeSet<>();
    doc.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> described.add(m.toUpperCase() + " " + p.getKey())));
    assertEquals(declared.keySet(), described, "openapi.json must describe every route of NodeRoutes.TABLE, and no other");
  }

  @Test
  void eachOperationNamesItsPathParametersAndWhoMayCallIt() {
    for (Endpoint e : NodeRoutes.TABLE.endpoints()) {
      String name = e.method() + " " + e.template();
      JsonNode op = doc.path("paths").path(openApiPath(e.template())).path(e.method().toLowerCase());
      assertEquals(e.access().name(), op.path("x-rendan-access").asText(), name);
      List<String> security = new ArrayList<>();
      op.path("security").forEach(s -> s.fieldNames().forEachRemaining(security::add));
      List<String> expected =
          switch (e.access()) {
            case PUBLIC -> List.of();
            case DEVICE -> List.of("device");
            case BEARER, ADMIN -> List.of("bearer");
          };
      assertEquals(expected, security, name + ": security");
      Set<String> inPath = new TreeSet<>();
      Matcher m = PARAMETER.matcher(e.template());
      while (m.find()) {
        inPath.add(m.group(1));
      }
      Set<String> pathParameters = new TreeSet<>();
      op.path("parameters").forEach(p -> {
        if (p.path("in").asText().equals("path")) {
          pathParameters.add(p.path("name").asText());
          assertTrue(p.path("required").asBoolean(), name + ": path parameter " + p.path("name").asText() + " is required");
        }
      });
      assertEquals(inPath, pathParameters, name + ": path parameters");
      assertTrue(op.path("responses").has("default"), name + ": the error shape as default response");
    }
  }

  @Test
  void everyNamedSchemaIsAMessageOfTheApiProtocol() throws Exception {
    Iterator<Map.Entry<String, JsonNode>> schemas = doc.path("components").path("schemas").fields();
    int count = 0;
    while (schemas.hasNext()) {
      Map.Entry<String, JsonNode> schema = schemas.next();
      assertEquals("rendan.api.v1." + schema.getKey(), schema.getValue().path("x-protobuf-message").asText());
      Class.forName("io.rendan.protocol.api.v1." + schema.getKey());
      count++;
    }
    assertTrue(count > 20, "schemas: " + count);
    List<String> refs = new ArrayList<>();
    collectRefs(doc.path("paths"), refs);
    for (String ref : refs) {
      String schema = ref.substring("#/components/schemas/".length());
      assertTrue(doc.path("components").path("schemas").has(schema), ref + " names no schema");
    }
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.has("$ref")) {
      refs.add(node.get("$ref").asText());
    }
    node.forEach(child -> collectRefs(child, refs));
  }

  /** OpenAPI has no multi-segment parameter: the console's {file...} is one {file}. */
  private static String openApiPath(String template) {
    return template.replace("...}", "}");
  }
}
