package io.rendan.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SubjectLimitsTest {
  private final AtomicLong now = new AtomicLong();

  @Test
  void aBucketRefillsAtItsRateUpToItsBurst() {
    SubjectLimits limits = new SubjectLimits(new SubjectLimits.Settings(2, 3, 1, 100), now::get);
    for (int i = 0; i < 3; i++) {
      assertEquals(Duration.ZERO, limits.acquire("a"));
    }
    assertEquals(Duration.ofMillis(500), limits.acquire("a"));
    assertEquals(Duration.ZERO, limits.acquire("b"), "b has its own bucket");
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertEquals(Duration.ZERO, limits.acquire("a"));
  }

  @Test
  void idleBucketsAreForgottenSoTheStateStaysBounded() {
    SubjectLimits limits = new SubjectLimits(new SubjectLimits.Settings(10, 10, 1, 1000), now::get);
    for (int i = 0; i < 1000; i++) {
      limits.acquire("subject-" + i);
    }
    assertEquals(1000, limits.trackedSubjects());
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    limits.acquire("late");
    assertEquals(1, limits.trackedSubjects());
  }

  @Test
  void pastMaxSubjectsNewcomersShareOneBucket() {
    SubjectLimits limits = new SubjectLimits(new SubjectLimits.Settings(1, 1, 1, 10), now::get);
    for (int i = 0; i < 100; i++) {
      limits.acquire("subject-" + i);
    }
    assertTrue(limits.trackedSubjects() <= 11, "tracked " + limits.trackedSubjects());
  }

  @Test
  void connectionsAreCountedPerSubjectAndForgottenAtZero() {
    SubjectLimits limits = new SubjectLimits(new SubjectLimits.Settings(1, 1, 2, 10), now::get);
    assertTrue(limits.openConnection("a"));
    assertTrue(limits.openConnection("a"));
    assertFalse(limits.openConnection("a"));
    assertTrue(limits.openConnection("b"));
    limits.closeConnection("a");
    assertTrue(limits.openConnection("a"));
    limits.closeConnection("a");
    limits.closeConnection("a");
    limits.closeConnection("b");
    assertEquals(0, limits.trackedSubjects());
  }
}
