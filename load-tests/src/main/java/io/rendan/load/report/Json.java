package io.rendan.load.report;

import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.math.MathContext;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes the report's records as JSON: each record's components, then the
 * figures it derives (its public no-argument methods returning a number or a
 * boolean, such as CPU per operation), so that report.json holds every number
 * the text report prints.
 */
public final class Json {
  private static final Set<String> NOT_DERIVED = Set.of("hashCode", "toString");

  private Json() {}

  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    sb.append('\n');
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, int indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      string(sb, s);
    } else if (v instanceof Double d) {
      number(sb, d);
    } else if (v instanceof Float f) {
      number(sb, f.doubleValue());
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof double[] a) {
      sb.append('[');
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        number(sb, a[i]);
      }
      sb.append(']');
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        first = separator(sb, first, indent + 1);
        string(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), indent + 1);
      }
      close(sb, first, indent, '}');
    } else if (v instanceof Collection<?> c) {
      boolean flat = c.stream().allMatch(x -> x instanceof double[] || x instanceof Number);
      sb.append('[');
      boolean first = true;
      for (Object x : c) {
        if (flat) {
          if (!first) {
            sb.append(',');
          }
          first = false;
        } else {
          first = separator(sb, first, indent + 1);
        }
        write(sb, x, indent + 1);
      }
      if (flat) {
        sb.append(']');
      } else {
        close(sb, first, indent, ']');
      }
    } else if (v.getClass().isRecord()) {
      record(sb, v, indent);
    } else {
      string(sb, v.toString());
    }
  }

  private static void record(StringBuilder sb, Object r, int indent) {
    sb.append('{');
    boolean first = true;
    Set<String> names = new HashSet<>();
    try {
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        names.add(c.getName());
        first = separator(sb, first, indent + 1);
        string(sb, c.getName());
        sb.append(": ");
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        write(sb, accessor.invoke(r), indent + 1);
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
          first = separator(sb, first, indent + 1);
          string(sb, m.getName());
          sb.append(": ");
          write(sb, m.invoke(r), indent + 1);
        }
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    close(sb, first, indent, '}');
  }

  private static boolean separator(StringBuilder sb, boolean first, int indent) {
    if (!first) {
      sb.append(',');
    }
    sb.append('\n').append("  ".repeat(indent));
    return false;
  }

  private static void close(StringBuilder sb, boolean empty, int indent, char bracket) {
    if (!empty) {
      sb.append('\n').append("  ".repeat(indent));
    }
    sb.append(bracket);
  }

  private static void number(StringBuilder sb, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      sb.append("null");
    } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      sb.append((long) d);
    } else {
      sb.append(new BigDecimal(d).round(new MathContext(6)).stripTrailingZeros().toPlainString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
