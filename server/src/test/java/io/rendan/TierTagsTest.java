package io.rendan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every test class of the build names its tier with one JUnit tag, so that `mvn test -Pfast`
 * (the unit tier) leaves out exactly the tests that start a node, PostgreSQL, a browser or a
 * benchmark, and a new test class cannot slip out of every tier.
 */
@Tag("unit")
class TierTagsTest {
  static final List<String> TIERS = List.of("unit", "node", "postgres", "browser", "bench");
  private static final Pattern TAG = Pattern.compile("^@Tag\\(\"([a-z]+)\"\\)", Pattern.MULTILINE);
  /** What only a test of a slower tier does: start a node, a node process or PostgreSQL. */
  private static final Pattern SLOW =
      Pattern.compile("TestNode\\.(h2|postgres)\\(|RendanNode\\.start\\(|NodeProcess\\.start\\(|TestPostgres\\.start\\(|EmbeddedPostgres\\.builder");

  @Test
  void everyTestClassHasExactlyOneTierTagAndUnitTestsStartNothing() throws IOException {
    List<Path> classes = new ArrayList<>();
    for (String module : List.of("server", "load-tests")) {
      try (Stream<Path> files = Files.walk(Path.of("..", module, "src", "test", "java"))) {
        files.filter(f -> f.getFileName().toString().matches(".*(Test|IT)\\.java")).forEach(classes::add);
      }
    }
    assertFalse(classes.isEmpty(), "no test classes found from " + Path.of("").toAbsolutePath());
    for (Path file : classes) {
      String source = Files.readString(file);
      Matcher m = TAG.matcher(source);
      List<String> tags = new ArrayList<>();
      while (m.find()) {
        tags.add(m.group(1));
      }
      assertEquals(1, tags.size(), file + " must carry exactly one tier tag of " + TIERS + ", has " + tags);
      String tier = tags.get(0);
      assertTrue(TIERS.contains(tier), file + ": unknown tier " + tier + ", known: " + TIERS);
      if (tier.equals("unit")) {
        assertFalse(SLOW.matcher(source).find(), file + " starts a node or PostgreSQL: tag it node or postgres");
      }
    }
  }
}
