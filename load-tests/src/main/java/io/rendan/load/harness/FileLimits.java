package io.rendan.load.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The open-file limit of this process, and whether a run's connections fit in
 * it. Each device stream is a socket in this process and one in the node's.
 * The JVM raises its own soft limit to the hard limit at start (HotSpot's
 * {@code MaxFDLimit}, on by default) and so do the nodes the harness starts,
 * which inherit the hard limit: nothing more can be raised from inside, and a
 * run that asks for more streams than the limit allows fails at set-up with
 * what to change, instead of dying halfway with "Too many open files".
 */
public final class FileLimits {
  /** Descriptors a run needs beside its streams: jars, logs, the HTTP lanes and WebSockets, the database. */
  static final long MARGIN = 500;

  private FileLimits() {}

  /** The soft and hard limits of open files of this process ({@code /proc/self/limits}); empty where unknown. */
  public static OptionalLong[] ofThisProcess() {
    try {
      return parse(Files.readAllLines(Path.of("/proc/self/limits")));
    } catch (IOException | RuntimeException e) {
      return new OptionalLong[] {OptionalLong.empty(), OptionalLong.empty()};
    }
  }

  /** The "Max open files" line of a {@code /proc/<pid>/limits}: soft, hard ("unlimited": empty). */
  static OptionalLong[] parse(List<String> limits) {
    for (String line : limits) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return new OptionalLong[] {value(f[0]), value(f[1])};
      }
    }
    return new OptionalLong[] {OptionalLong.empty(), OptionalLong.empty()};
  }

  private static OptionalLong value(String s) {
    return s.equals("unlimited") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
  }

  /**
   * Fails when {@code streams} connections (and the margin) do not fit in {@code soft};
   * the message says the figures and what to change.
   */
  public static void requireRoomFor(long streams, OptionalLong soft, OptionalLong hard) {
    if (soft.isEmpty() || streams + MARGIN <= soft.getAsLong()) {
      return;
    }
    long fits = Math.max(0, soft.getAsLong() - MARGIN);
    throw new IllegalStateException(
        String.format(
            "%d streams need %d open files in this process and in the node's, but the limit is %d (hard limit %s, `ulimit -Hn`),"
                + " and a process cannot raise it past the hard limit: at most %d streams fit here. Raise the hard limit where"
                + " the harness and the node run (a container started with --ulimit nofile=65536:65536, a systemd unit's"
                + " LimitNOFILE=65536, `ulimit -Hn 65536` as root where the capability allows), or ask for fewer streams",
            streams,
            streams + MARGIN,
            soft.getAsLong(),
            hard.isPresent() ? Long.toString(hard.getAsLong()) : "unlimited",
            fits));
  }
}
