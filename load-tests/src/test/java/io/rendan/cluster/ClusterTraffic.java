package io.rendan.cluster;

import com.google.protobuf.util.JsonFormat;
import io.rendan.load.harness.NodeProcess;
import io.rendan.protocol.api.v1.Me;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Clients writing through the nodes of a cluster, each at a steady pace, every
 * write with its own id, recording every outcome: capability changes of MEs
 * ({@link #capabilities}) or bids on rounds ({@link #bids}). A client whose node
 * refuses the connection or drops it moves to the next node of {@link #targets},
 * as an app behind a load balancer would.
 */
final class ClusterTraffic implements AutoCloseable {
  enum Outcome {
    /** 200: the write is durable (for an ME, with its new version). */
    ACKED,
    /** No connection, or the connection dropped: the client reconnects elsewhere. */
    RECONNECT,
    /** The node answered with an error, or not in time. */
    FAILED
  }

  /**
   * One write: sent and answered (nanoTime), through which node, to which entity
   * (an ME or a round), the write's own id (the capability or the bid id), how it
   * ended, and whether it reached a node at all (a refused connection did not).
   */
  record Result(
      long sent, long at, int node, String entity, String id, Outcome outcome, long version, String detail, boolean reached) {
    /** Stored or not: the node may have stored it before the error or the drop. */
    boolean inDoubt() {
      return outcome != Outcome.ACKED && reached;
    }
  }

  /** The request of one write to an entity through a node; the answer's body gives the version (0 when none). */
  private interface Write {
    HttpRequest request(NodeProcess node, String entity, String id);

    long version(String entity, String body) throws IOException;

    /** The write to {@code entity} was acknowledged with {@code version}. */
    default void acked(String entity, long version) {}
  }

  final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
  volatile List<NodeProcess> targets;
  volatile List<String> entities;
  private final String prefix;
  private final Write write;
  private final Duration period;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong serial = new AtomicLong();
  private final List<Thread> clients;
  /** Each client writes to one entity of its own (client i to entity i), not to random ones. */
  private final boolean pinned;
  private volatile boolean running = true;

  private ClusterTraffic(
      String name, List<NodeProcess> targets, List<String> entities, int clients, Duration period, String prefix, Write write) {
    this(name, targets, entities, clients, period, prefix, write, false);
  }

  private ClusterTraffic(
      String name, List<NodeProcess> targets, List<String> entities, int clients, Duration period, String prefix, Write write, boolean pinned) {
    this.pinned = pinned;
    this.targets = targets;
    this.entities = entities;
    this.period = period;
    this.prefix = prefix;
    this.write = write;
    this.clients =
        IntStream.range(0, clients)
            .mapToObj(
                i -> {
                  Thread t = new Thread(() -> run(i), name + "-" + i);
                  t.setDaemon(true);
                  t.start();
                  return t;
                })
            .toList();
  }

  /** Clients putting a new capability on random MEs of {@code meIds}. */
  static ClusterTraffic capabilities(List<NodeProcess> targets, List<String> meIds, String token, int clients, Duration period) {
    Write write =
        new Write() {
          @Override
          public HttpRequest request(NodeProcess node, String meId, String capability) {
            return authorized(node, "/v1/mes/" + meId + "/capabilities", token)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"capabilities\":[\"" + capability + "\"]}"))
                .build();
          }

          @Override
          public long version(String meId, String body) throws IOException {
            Me.Builder me = Me.newBuilder();
            JsonFormat.parser().ignoringUnknownFields().merge(body, me);
            return me.getVersion();
          }
        };
    return new ClusterTraffic("traffic", targets, meIds, clients, period, "w", write);
  }

  /** Clients of bidder {@code meId} placing bids on random rounds of {@code roundIds}. */
  static ClusterTraffic bids(List<NodeProcess> targets, List<String> roundIds, String meId, String token, int clients, Duration period) {
    return bids(targets, roundIds, meId, token, clients, period, "load-");
  }

  /** The same, with bid ids that start with {@code prefix} (one per traffic: a bid id names one bid). */
  static ClusterTraffic bids(
      List<NodeProcess> targets, List<String> roundIds, String meId, String token, int clients, Duration period, String prefix) {
    AtomicLong asks = new AtomicLong();
    Write write =
        new Write() {
          @Override
          public HttpRequest request(NodeProcess node, String roundId, String bidId) {
            String body =
                "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + meId + "\",\"askShareBps\":" + (1000 + asks.incrementAndGet() % 3000) + "}";
            return authorized(node, "/v1/rounds/" + roundId + "/bids", token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
          }

          @Override
          public long version(String roundId, String body) {
            return 0;
          }
        };
    return new ClusterTraffic("bids", targets, roundIds, clients, period, prefix, write);
  }

  /**
   * One device per appliance of {@code secrets} (id to device secret), each
   * posting one heartbeat reading at a time as a short telemetry request, as a
   * device that cannot hold a stream would: the next seq once the last one is
   * acked, the same seq again after an error or a drop (a seq already stored is a
   * duplicate, not counted twice). The version of an ack is the highest seq the
   * appliance has stored. So afterwards each appliance must hold exactly the seqs
   * 1..n, n at least the highest acked.
   */
  static ClusterTraffic readings(List<NodeProcess> targets, Map<String, String> secrets, Duration period) {
    return readings(targets, secrets, period, Map.of());
  }

  /** The same, each device going on after the highest seq it saw acknowledged before ({@code acked}; none: from 1). */
  static ClusterTraffic readings(List<NodeProcess> targets, Map<String, String> secrets, Duration period, Map<String, Long> acked) {
    Map<String, AtomicLong> next = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> sent = new java.util.concurrent.ConcurrentHashMap<>();
    secrets.keySet().forEach(id -> next.put(id, new AtomicLong(acked.getOrDefault(id, 0L) + 1)));
    Write write =
        new Write() {
          @Override
          public HttpRequest request(NodeProcess node, String applianceId, String id) {
            long seq = next.get(applianceId).get();
            sent.put(applianceId, seq);
            return HttpRequest.newBuilder(node.uri("/v1/appliances/" + applianceId + "/telemetry"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Device " + secrets.get(applianceId))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":" + seq + ",\"heartbeat\":{}}\n"))
                .build();
          }

          @Override
          public long version(String applianceId, String body) throws IOException {
            long highest = -1;
            for (String line : body.split("\n")) {
              if (line.isBlank()) {
                continue;
              }
              io.rendan.protocol.api.v1.TelemetryResponse.Builder frame = io.rendan.protocol.api.v1.TelemetryResponse.newBuilder();
              JsonFormat.parser().ignoringUnknownFields().merge(line, frame);
              if (frame.hasAck()) {
                highest = Math.max(highest, frame.getAck().getSeq());
              }
            }
            if (highest < sent.get(applianceId)) {
              throw new IOException("no ack of seq " + sent.get(applianceId) + ": " + body.strip());
            }
            return highest;
          }

          @Override
          public void acked(String applianceId, long highest) {
            next.get(applianceId).accumulateAndGet(highest + 1, Math::max);
          }
        };
    return new ClusterTraffic("readings", targets, List.copyOf(secrets.keySet()), secrets.size(), period, "seq-", write, true);
  }

  private static HttpRequest.Builder authorized(NodeProcess node, String path, String token) {
    return HttpRequest.newBuilder(node.uri(path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json");
  }

  private void run(int client) {
    int target = client;
    long next = System.nanoTime();
    while (running) {
      List<NodeProcess> nodes = targets;
      List<String> ids = entities;
      NodeProcess node = nodes.get(Math.floorMod(target, nodes.size()));
      String entity = pinned ? ids.get(client % ids.size()) : ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
      Result result = send(node, entity, prefix + serial.incrementAndGet());
      results.add(result);
      if (result.outcome() == Outcome.RECONNECT) {
        target++;
      }
      // A steady pace rather than as fast as possible: the nodes' heartbeats
      // share the two cores with this load.
      next += period.toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(wait);
      } else {
        next = System.nanoTime();
      }
    }
  }

  private Result send(NodeProcess node, String entity, String id) {
    HttpRequest request = write.request(node, entity, id);
    long sent = System.nanoTime();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      long at = System.nanoTime();
      if (response.statusCode() != 200) {
        return new Result(sent, at, node.index(), entity, id, Outcome.FAILED, 0, response.statusCode() + " " + response.body(), true);
      }
      long version = write.version(entity, response.body());
      write.acked(entity, version);
      return new Result(sent, at, node.index(), entity, id, Outcome.ACKED, version, "", true);
    } catch (HttpTimeoutException e) {
      return new Result(sent, System.nanoTime(), node.index(), entity, id, Outcome.FAILED, 0, e.toString(), true);
    } catch (ConnectException e) {
      return new Result(sent, System.nanoTime(), node.index(), entity, id, Outcome.RECONNECT, 0, e.toString(), false);
    } catch (IOException e) {
      return new Result(sent, System.nanoTime(), node.index(), entity, id, Outcome.RECONNECT, 0, e.toString(), true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(sent, System.nanoTime(), node.index(), entity, id, Outcome.FAILED, 0, e.toString(), true);
    }
  }

  long acked() {
    return results.stream().filter(r -> r.outcome() == Outcome.ACKED).count();
  }

  /** How many different (node, entity) pairs have had a write acknowledged. */
  long ackedPairs() {
    return results.stream()
        .filter(r -> r.outcome() == Outcome.ACKED)
        .map(r -> r.node() + "/" + r.entity())
        .distinct()
        .count();
  }

  long ackedSince(long since, int node) {
    return results.stream().filter(r -> r.outcome() == Outcome.ACKED && r.at() >= since && r.node() == node).count();
  }

  /** The ids of the acknowledged writes, by entity. */
  Map<String, Set<String>> ackedIds() {
    return results.stream()
        .filter(r -> r.outcome() == Outcome.ACKED)
        .collect(Collectors.groupingBy(Result::entity, Collectors.mapping(Result::id, Collectors.toSet())));
  }

  /** The highest version acknowledged for each entity (for readings: the highest seq stored). */
  Map<String, Long> highestAcked() {
    Map<String, Long> highest = new java.util.HashMap<>();
    results.stream().filter(r -> r.outcome() == Outcome.ACKED).forEach(r -> highest.merge(r.entity(), r.version(), Math::max));
    return highest;
  }

  /** Writes the node answered with an error (a 5xx among them), or not in time. */
  List<Result> failed() {
    return results.stream().filter(r -> r.outcome() == Outcome.FAILED).toList();
  }

  long inDoubt() {
    return results.stream().filter(Result::inDoubt).count();
  }

  /** Writes that never reached a node (connection refused) and were sent again elsewhere. */
  long notSent() {
    return results.stream().filter(r -> !r.reached()).count();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread client : clients) {
      client.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
