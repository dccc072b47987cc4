package io.rendan.load;

import static io.rendan.load.CommandLines.Opt.flag;
import static io.rendan.load.CommandLines.Opt.value;

import io.rendan.load.CommandLines.Opt;
import io.rendan.load.harness.Harness;
import io.rendan.load.scenario.Scenarios;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code java -jar load-tests/target/rendan-load.jar COMMAND [options]}: {@code --help}
 * lists the commands and every option; docs/BENCHMARKS.md shows them at work. The
 * command line is read by picocli ({@link CommandLines}): a misspelt option is
 * refused with exit status 2 before anything starts.
 */
public final class LoadCli {
  private static final String NAME = "rendan-load";

  /** The options of the scenarios, as bench and run take them (each scenario reads the ones it knows). */
  static final List<Opt> COMMON =
      List.of(
          value("scenario", "NAME[,NAME...]", "scenarios to run (default: all that exist)"),
          value("scenarios", "NAME[,NAME...]", "the same as --scenario"),
          value("rate", "N|NAME=N,...", "operations offered per second (open model)"),
          value("duration", "30s", "measured time per scenario (default 30s)"),
          value("warmup", "5s", "time at the same rate before measuring (default 5s)"),
          value("connections", "N", "HTTP keep-alive connections per client lane (default 32; smoke 8)"),
          value("client-threads", "N", "selector threads per HTTP lane (default 2; 1 below 8 connections)"),
          value("ws-threads", "N", "selector threads that carry every WebSocket connection (default 2)"),
          value("encoding", "json|protobuf", "what the simulated clients send (default json)"),
          value("timeout", "10s", "HTTP request timeout (default 10s)"),
          value("check-timeout", "3m", "how long the end-of-run check of a scenario may take; what it has not confirmed by then fails it (default 3m)"),
          value("out", "DIR", "where report.{txt,json,html} go (default target/rendan-load/<time>)"),
          flag("smoke", "a few seconds at a low rate with small fixtures"),
          value("clock-speed", "X", "the node's business clock speed (bench sets it; run: say what the node has; default 1, smoke 4)"),
          value("clock-origin", "INSTANT", "run: the origin of the node's business clock, with --clock-speed"),
          value("mes", "N", "me-churn: MEs (default 1000)"),
          value("operators", "N", "me-churn, me-register, bidding, ws-*: operators (default 20, 50, 40)"),
          value("subscribers", "N", "me-churn, fan-out: WebSocket subscribers"),
          value("skew", "X", "me-churn, bidding, ws-read*: Zipf exponent of the picks, 0 = uniform (default 0.8 and 1.0)"),
          value("appliances", "N", "telemetry, telemetry-single, telemetry-sink, recovery: appliances"),
          value("streaming", "N", "telemetry: of the appliances, how many hold a stream (default all)"),
          value("readings-per-appliance", "X", "telemetry: readings per second per appliance (default 2)"),
          value("cycle-ticks", "N", "telemetry, telemetry-sink: readings a washer's cycle lasts (default 20)"),
          value("source-addresses", "N", "telemetry: devices bind 127.0.0.2..N+1 (default 0: one address)"),
          value("ramp-up", "60s", "telemetry: spread the first connections over this long"),
          value("device-loops", "N", "telemetry: event-loop threads of the devices (default 2)"),
          value("stalled", "N", "fan-out: clients that stop reading halfway (default 3)"),
          value("rounds", "N", "bidding, fan-out, ws-read: rounds open at once"),
          value("bidders", "N", "bidding, hot-round, ws-read, ws-read-me: bidder MEs (docs/BENCHMARKS.md has the defaults)"),
          value("round-seconds", "X", "bidding: how long a round stays open (default 20)"),
          value("round-closes-in", "DURATION", "hot rounds: deadline of the hot round (default 3650 days)"),
          value("emcs", "N", "bidding, prospectus, ws-read: EMCs"),
          value("months", "N", "prospectus: closed months of history (default 6)"),
          value("alliances", "N", "alliance-churn: EMCs (default 8)"),
          value("alliance-share", "X", "alliance-churn: share of joins among the writes (default 0.5)"),
          value("churners", "N", "alliance-churn: MEs that join and leave (default 400)"),
          value("churn-operators", "N", "alliance-churn: operators of the churners (default 20)"),
          value("shards", "N", "cluster scenarios: shards of the MEs (default 100)"),
          value("failover-timeout", "120s", "cluster-kill: give up waiting for the failover after this long"),
          value("drain-timeout", "30s", "how long to wait for answers after the last operation (default 30s)"));

