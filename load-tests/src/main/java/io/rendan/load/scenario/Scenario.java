package io.rendan.load.scenario;

import java.util.Map;

/**
 * One realistic workload. The driver calls {@link #fire} at a constant rate
 * (an open model: the schedule does not wait for answers), each time with the
 * instant the operation was meant to start; the scenario sends it without
 * blocking and records its outcome, with latency from that instant, in the
 * operations it declared in {@link #setUp}.
 *
 * <p>Life of a run: {@code setUp} (fixtures, connections: not measured), {@code
 * fire} for warm-up plus duration, {@code drain}, {@code verify}, {@code close}.
 * The first operation declared is the one the rate applies to; others may be
 * consequences of it (pushes seen by subscribers, say).
 *
 * <p>What a later scenario needs and finds here: a mix of requests (pick one per
 * {@code fire}), long-lived streams (write one reading per {@code fire} and match
 * acks to it), observers (declare a second operation and record into it), and a
 * node to disturb ({@link ScenarioContext#node()}, present when the harness
 * started the node).
 */
public interface Scenario extends AutoCloseable {
  String name();

  String description();

  /** Declares operations, creates what the run needs; may block. */
  void setUp(ScenarioContext context) throws Exception;

  /** Starts one operation meant to start at {@code intendedNanos} (System.nanoTime); must not block. */
  void fire(long intendedNanos);

  /**
   * Waits until every operation fired has an outcome, at most until {@code
   * deadlineNanos}; what is still open then is recorded as unanswered (in doubt).
   */
  void drain(long deadlineNanos) throws InterruptedException;

  /** Checks that every acknowledged operation is stored, and none twice. */
  Verification verify() throws Exception;

  /** What the scenario ran with, for the report (sizes, skew, ...). */
  Map<String, String> settings();

  @Override
  void close();
}
