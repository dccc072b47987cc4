package io.rendan.cluster;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.util.JsonFormat;
import com.typesafe.config.ConfigFactory;
import io.rendan.RendanNode;
import io.rendan.TestNode;
import io.rendan.auth.Jwt;
import io.rendan.load.harness.NodeProcess;
import io.rendan.cluster.ClusterTraffic.Outcome;
import io.rendan.cluster.ClusterTraffic.Result;
import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Push;
import io.rendan.protocol.api.v1.Response;
import io.rendan.protocol.api.v1.Subscribe;
import io.rendan.ws.WsClient;
import io.rendan.testkit.TestPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three nodes, each a JVM of its own started from the shaded jar, on loopback
 * against one PostgreSQL server that the test starts. Clients write through all
 * three; one node is killed with SIGKILL while they do, and later another is
 * stopped with SIGTERM. Checked: entities are spread over the nodes, a
 * WebSocket client on one node sees pushes of an entity on another, the
 * survivors go on serving, the killed node's entities come back on them, no
 * acknowledged write is lost, no sequence number is acknowledged twice (which
 * two live copies of one entity would do), and a graceful stop costs clients
 * nothing but a reconnect: bids and readings sent through the stop get no error
 * (their entities move; the nodes ask them again) and are stored once. The failover time is printed and kept in
 * target/cluster-it/failover.txt.
 */
@Tag("postgres")
class ClusterIT {
  /**
   * Small heap and C1 only: four JVMs share two cores here, and C2 compiling in
   * all of them at once slows the start more than it speeds the short run.
   */
  private static final List<String> NODE_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final Duration START_DEADLINE = Duration.ofSeconds(150);
  private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(90);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration PUSH_WAIT = Duration.ofSeconds(3);
  private static final int MES = 30;
  private static final Pattern SHARD_ID = Pattern.compile("\"shardId\":\"([^\"]+)\"");
  private static final Pattern UNREACHABLE = Pattern.compile("\"unreachable\":\\[(.*?)\\]");

  /** One acknowledged change: the ME had this version and these capabilities once it was stored. */
  record Ack(String meId, long version, List<String> capabilities) {}

  record Failover(long unreachable, long down, long removed, long firstServed, long allServed) {}

