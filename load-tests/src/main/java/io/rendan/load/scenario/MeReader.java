package io.rendan.load.scenario;

import io.rendan.load.client.Api;
import io.rendan.load.client.HttpLane;
import io.rendan.protocol.api.v1.Me;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Reads MEs back after a run, many at a time, for the end-of-run checks. A read
 * that fails for another reason than 404 is retried a few times: the check must
 * not report a write as lost because a read timed out.
 */
final class MeReader {
  /** What a read found: the ME, or null with the status (404: not stored). */
  record Found(Me me, int status, String failure) {}

  private static final int ATTEMPTS = 5;

  private final Api api;
  private final HttpLane lane;

  MeReader(ScenarioContext context) {
    this.api = context.api();
    this.lane = context.lane();
  }

  /** Reads {@code ids.apply(i)} for every i below {@code count}, as {@code token.apply(i)}. */
  Found[] readAll(int count, IntFunction<String> ids, IntFunction<String> token) throws InterruptedException {
    Found[] found = new Found[count];
    CountDownLatch done = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      read(i, ids.apply(i), token.apply(i), 1, found, done);
    }
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("reading " + count + " MEs back took more than 10 minutes");
    }
    return found;
  }

  private void read(int i, String meId, String token, int attempt, Found[] found, CountDownLatch done) {
    lane.submit(
        api.get("/v1/mes/" + meId, token),
        (response, failure) -> {
          Found f;
          if (failure != null) {
            f = new Found(null, 0, Api.failureCode(failure));
          } else if (response.status() == 200) {
            f = new Found(Api.parse(response, Me.newBuilder()).build(), 200, null);
          } else {
            f = new Found(null, response.status(), Api.errorCode(response));
          }
          if (f.me() == null && f.status() != 404 && attempt < ATTEMPTS) {
            read(i, meId, token, attempt + 1, found, done);
            return;
          }
          found[i] = f;
          done.countDown();
        });
  }
}
