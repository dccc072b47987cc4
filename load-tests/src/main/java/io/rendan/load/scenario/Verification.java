package io.rendan.load.scenario;

import java.util.List;

/**
 * The end-of-run check of a scenario: {@code passed} only when every
 * acknowledged operation was found stored and none was stored twice. {@code
 * problems} name what failed (the first few ids); {@code notes} say what was
 * seen without being a failure (requests in doubt, pushes missed).
 */
public record Verification(boolean passed, String summary, List<String> problems, List<String> notes) {
  public static Verification nothingToCheck(String why) {
    return new Verification(true, why, List.of(), List.of());
  }
}