  /** What bench and recovery add: a node (or cluster) the harness starts itself. */
  static final List<Opt> BENCH =
      List.of(
          value("db", "h2|postgres", "bench: the node's database (default h2)"),
          value("server-jar", "PATH", "the node's jar (default server/target/rendan-server.jar)"),
          value("server-jvm-opts", "\"-Xmx2g\"", "JVM options of the node"),
          value("server-env", "K=V,...", "bench, recovery: more RENDAN_* settings for the node"),
          value("server-log-level", "LEVEL", "the node's log level (default INFO)"),
          value("ready-timeout", "120s", "how long the node may take to be ready"),
          value("baseline-warmup", "3s", "bench: warm-up of each baseline (default 3s)"),
          value("baseline-duration", "5s", "bench: measured time of each baseline (default 5s)"),
          value("baseline-concurrency", "N", "bench: requests in flight of the baselines (default 10)"),
          value("batch-rows", "N", "the db baseline: rows per batch insert (default 100)"),
          value("copy-rows", "N", "the db baseline: rows per COPY (default 1000)"),
          flag("no-baselines", "bench: skip them (http-trivial, wrk when on PATH, naive-peer, db)"),
          flag("keep", "bench: keep the temporary databases"),
          value("cluster", "N", "bench: start N nodes of one cluster on the database; clients spread over them"
              + " (scenarios cluster-kill, cluster-rolling need it)"),
          value("events", "N", "recovery: telemetry events the journal loader writes (default 1000000)"),
          value("big-entity-events", "N", "recovery: of which on one appliance (the one-entity replay rate)"),
          value("readings-per-event", "N", "recovery: readings in each stored batch (default 2)"),
          value("backlog", "N", "requests that may wait for a connection before new ones fail (default 100000)"),
          value("parallel", "N", "recovery: provisioning requests in flight (default 8)"));

  /** What run adds: a node that is already running. */
  static final List<Opt> RUN =
      List.of(
          value("target", "http://host:port", "run: the node (required)"),
          value("token", "JWT", "act as this token's subject; otherwise dev tokens"),
          value("dev-subject", "NAME", "prefix of the dev-token subjects (default loadtest)"),
          value("server-pid", "PID", "run: read the node's CPU time from /proc (same machine)"),
          value("baselines", "http,wrk,db", "baselines to measure too (wrk: when wrk is on PATH); db needs --db-url,"
              + " --db-user, --db-password of the node's database"),
          value("db-url", "JDBC-URL", "run: the node's database, for the db baseline"),
          value("db-user", "USER", "run: its user"),
          value("db-password", "PASSWORD", "run: its password"),
          value("database", "TEXT", "how to name the database in the report"));

  /** Every option, in the order --help lists them; bench, run and recovery all take each of them. */
  static final List<Opt> ALL = Stream.of(COMMON, BENCH, RUN).flatMap(List::stream).toList();

  private static final Map<String, String> COMMANDS =
      new LinkedHashMap<>(
          Map.of(
              "bench", "start a node (H2 or PostgreSQL in a temporary directory), measure the baselines, run the"
                  + " scenarios, stop everything, write the report",
              "run", "run scenarios against a node that is already running",
              "recovery", "a node on PostgreSQL restarted on a journal of a million events",
              "list", "list the scenarios"));

  private LoadCli() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static CommandLine commandLine() {
    CommandSpec top =
        CommandLines.command(NAME, "Load tests of a Rendan node: java -jar load-tests/target/rendan-load.jar COMMAND [options]", List.of());
    CommandLine line = new CommandLine(top);
    for (String command : List.of("bench", "run", "recovery", "list")) {
      List<Opt> options = command.equals("list") ? List.of() : ALL;
      CommandSpec sub = CommandLines.command(command, COMMANDS.get(command), options);
      line.addSubcommand(command, new CommandLine(sub));
    }
    top.usageMessage()
        .footer(
            "%nOptions of bench, run and recovery (each scenario reads the ones it knows):%n"
                + new CommandLine(CommandLines.command("all", "", ALL)).getHelp().optionList().replace("%", "%%")
                + "%nexit status: 0 when every check passed, 2 when one failed or the command line was wrong, 1 on error%n");
    line.setOverwrittenOptionsAllowed(true);
    return line;
  }

  static int run(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    CommandLine line = commandLine();
    return CommandLines.execute(
        line,
        args,
        out,
        err,
        parsed -> {
          if (!parsed.hasSubcommand()) {
            line.usage(err);
            return 1;
          }
          String command = parsed.subcommand().commandSpec().name();
          return run(command, CommandLines.toOptions(parsed.subcommand(), command), NAME + " " + String.join(" ", args));
        });
  }

  private static int run(String name, Options options, String command) {
    try {
      Harness harness = new Harness(System.out);
      Harness.Outcome outcome;
      switch (name) {
        case "bench" -> outcome = harness.bench(options, command);
        case "run" -> outcome = harness.run(options, command);
        case "recovery" -> {
          return new io.rendan.load.harness.RecoveryBench(System.out).run(options) ? 0 : 2;
        }
        default -> {
          System.out.println("scenarios:");
          for (String scenario : Scenarios.names()) {
            try (var s = Scenarios.create(scenario)) {
              System.out.printf("  %-16s %s%n", scenario, s.description());
            }
          }
          System.out.println("not yet (their features do not exist yet):");
          for (Map.Entry<String, String> e : new java.util.TreeMap<>(Scenarios.NOT_YET).entrySet()) {
            System.out.printf("  %-16s %s%n", e.getKey(), e.getValue());
          }
          return 0;
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
