package io.rendan.load.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes the report's records as JSON, with Jackson: each record's components,
 * then the figures it derives (its public no-argument methods returning a number
 * or a boolean, such as CPU per operation), so that report.json holds every
 * number the text report prints. Numbers keep six significant digits; NaN and
 * infinities are written as null.
 */
public final class Json {
  private static final Set<String> NOT_DERIVED = Set.of("hashCode", "toString");
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  private Json() {}

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(tree(value)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode tree(Object v) {
    if (v == null) {
      return NODES.nullNode();
    } else if (v instanceof String s) {
      return NODES.textNode(s);
    } else if (v instanceof Double d) {
      return number(d);
    } else if (v instanceof Float f) {
      return number(f.doubleValue());
    } else if (v instanceof Boolean b) {
      return NODES.booleanNode(b);
    } else if (v instanceof Number n) {
      return NODES.numberNode(n.longValue());
    } else if (v instanceof double[] a) {
      ArrayNode array = NODES.arrayNode();
      Arrays.stream(a).forEach(d -> array.add(number(d)));
      return array;
    } else if (v instanceof Map<?, ?> m) {
      ObjectNode object = NODES.objectNode();
      m.forEach((key, value) -> object.set(String.valueOf(key), tree(value)));
      return object;
    } else if (v instanceof Collection<?> c) {
      ArrayNode array = NODES.arrayNode();
      c.forEach(x -> array.add(tree(x)));
      return array;
    } else if (v.getClass().isRecord()) {
      return record(v);
    } else {
      return NODES.textNode(v.toString());
    }
  }

  private static ObjectNode record(Object r) {
    ObjectNode object = NODES.objectNode();
    Set<String> names = new HashSet<>();
    try {
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        names.add(c.getName());
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        object.set(c.getName(), tree(accessor.invoke(r)));
      }
      Method[] methods = r.getClass().getDeclaredMethods();
      Arrays.sort(methods, (a, b) -> a.getName().compareTo(b.getName()));
      for (Method m : methods) {
        Class<?> t = m.getReturnType();
        boolean figure = t == double.class || t == long.class || t == boolean.class || t == Double.class || t == Long.class;
        if (figure
            && m.getParameterCount() == 0
            && Modifier.isPublic(m.getModifiers())
            && !Modifier.isStatic(m.getModifiers())
            && !names.contains(m.getName())
            && !NOT_DERIVED.contains(m.getName())) {
          object.set(m.getName(), tree(m.invoke(r)));
        }
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    return object;
  }

  private static JsonNode number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return NODES.nullNode();
    } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return NODES.numberNode((long) d);
    } else {
      return NODES.numberNode(new BigDecimal(d).round(new MathContext(6)).stripTrailingZeros());
    }
  }
}
