package io.rendan.http;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class AdmissionTest {
  @Test
  void writesBeyondTheLimitAreRefusedAtOnceWithServerOverloaded() {
    Admission admission = new Admission(2);
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<String> second = new CompletableFuture<>();
    AtomicInteger ran = new AtomicInteger();
    admission.admit(() -> first);
    admission.admit(() -> second);

    CompletableFuture<String> third =
        admission
            .admit(
                () -> {
                  ran.incrementAndGet();
                  return CompletableFuture.completedFuture("done");
                })
            .toCompletableFuture();

    assertEquals(0, ran.get(), "a refused write is not run");
    CompletionException refused = assertThrows(CompletionException.class, third::join);
    ApiException e = assertInstanceOf(ApiException.class, refused.getCause());
    assertEquals("server:overloaded", e.code());
    assertEquals(429, e.status());
    assertEquals(2, admission.inFlight());
  }

  @Test
  void aPlaceIsGivenBackWhenTheWorkEndsWellOrBadly() {
    Admission admission = new Admission(1);
    CompletableFuture<String> work = new CompletableFuture<>();
    admission.admit(() -> work);
    work.completeExceptionally(new IllegalStateException("the entity failed"));
    assertEquals(0, admission.inFlight());

    assertThrows(
        CompletionException.class,
        () -> admission.admit(() -> { throw new IllegalStateException("threw before its future"); }).toCompletableFuture().join());
    assertEquals(0, admission.inFlight());

    assertEquals("ok", admission.admit(() -> CompletableFuture.completedFuture("ok")).toCompletableFuture().join());
    assertEquals(0, admission.inFlight());
  }

  @Test
  void zeroMeansNoLimit() {
    Admission admission = new Admission(0);
    for (int i = 0; i < 10_000; i++) {
      admission.admit(CompletableFuture::new);
    }
    assertEquals("ok", admission.admit(() -> CompletableFuture.completedFuture("ok")).toCompletableFuture().join());
  }
}