  private final List<NodeProcess> nodes = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
  private final List<String> report = new ArrayList<>();
  private TestPostgres postgres;
  private Path logDir;
  private String token;

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess node : nodes) {
      node.kill(); // SIGKILL, as before the launcher was shared: the test is over, no handover needed
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void threeNodeProcessesShareEntitiesAndSurviveAKillAndAGracefulStop() throws Exception {
    Path jar = Path.of(System.getProperty("rendan.server.jar", "target/rendan-server.jar"));
    assertTrue(Files.isRegularFile(jar), jar + " is missing: run the test through mvn verify, which builds it");
    logDir = Path.of("target", "cluster-it");
    if (Files.isDirectory(logDir)) {
      try (var old = Files.walk(logDir)) {
        old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(logDir);
    postgres = TestPostgres.start();
    String url = createDatabase("rendan_cluster");
    token =
        new Jwt(TestNode.SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30), Clock.systemUTC())
            .issue("alice", List.of(), Duration.ofHours(1));

    // ---- three nodes, started at once on an empty database ------------------------------------
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clusterPorts.add(NodeProcess.freePort());
    }
    String seedNodes = clusterPorts.stream().map(p -> "pekko://rendan@127.0.0.1:" + p).collect(Collectors.joining(","));
    long startedAt = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      Map<String, String> env =
          Map.of(
              "RENDAN_DB_URL", url,
              "RENDAN_DB_USER", "postgres",
              "RENDAN_DB_PASSWORD", "postgres",
              "RENDAN_JWT_SECRET", TestNode.SECRET,
              "RENDAN_DEV_MODE", "false",
              "RENDAN_CLUSTER_HOST", "127.0.0.1",
              "RENDAN_CLUSTER_PORT", Integer.toString(clusterPorts.get(i)),
              "RENDAN_SEED_NODES", seedNodes);
      nodes.add(NodeProcess.launch(i, jar, env, NODE_JVM, logDir.resolve("node-" + i + ".log"), logDir.resolve("node-" + i)));
    }
    for (NodeProcess node : nodes) {
      awaitReady(node, startedAt + START_DEADLINE.toNanos());
    }
    note("three node processes started at once and all ready after %.1f s", seconds(startedAt, System.nanoTime()));
    for (NodeProcess node : nodes) {
      assertEquals(200, get(node.managementUri("/ready")).statusCode(), "management readiness of node " + node.index());
    }
    String members = get(nodes.get(0).managementUri("/cluster/members")).body();
    assertEquals(3, occurrences(members, "\"status\":\"Up\""), members);

    // ---- MEs registered through all three nodes live spread over them -------------------------
    List<String> meIds = new ArrayList<>();
    for (int i = 0; i < MES; i++) {
      String meId = String.format("me-%02d", i);
      HttpResponse<String> created =
          send(nodes.get(i % 3), "POST", "/v1/mes", "{\"meId\":\"" + meId + "\",\"name\":\"ME " + i + "\",\"kind\":\"INTERNAL\"}");
      assertEquals(201, created.statusCode(), created.body());
      acks.add(new Ack(meId, me(created.body()).getVersion(), List.of()));
      meIds.add(meId);
    }
    Map<String, Integer> home = homes(meIds);
    assertEquals(Set.of(0, 1, 2), new HashSet<>(home.values()), "entities on every node: " + home);

    // ---- bidding rounds spread over the nodes, with bids placed through all three ---------------
    Map<String, Set<String>> bidsAcked = placeBidsOnRounds();
    Map<String, String> appliances = provisionAppliances();

    // ---- a WebSocket client on node 1 sees an ME that lives on node 2, changed via node 0 ------
    String watched = meIds.stream().filter(id -> home.get(id) == 2).findFirst().orElseThrow();
    try (WsClient ws = WsClient.connect(nodes.get(1).wsUri(), token)) {
      subscribe(ws, watched);
      note(
          "a WebSocket client on node 1 got the push of an ME on node 2, changed through node 0, %.1f s after subscribing",
          changeUntilPushed(ws, nodes.get(0), watched, "watched-before-kill"));

      try (ClusterTraffic traffic = ClusterTraffic.capabilities(List.copyOf(nodes), meIds, token, 3, Duration.ofMillis(20));
          ClusterTraffic bids = ClusterTraffic.bids(List.copyOf(nodes), List.copyOf(bidsAcked.keySet()), "bidder", token, 2, Duration.ofMillis(50));
          ClusterTraffic readings = ClusterTraffic.readings(List.copyOf(nodes), appliances, Duration.ofMillis(100))) {
        await(
            "traffic through all three nodes",
            Duration.ofSeconds(60),
            () -> traffic.acked() >= 150 && bids.acked() >= 30 && readings.acked() >= 30);

        // ---- kill -9 of the oldest node (seed, shard coordinator) while traffic flows ---------
        NodeProcess victim = nodes.get(0);
        List<NodeProcess> survivors = List.of(nodes.get(1), nodes.get(2));
        Map<String, Integer> homeAtKill = homes(meIds);
        List<String> victimMes = meIds.stream().filter(id -> homeAtKill.get(id) == 0).toList();
        assertFalse(victimMes.isEmpty());
        // Apart from the clients above, who pick any ME and so also wait on the
        // killed node's entities, these only use the survivors' own entities, and
        // each of them through both survivors before the kill. A region that has
        // never routed to a shard asks the coordinator where it lives, and the
        // coordinator runs on the oldest node, the one killed here: such a first
        // request waits for the failover too. Steady traffic has those answers.
        List<String> survivorMes = meIds.stream().filter(id -> homeAtKill.get(id) != 0).toList();
        long killedAt;
        Failover failover;
        try (ClusterTraffic bystanders = ClusterTraffic.capabilities(survivors, survivorMes, token, 2, Duration.ofMillis(20))) {
          await(
              "bystander traffic to every survivor entity through both survivors",
              Duration.ofSeconds(60),
              () -> bystanders.ackedPairs() == survivorMes.size() * survivors.size());
          killedAt = System.nanoTime();
          victim.kill();
          failover = measureFailover(victim, survivors, victimMes, killedAt);
          bystanders.close();
          List<Result> during =
              bystanders.results.stream().filter(r -> r.sent() >= killedAt && r.at() <= failover.allServed()).toList();
          long[] latencies =
              during.stream().filter(r -> r.outcome() == Outcome.ACKED).mapToLong(r -> r.at() - r.sent()).sorted().toArray();
          note(
              "during the failover the survivors served %d writes to their own entities (p99 %.0f ms, max %.0f ms),"
                  + " failed %d",
              latencies.length,
              latencies.length == 0 ? 0 : latencies[(int) Math.ceil(latencies.length * 0.99) - 1] / 1e6,
              latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6,
              during.size() - latencies.length);
          assertTrue(latencies.length >= 50, "survivors served only " + latencies.length + " writes during the failover");
          assertEquals(List.of(), during.stream().filter(r -> r.outcome() != Outcome.ACKED).toList());
          collect(bystanders);
        }
        note(
            "failover after kill -9 of node 0 (%d of %d MEs on it): unreachable after %s, downed after %s,"
                + " removed after %s; its entities served again after %.1f s (first) and %.1f s (all)",
            victimMes.size(),
            MES,
            since(killedAt, failover.unreachable()),
            since(killedAt, failover.down()),
            since(killedAt, failover.removed()),
            seconds(killedAt, failover.firstServed()),
            seconds(killedAt, failover.allServed()));
        Files.writeString(
            logDir.resolve("failover.txt"),
            String.format(
                "%s failover %.1f s (kill -9 until all %d entities of the killed node answered on the survivors)%n",
                Instant.now(), seconds(killedAt, failover.allServed()), victimMes.size()));
        // The only failed writes are those that waited on the killed node's
        // entities, some of them sent just before the kill.
        List<Result> unexpected =
            traffic.results.stream()
                .filter(r -> r.outcome() == Outcome.FAILED)
                .filter(r -> !(victimMes.contains(r.entity()) && r.at() >= killedAt && r.sent() <= failover.allServed()))
                .toList();
        assertEquals(List.of(), unexpected);
        traffic.targets = survivors;
        // bids go on through the failover: the kill loses none that was acknowledged
        long bidsAtFailover = bids.acked();
        await("bids acknowledged after the failover", Duration.ofSeconds(60), () -> bids.acked() >= bidsAtFailover + 20);
        bids.close();
        note(
            "bids placed under load through all three nodes across the kill: %d acknowledged, %d in doubt (an error or"
                + " no answer), %d not sent (connection refused, sent again elsewhere)",
            bids.acked(),
            bids.inDoubt(),
            bids.notSent());
        bids.ackedIds().forEach((round, ids) -> bidsAcked.get(round).addAll(ids));
        checkRoundsAfterFailover(bidsAcked, survivors);
        long readingsAtCheck = readings.acked();
        await("readings acknowledged after the failover", Duration.ofSeconds(60), () -> readings.acked() >= readingsAtCheck + 12);
        readings.close();
        checkReadingsAfterFailover(readings, appliances.keySet(), survivors, killedAt);

        String metrics = get(nodes.get(1).uri("/metrics")).body();
        assertTrue(metrics.contains("rendan_cluster_members{status=\"up\"} 2"), metrics);

        // Live pushes still cross nodes: the old subscription, and one to an ME that moved.
        changeUntilPushed(ws, nodes.get(2), watched, "watched-after-kill");
        String moved = victimMes.get(0);
        int movedTo = homes(List.of(moved)).get(moved);
        NodeProcess otherSurvivor = movedTo == 1 ? nodes.get(2) : nodes.get(1);
        try (WsClient ws2 = WsClient.connect(otherSurvivor.wsUri(), token)) {
          subscribe(ws2, moved);
          note(
              "an ME that moved from the killed node to node %d is pushed to a client on node %d, %.1f s after subscribing",
              movedTo,
              otherSurvivor.index(),
              changeUntilPushed(ws2, nodes.get(movedTo), moved, "moved-after-kill"));
        }

        // ---- SIGTERM of node 2: its shards hand over before it leaves -------------------------
        // Bids and readings go on through both survivors all the while: a graceful stop
        // must cost them no error (their entities move, the node asks them again).
        NodeProcess leaving = nodes.get(2);
        NodeProcess staying = nodes.get(1);
        ClusterTraffic stopBids =
            ClusterTraffic.bids(survivors, List.copyOf(bidsAcked.keySet()), "bidder", token, 2, Duration.ofMillis(50), "stop-");
        ClusterTraffic stopReadings = ClusterTraffic.readings(survivors, appliances, Duration.ofMillis(100), readings.highestAcked());
        await("bids and readings through both survivors", Duration.ofSeconds(60), () -> stopBids.acked() >= 20 && stopReadings.acked() >= 30);
        Map<String, Integer> homeAtStop = homes(meIds);
        long ackedBeforeStop = traffic.acked();
        long stoppedAt = System.nanoTime();
        leaving.terminate();
        int exit = leaving.waitForExit(Duration.ofSeconds(60));
        long exitedAt = System.nanoTime();
        traffic.targets = List.of(staying);
        stopBids.targets = List.of(staying);
        stopReadings.targets = List.of(staying);
        await("traffic after the graceful stop", Duration.ofSeconds(60), () -> traffic.ackedSince(exitedAt, 1) >= 50);
        await(
            "bids and readings after the graceful stop",
            Duration.ofSeconds(60),
            () -> stopBids.ackedSince(exitedAt, 1) >= 20 && stopReadings.ackedSince(exitedAt, 1) >= 30);
        stopBids.close();
        stopReadings.close();
        note(
            "bids and readings sent through the survivors across the SIGTERM of node 2: %d bids and %d readings acknowledged,"
                + " %d bids and %d readings failed (an error or no answer), %d and %d reconnects",
            stopBids.acked(),
            stopReadings.acked(),
            stopBids.failed().size(),
            stopReadings.failed().size(),
            stopBids.results.stream().filter(r -> r.outcome() == Outcome.RECONNECT).count(),
            stopReadings.results.stream().filter(r -> r.outcome() == Outcome.RECONNECT).count());
        assertEquals(List.of(), stopBids.failed(), "bids during a graceful stop: no error, no timeout");
        assertEquals(List.of(), stopReadings.failed(), "readings during a graceful stop: no error, no timeout");
        stopBids.ackedIds().forEach((round, ids) -> bidsAcked.get(round).addAll(ids));
        checkRoundsAfterFailover(bidsAcked, List.of(staying));
        checkReadings(stopReadings, appliances.keySet(), List.of(staying), stoppedAt, "the graceful stop");
        List<Result> afterStop = traffic.results.stream().filter(r -> r.at() >= stoppedAt).toList();
        List<Result> failedAfterStop = afterStop.stream().filter(r -> r.outcome() == Outcome.FAILED).toList();
        long movedServed =
            afterStop.stream()
                .filter(r -> r.outcome() == Outcome.ACKED && r.at() >= exitedAt && homeAtStop.get(r.entity()) == 2)
                .count();
        note(
            "SIGTERM of node 2: exited with %d after %.1f s; from the signal on, %d writes acknowledged, %d reconnects,"
                + " %d failed; %d writes to its former entities served by node 1 since",
            exit,
            seconds(stoppedAt, exitedAt),
            traffic.acked() - ackedBeforeStop,
            afterStop.stream().filter(r -> r.outcome() == Outcome.RECONNECT).count(),
            failedAfterStop.size(),
            movedServed);
        assertEquals(List.of(), failedAfterStop, "a graceful stop costs clients nothing but a reconnect");
        assertTrue(movedServed > 0, "the stopped node's entities are served by the staying node");
        String lastMembers = get(staying.managementUri("/cluster/members")).body();
        assertEquals(1, occurrences(lastMembers, "\"status\":\"Up\""), lastMembers);
        assertFalse(lastMembers.contains(leaving.address()), lastMembers);

        changeUntilPushed(ws, staying, watched, "watched-after-stop");
        traffic.close();
        collect(traffic);
        note(
            "traffic of the clients of all nodes: %d writes acknowledged, %d reconnects, %d failed (all of these waited"
                + " on the killed node's entities during the failover)",
            traffic.results.stream().filter(r -> r.outcome() == Outcome.ACKED).count(),
            traffic.results.stream().filter(r -> r.outcome() == Outcome.RECONNECT).count(),
            traffic.results.stream().filter(r -> r.outcome() == Outcome.FAILED).count());
      }
    }

    verifyEveryAcknowledgedWrite(url, nodes.get(1), meIds);
    Files.write(logDir.resolve("report.txt"), report);
  }

  /**
   * An EMC with rounds on every node and bids placed through all three. Returns
   * the acknowledged bid ids of each round.
   */
  private Map<String, Set<String>> placeBidsOnRounds() throws Exception {
    HttpResponse<String> owner =
        send(nodes.get(0), "POST", "/v1/mes", "{\"meId\":\"owner\",\"name\":\"Owner\",\"kind\":\"INTERNAL\"}");
    assertEquals(201, owner.statusCode(), owner.body());
    HttpResponse<String> bidder =
        send(
            nodes.get(1),
            "POST",
            "/v1/mes",
            "{\"meId\":\"bidder\",\"name\":\"Bidder\",\"kind\":\"INTERNAL\",\"capabilities\":[\"iot-programming\"]}");
    assertEquals(201, bidder.statusCode(), bidder.body());
    HttpResponse<String> emc =
        send(
            nodes.get(2),
            "POST",
            "/v1/emcs",
            "{\"emcId\":\"laundry\",\"name\":\"Laundry\",\"userGroup\":\"dorm\",\"ownerMeId\":\"owner\",\"ownerSide\":\"EXPERIENCE\"}");
    assertEquals(201, emc.statusCode(), emc.body());
    Map<String, Set<String>> acked = new HashMap<>();
    for (int r = 0; r < 6; r++) {
      String roundId = "round-" + r;
      HttpResponse<String> posted =
          send(
              nodes.get(r % 3),
              "POST",
              "/v1/emcs/laundry/calls",
              "{\"roundId\":\"" + roundId + "\",\"closesInSeconds\":3600,\"call\":{\"capability\":\"iot-programming\","
                  + "\"side\":\"SOLUTION\",\"role\":\"firmware\",\"maxShareBps\":5000,\"mode\":\"SEALED\","
                  + "\"target\":{\"metric\":\"CYCLES\",\"amount\":\"1\"}}}");
      assertEquals(201, posted.statusCode(), posted.body());
      Set<String> bids = new HashSet<>();
      for (int b = 0; b < 5; b++) {
        String bidId = roundId + "-bid-" + b;
        HttpResponse<String> placed =
            send(
                nodes.get(b % 3),
                "POST",
                "/v1/rounds/" + roundId + "/bids",
                "{\"bidId\":\"" + bidId + "\",\"meId\":\"bidder\",\"askShareBps\":" + (4000 - b) + "}");
        assertEquals(200, placed.statusCode(), placed.body());
        bids.add(bidId);
      }
      acked.put(roundId, bids);
    }
    note("6 rounds posted and 30 bids acknowledged through all three nodes");
    return acked;
  }

  /** Six appliances of the EMC of {@link #placeBidsOnRounds}, provisioned through all three nodes: id to device secret. */
  private Map<String, String> provisionAppliances() throws Exception {
    Map<String, String> secrets = new java.util.LinkedHashMap<>();
    for (int a = 0; a < 6; a++) {
      String id = "washer-" + a;
      HttpResponse<String> made =
          send(
              nodes.get(a % 3),
              "POST",
              "/v1/emcs/laundry/appliances",
              "{\"applianceId\":\"" + id + "\",\"type\":\"WASHER\",\"model\":\"WM-40\",\"location\":\"room " + a
                  + "\",\"tariff\":{\"amountMinor\":250,\"currency\":\"EUR\"}}");
      assertEquals(201, made.statusCode(), made.body());
      io.rendan.protocol.api.v1.ProvisionedAppliance.Builder p = io.rendan.protocol.api.v1.ProvisionedAppliance.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(made.body(), p);
      secrets.put(id, p.getDeviceSecret());
    }
    return secrets;
  }

  /**
   * Every reading acknowledged across the kill is stored, none twice: each
   * appliance, read through the survivors, holds exactly the seqs 1..n (its
   * reading count is its highest seq: the devices resend an unacknowledged seq,
   * and a seq stored twice would count twice) with n at least the highest seq its
   * device saw acknowledged.
   */
  private void checkReadingsAfterFailover(ClusterTraffic readings, Set<String> applianceIds, List<NodeProcess> survivors, long killedAt)
      throws Exception {
    checkReadings(readings, applianceIds, survivors, killedAt, "the kill");
  }

  /** {@link #checkReadingsAfterFailover}, across {@code what} (the kill, the graceful stop), which began at {@code killedAt}. */
  private void checkReadings(ClusterTraffic readings, Set<String> applianceIds, List<NodeProcess> survivors, long killedAt, String what)
      throws Exception {
    Map<String, Long> highestAcked = new HashMap<>();
    for (Result r : readings.results) {
      if (r.outcome() == Outcome.ACKED) {
        highestAcked.merge(r.entity(), r.version(), Math::max);
      }
    }
    long duringKill = readings.results.stream().filter(r -> r.outcome() == Outcome.ACKED && r.sent() >= killedAt).count();
    int i = 0;
    long stored = 0;
    for (String id : applianceIds) {
      NodeProcess via = survivors.get(i++ % survivors.size());
      HttpResponse<String> read = send(via, "GET", "/v1/appliances/" + id, null);
      for (long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); read.statusCode() == 503 && System.nanoTime() - giveUp < 0; ) {
        LockSupport.parkNanos(POLL.toNanos()); // still recovering on its new node
        read = send(via, "GET", "/v1/appliances/" + id, null);
      }
      assertEquals(200, read.statusCode(), read.body());
      io.rendan.protocol.api.v1.Appliance.Builder a = io.rendan.protocol.api.v1.Appliance.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(read.body(), a);
      long acked = highestAcked.getOrDefault(id, 0L);
      assertTrue(a.getAckedSeq() >= acked, id + ": seq " + acked + " acknowledged, stored only up to " + a.getAckedSeq());
      assertEquals(a.getAckedSeq(), a.getUsage().getReadings(), id + ": readings stored for seqs 1.." + a.getAckedSeq() + " (a seq twice, or one skipped)");
      stored += a.getUsage().getReadings();
    }
    note(
        "readings posted one at a time by %d devices through the nodes across %s: %d acknowledged (%d of them sent"
            + " after it), %d sent again after an error or a drop; every acknowledged seq stored, %d readings, none twice",
        applianceIds.size(),
        what,
        readings.acked(),
        duringKill,
        readings.results.stream().filter(r -> r.outcome() != Outcome.ACKED).count(),
        stored);
  }

  /** Every acknowledged bid is in its round once, read through the survivors, and every round still takes bids. */
  private void checkRoundsAfterFailover(Map<String, Set<String>> acked, List<NodeProcess> survivors) throws Exception {
    int i = 0;
    for (Map.Entry<String, Set<String>> round : acked.entrySet()) {
      NodeProcess via = survivors.get(i++ % survivors.size());
      HttpResponse<String> read = send(via, "GET", "/v1/rounds/" + round.getKey(), null);
      assertEquals(200, read.statusCode(), read.body());
      io.rendan.protocol.api.v1.Round.Builder b = io.rendan.protocol.api.v1.Round.newBuilder();
      JsonFormat.parser().merge(read.body(), b);
      Set<String> stored = new HashSet<>();
      b.getBidsList().forEach(bid -> assertTrue(stored.add(bid.getBidId()), round.getKey() + " holds " + bid.getBidId() + " twice"));
      Set<String> lost = new HashSet<>(round.getValue());
      lost.removeAll(stored);
      assertEquals(Set.of(), lost, round.getKey() + " lost acknowledged bids");
      HttpResponse<String> more =
          send(
              via,
              "POST",
              "/v1/rounds/" + round.getKey() + "/bids",
              "{\"bidId\":\"" + round.getKey() + "-after\",\"meId\":\"bidder\",\"askShareBps\":3000}");
      assertEquals(200, more.statusCode(), more.body());
    }
    note("every round holds its acknowledged bids, none twice, and takes new ones, read through %s", survivors.stream().map(n -> "node " + n.index()).toList());
  }

  private void collect(ClusterTraffic traffic) {
    for (Result r : traffic.results) {
      if (r.outcome() == Outcome.ACKED) {
        acks.add(new Ack(r.entity(), r.version(), List.of(r.id())));
      }
    }
  }

  // ---- checks -----------------------------------------------------------------------------------

  /**
   * Every acknowledged write is in the journal and no version was acknowledged
   * for two different writes; each ME's journal runs 1..n without a gap and its
   * state is at version n, with the capabilities of its last write when that
   * write was acknowledged.
   */
  private void verifyEveryAcknowledgedWrite(String url, NodeProcess node, List<String> meIds) throws Exception {
    Map<String, Map<Long, List<String>>> byMe = new HashMap<>();
    synchronized (acks) {
      for (Ack ack : acks) {
        List<String> earlier =
            byMe.computeIfAbsent(ack.meId(), id -> new HashMap<>()).putIfAbsent(ack.version(), ack.capabilities());
        assertNull(earlier, "version " + ack.version() + " of " + ack.meId() + " acknowledged twice: " + earlier + ", " + ack);
      }
    }
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement q =
            c.prepareStatement(
                "SELECT sequence_number FROM event_journal WHERE persistence_id = ? ORDER BY sequence_number")) {
      for (String meId : meIds) {
        List<Long> journal = new ArrayList<>();
        q.setString(1, "Me|" + meId);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            journal.add(rs.getLong(1));
          }
        }
        for (int i = 0; i < journal.size(); i++) {
          assertEquals(i + 1, journal.get(i), meId + " journal without gaps: " + journal);
        }
        Me me = me(send(node, "GET", "/v1/mes/" + meId, null).body());
        assertEquals(journal.size(), me.getVersion(), meId);
        Map<Long, List<String>> acked = byMe.get(meId);
        long lastAcked = Collections.max(acked.keySet());
        assertTrue(lastAcked <= me.getVersion(), meId + " lost acknowledged version " + lastAcked);
        if (lastAcked == me.getVersion()) {
          assertEquals(acked.get(lastAcked), me.getCapabilitiesList(), meId);
        }
      }
    }
    note("every acknowledged write is in the journal: %d writes to %d MEs", acks.size(), meIds.size());
  }

  private Failover measureFailover(NodeProcess victim, List<NodeProcess> survivors, List<String> victimMes, long killedAt)
      throws Exception {
    Map<String, Long> servedAt = new ConcurrentHashMap<>();
    long unreachable = 0;
    long down = 0;
    long removed = 0;
    long deadline = killedAt + FAILOVER_DEADLINE.toNanos();
    // A fresh GET per entity every round, each waiting up to the ask timeout:
    // one of them is always waiting, so the first answer marks the moment the
    // entity is back, to within the round.
    for (int round = 0; (servedAt.size() < victimMes.size() || removed == 0) && System.nanoTime() < deadline; round++) {
      for (String meId : victimMes) {
        if (!servedAt.containsKey(meId)) {
          NodeProcess via = survivors.get(round % survivors.size());
          http.sendAsync(request(via.uri("/v1/mes/" + meId), "GET", null), HttpResponse.BodyHandlers.discarding())
              .thenAccept(
                  response -> {
                    if (response.statusCode() == 200) {
                      servedAt.putIfAbsent(meId, System.nanoTime());
                    }
                  });
        }
      }
      try {
        String members = get(survivors.get(0).managementUri("/cluster/members")).body();
        long now = System.nanoTime();
        Matcher u = UNREACHABLE.matcher(members);
        if (unreachable == 0 && u.find() && u.group(1).contains(victim.address())) {
          unreachable = now;
        }
        if (down == 0
            && Pattern.compile(Pattern.quote("\"node\":\"" + victim.address() + "\"") + "[^}]*\"status\":\"Down\"")
                .matcher(members)
                .find()) {
          down = now;
        }
        if (removed == 0 && !members.contains(victim.address())) {
          removed = now;
        }
      } catch (IOException e) {
        // the survivor was busy; the next round asks again
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
    assertEquals(
        Set.copyOf(victimMes), servedAt.keySet(), "entities of the killed node served again within " + FAILOVER_DEADLINE);
    return new Failover(
        unreachable, down, removed, Collections.min(servedAt.values()), Collections.max(servedAt.values()));
  }

  /**
   * Which node runs each entity, from the shard regions' own view
   * (/cluster/shards/Me on each live node's management port). A shard that two
   * nodes claim would be two live copies of its entities.
   */
  private Map<String, Integer> homes(List<String> meIds) throws Exception {
    int shards = RendanNode.loadConfig(ConfigFactory.empty()).getInt("pekko.cluster.sharding.number-of-shards");
    HashCodeMessageExtractor<Object> extractor = new HashCodeMessageExtractor<>(shards);
    Map<String, Integer> shardHome = new HashMap<>();
    for (NodeProcess node : nodes) {
      if (!node.isAlive()) {
        continue;
      }
      String regions = get(node.managementUri("/cluster/shards/Me")).body();
      Matcher m = SHARD_ID.matcher(regions);
      while (m.find()) {
        Integer other = shardHome.put(m.group(1), node.index());
        assertNull(other, "shard " + m.group(1) + " on nodes " + other + " and " + node.index());
      }
    }
    Map<String, Integer> home = new HashMap<>();
    for (String meId : meIds) {
      Integer node = shardHome.get(extractor.shardId(meId));
      assertNotNull(node, "no node runs the shard of " + meId + ": " + shardHome);
      home.put(meId, node);
    }
    return home;
  }

  // ---- WebSocket ------------------------------------------------------------------------------

  private static void subscribe(WsClient ws, String meId) throws Exception {
    String requestId = "s-" + meId;
    ws.sendJson(
        ClientFrame.newBuilder().setRequestId(requestId).setSubscribe(Subscribe.newBuilder().setTopic("me/" + meId)).build());
    while (true) {
      Response r = ws.next().frame().getResponse();
      if (r.getRequestId().equals(requestId)) {
        assertTrue(r.hasSubscribed(), r.toString());
        return;
      }
    }
  }

  /**
   * Changes the ME through {@code via} until the push of a change arrives, and
   * returns how long that took. A subscription reaches the topic actors of other
   * nodes through the receptionist, eventually (its gossip runs every 2 s), and a
   * push published before then is not delivered: the client would see the gap in
   * sequence numbers with the next push.
   */
  private double changeUntilPushed(WsClient ws, NodeProcess via, String meId, String capability) throws Exception {
    long started = System.nanoTime();
    long deadline = started + Duration.ofSeconds(30).toNanos();
    for (int attempt = 1; ; attempt++) {
      String value = capability + "-" + attempt;
      HttpResponse<String> changed =
          send(via, "PUT", "/v1/mes/" + meId + "/capabilities", "{\"capabilities\":[\"" + value + "\"]}");
      assertEquals(200, changed.statusCode(), changed.body());
      long version = me(changed.body()).getVersion();
      acks.add(new Ack(meId, version, List.of(value)));
      long waitUntil = Math.min(deadline, System.nanoTime() + PUSH_WAIT.toNanos());
      for (long left = waitUntil - System.nanoTime(); left > 0; left = waitUntil - System.nanoTime()) {
        WsClient.Received received = ws.received.poll(left, TimeUnit.NANOSECONDS);
        if (received != null && received.frame().hasPush()) {
          Push push = received.frame().getPush();
          if (push.getTopic().equals("me/" + meId) && push.getSeq() == version) {
            assertEquals(List.of(value), push.getMe().getCapabilitiesList());
            return seconds(started, System.nanoTime());
          }
        }
      }
      assertTrue(System.nanoTime() < deadline, "no push of " + meId + " changed through node " + via.index() + " in 30 s");
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private void awaitReady(NodeProcess node, long deadline) throws Exception {
    while (true) {
      assertTrue(node.isAlive(), "node " + node.index() + " exited; see " + node.log());
      try {
        if (get(node.uri("/health/ready")).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      assertTrue(System.nanoTime() < deadline, "node " + node.index() + " not ready in " + START_DEADLINE + "; see " + node.log());
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + ": not within " + timeout);
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  private HttpRequest request(URI uri, String method, String json) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token);
    if (json == null) {
      return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
    }
    return b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json)).build();
  }

  private HttpResponse<String> send(NodeProcess node, String method, String path, String json) throws Exception {
    return http.send(request(node.uri(path), method, json), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Me me(String json) throws Exception {
    Me.Builder b = Me.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(json, b);
    return b.build();
  }

  private String createDatabase(String name) throws Exception {
    return postgres.createDatabase(name);
  }

  // ---- report ---------------------------------------------------------------------------------

  private void note(String format, Object... args) {
    String line = "[cluster-it] " + String.format(format, args);
    report.add(line);
    System.out.println(line);
  }

  private static int occurrences(String text, String part) {
    return text.split(Pattern.quote(part), -1).length - 1;
  }

  private static double seconds(long from, long to) {
    return (to - from) / 1e9;
  }

  private static String since(long from, long at) {
    return at == 0 ? "(not seen)" : String.format("%.1f s", seconds(from, at));
  }
}
