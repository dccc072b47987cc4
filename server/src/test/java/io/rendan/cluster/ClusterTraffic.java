package io.rendan.cluster;

import com.google.protobuf.util.JsonFormat;
import io.rendan.protocol.api.v1.Me;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients changing capabilities of MEs through the nodes, each at a steady pace,
 * recording every outcome. A client whose node refuses the connection moves to
 * the next node of {@link #targets}, as an app behind a load balancer would.
 */
final class ClusterTraffic implements AutoCloseable {
  enum Outcome {
    /** 200 with the ME's new version: the write is durable. */
    ACKED,
    /** No connection, or the connection dropped: the client reconnects elsewhere. */
    RECONNECT,
    /** The node answered with an error, or not in time. */
    FAILED
  }

  /** One write: sent and answered (nanoTime), through which node, for which ME, and how it ended. */
  record Result(
      long sent, long at, int node, String meId, String capability, Outcome outcome, long version, String detail) {}

  final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
  volatile List<NodeProcess> targets;
  volatile List<String> meIds;
  private final String token;
  private final HttpClient http;
  private final Duration period;
  private final AtomicLong writes = new AtomicLong();
  private final List<Thread> clients;
  private volatile boolean running = true;

  ClusterTraffic(List<NodeProcess> targets, List<String> meIds, String token, int clients, Duration period) {
    this.targets = targets;
    this.meIds = meIds;
    this.token = token;
    this.period = period;
    this.http =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    this.clients =
        java.util.stream.IntStream.range(0, clients)
            .mapToObj(
                i -> {
                  Thread t = new Thread(() -> run(i), "traffic-" + i);
                  t.setDaemon(true);
                  t.start();
                  return t;
                })
            .toList();
  }

  private void run(int client) {
    int target = client;
    long next = System.nanoTime();
    while (running) {
      List<NodeProcess> nodes = targets;
      List<String> ids = meIds;
      NodeProcess node = nodes.get(Math.floorMod(target, nodes.size()));
      String meId = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
      Result result = write(node, meId, "w" + writes.incrementAndGet());
      results.add(result);
      if (result.outcome() == Outcome.RECONNECT) {
        target++;
      }
      // A steady pace rather than as fast as possible: the nodes' heartbeats
      // share the two cores with this load.
      next += period.toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      } else {
        next = System.nanoTime();
      }
    }
  }

  private Result write(NodeProcess node, String meId, String capability) {
    HttpRequest request =
        HttpRequest.newBuilder(node.uri("/v1/mes/" + meId + "/capabilities"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString("{\"capabilities\":[\"" + capability + "\"]}"))
            .build();
    long sent = System.nanoTime();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      long at = System.nanoTime();
      if (response.statusCode() != 200) {
        return new Result(
            sent, at, node.index, meId, capability, Outcome.FAILED, 0, response.statusCode() + " " + response.body());
      }
      Me.Builder me = Me.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(response.body(), me);
      return new Result(sent, at, node.index, meId, capability, Outcome.ACKED, me.getVersion(), "");
    } catch (HttpTimeoutException e) {
      return new Result(sent, System.nanoTime(), node.index, meId, capability, Outcome.FAILED, 0, e.toString());
    } catch (IOException e) {
      return new Result(sent, System.nanoTime(), node.index, meId, capability, Outcome.RECONNECT, 0, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(sent, System.nanoTime(), node.index, meId, capability, Outcome.FAILED, 0, e.toString());
    }
  }

  long acked() {
    return results.stream().filter(r -> r.outcome() == Outcome.ACKED).count();
  }

  /** How many different (node, ME) pairs have had a write acknowledged. */
  long ackedPairs() {
    return results.stream()
        .filter(r -> r.outcome() == Outcome.ACKED)
        .map(r -> r.node() + "/" + r.meId())
        .distinct()
        .count();
  }

  long ackedSince(long since, int node) {
    return results.stream().filter(r -> r.outcome() == Outcome.ACKED && r.at() >= since && r.node() == node).count();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread client : clients) {
      client.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
