package io.rendan.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command-line options: {@code --name value}, {@code --name=value}, or a bare
 * {@code --flag}. Every option read is remembered, so that one nobody reads (a
 * typo) is reported instead of silently ignored.
 */
public final class Options {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

  private final Map<String, String> values = new LinkedHashMap<>();
  private final List<String> positional = new ArrayList<>();
  private final Set<String> read = new LinkedHashSet<>();

  public static Options parse(String... args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--")) {
        String name = a.substring(2);
        int eq = name.indexOf('=');
        if (eq >= 0) {
          o.values.put(name.substring(0, eq), name.substring(eq + 1));
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          o.values.put(name, args[++i]);
        } else {
          o.values.put(name, "true");
        }
      } else {
        o.positional.add(a);
      }
    }
    return o;
  }

  public List<String> positional() {
    return positional;
  }

  public Options set(String name, String value) {
    values.put(name, value);
    return this;
  }

  public boolean has(String name) {
    read.add(name);
    return values.containsKey(name);
  }

  public String get(String name, String otherwise) {
    read.add(name);
    return values.getOrDefault(name, otherwise);
  }

  public boolean flag(String name) {
    String v = get(name, "false");
    return v.equals("true") || v.equals("yes") || v.equals("on");
  }

  public int getInt(String name, int otherwise) {
    String v = get(name, null);
    try {
      return v == null ? otherwise : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a whole number, not " + v);
    }
  }

  public double getDouble(String name, double otherwise) {
    String v = get(name, null);
    try {
      return v == null ? otherwise : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a number, not " + v);
    }
  }

  public Duration getDuration(String name, Duration otherwise) {
    String v = get(name, null);
    return v == null ? otherwise : duration(name, v);
  }

  /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}; a bare number is seconds. */
  public static Duration duration(String name, String v) {
    Matcher m = DURATION.matcher(v.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--" + name + " needs a duration such as 30s, 500ms or 2m, not " + v);
    }
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    double millis =
        switch (unit) {
          case "ms" -> n;
          case "s" -> n * 1_000;
          case "m" -> n * 60_000;
          default -> n * 3_600_000;
        };
    return Duration.ofMillis(Math.round(millis));
  }

  /** Options given but never read: misspelt, or meant for another command. */
  public List<String> unused() {
    List<String> out = new ArrayList<>();
    for (String name : values.keySet()) {
      if (!read.contains(name)) {
        out.add("--" + name);
      }
    }
    return out;
  }

  /** Everything given, for the report. */
  public Map<String, String> all() {
    return Map.copyOf(values);
  }
}
