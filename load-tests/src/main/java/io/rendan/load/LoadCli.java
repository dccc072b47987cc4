package io.rendan.load;

import io.rendan.load.harness.Harness;
import io.rendan.load.scenario.Scenarios;
import java.util.Map;

/**
 * {@code java -jar load-tests/target/rendan-load.jar COMMAND [options]}: see
 * {@link #USAGE} and docs/BENCHMARKS.md.
 */
public final class LoadCli {
  static final String USAGE =
      """
      usage: java -jar load-tests/target/rendan-load.jar COMMAND [options]

      commands
        bench   start a node (H2 or PostgreSQL in a temporary directory), measure the
                baselines, run the scenarios, stop everything, write the report
        run     run scenarios against a node that is already running
        list    list the scenarios

      common options
        --scenario NAME[,NAME...]    scenarios to run (default: all that exist)
        --rate N | NAME=N,...        operations offered per second (open model)
        --duration 30s               measured time per scenario
        --warmup 5s                  time at the same rate before measuring
        --connections 32             HTTP connections (requests in flight)
        --client-threads N           selector threads per HTTP lane (default 2; 1 below 8 connections)
        --ws-threads 2               selector threads that carry every WebSocket connection
        --encoding json|protobuf     what the simulated clients send (default json)
        --timeout 10s                HTTP request timeout
        --out DIR                    where report.{txt,json,html} go (default target/rendan-load/<time>)
        --smoke                      a few seconds at a low rate with small fixtures
        me-churn: --mes 1000 --operators 20 --subscribers 10 --skew 0.8
        me-register: --operators 50
        telemetry, telemetry-single, telemetry-sink: --appliances 1000
        telemetry, telemetry-sink: --cycle-ticks 20 (readings a washer's cycle lasts)
        telemetry: --source-addresses 8 (devices bind 127.0.0.2..9) --ramp-up 60s --device-loops 2

      bench
        --db h2|postgres             the node's database (default h2)
        --server-jar PATH            default server/target/rendan-server.jar
        --server-jvm-opts "-Xmx2g"   JVM options of the node
        --baseline-warmup 3s --baseline-duration 5s --baseline-concurrency 10
        --no-baselines               skip them (http-trivial, wrk when on PATH, naive-peer, db)
        --keep                       keep the temporary databases
        --cluster 3                  start 3 nodes of one cluster on the database; clients spread over
                                     them (scenarios cluster-kill, cluster-rolling need it)

      recovery                       a node on PostgreSQL restarted on a journal of a million events
        --appliances 10000           provisioned through the API (remembered), then the node stops
        --events 1000000             telemetry events the journal loader writes for them (COPY)
        --big-entity-events 100000   of which on one appliance (the one-entity replay rate)
        --readings-per-event 2       readings in each stored batch
        --server-jvm-opts, --server-env, --out DIR as for bench

      run
        --target http://host:port    the node (required)
        --token JWT                  act as this token's subject; otherwise dev tokens
        --dev-subject loadtest       prefix of the dev-token subjects
        --server-pid PID             read the node's CPU time from /proc (same machine)
        --baselines http,wrk,db      baselines to measure too (wrk: when wrk is on PATH); db
                                     needs --db-url, --db-user, --db-password of the node's database
        --database TEXT              how to name the database in the report

      exit status: 0 when every check passed, 2 when one failed, 1 on error
      """;

  private LoadCli() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    Options options = Options.parse(args);
    if (options.positional().isEmpty() || options.flag("help")) {
      System.out.print(USAGE);
      return options.positional().isEmpty() && !options.flag("help") ? 1 : 0;
    }
    String command = "rendan-load " + String.join(" ", args);
    try {
      Harness harness = new Harness(System.out);
      Harness.Outcome outcome;
      switch (options.positional().get(0)) {
        case "bench" -> outcome = harness.bench(options, command);
        case "run" -> outcome = harness.run(options, command);
        case "recovery" -> {
          return new io.rendan.load.harness.RecoveryBench(System.out).run(options) ? 0 : 2;
        }
        case "list" -> {
          System.out.println("scenarios:");
          for (String name : Scenarios.names()) {
            try (var s = Scenarios.create(name)) {
              System.out.printf("  %-16s %s%n", name, s.description());
            }
          }
          System.out.println("not yet (their features do not exist yet):");
          for (Map.Entry<String, String> e : new java.util.TreeMap<>(Scenarios.NOT_YET).entrySet()) {
            System.out.printf("  %-16s %s%n", e.getKey(), e.getValue());
          }
          return 0;
        }
        default -> {
          System.err.println("unknown command " + options.positional().get(0));
          System.err.print(USAGE);
          return 1;
        }
      }
      return outcome.report().verified() ? 0 : 2;
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      System.err.println("error: " + e);
      e.printStackTrace();
      return 1;
    }
  }
}
