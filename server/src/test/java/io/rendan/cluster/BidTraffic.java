package io.rendan.cluster;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Bidders placing bids on rounds through the nodes at a steady pace, each bid
 * its own request with its own id, recording which were acknowledged (200:
 * stored) and which are in doubt (an error or no answer: stored or not). A
 * client whose node refuses the connection moves to the next node, as an app
 * behind a load balancer would; a bid that never reached a node is neither.
 */
final class BidTraffic implements AutoCloseable {
  /** Acknowledged bid ids by round. */
  final Map<String, Set<String>> acked = new ConcurrentHashMap<>();
  /** Bid ids answered with an error or not at all, by round: the node may or may not have stored them. */
  final Map<String, Set<String>> inDoubt = new ConcurrentHashMap<>();
  final AtomicLong notSent = new AtomicLong();
  volatile List<NodeProcess> targets;
  private final List<String> roundIds;
  private final String token;
  private final String meId;
  private final Duration period;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong serial = new AtomicLong();
  private final List<Thread> clients;
  private volatile boolean running = true;

  BidTraffic(List<NodeProcess> targets, List<String> roundIds, String meId, String token, int clients, Duration period) {
    this.targets = targets;
    this.roundIds = roundIds;
    this.meId = meId;
    this.token = token;
    this.period = period;
    this.clients =
        java.util.stream.IntStream.range(0, clients)
            .mapToObj(
                i -> {
                  Thread t = new Thread(() -> run(i), "bids-" + i);
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
      NodeProcess node = nodes.get(Math.floorMod(target, nodes.size()));
      String roundId = roundIds.get(ThreadLocalRandom.current().nextInt(roundIds.size()));
      String bidId = "load-" + serial.incrementAndGet();
      if (!place(node, roundId, bidId)) {
        target++;
      }
      next += period.toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      } else {
        next = System.nanoTime();
      }
    }
  }

  /** False when the node could not be reached: the client moves on. */
  private boolean place(NodeProcess node, String roundId, String bidId) {
    HttpRequest request =
        HttpRequest.newBuilder(node.uri("/v1/rounds/" + roundId + "/bids"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"bidId\":\"" + bidId + "\",\"meId\":\"" + meId + "\",\"askShareBps\":"
                        + (1000 + serial.get() % 3000) + "}"))
            .build();
    try {
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      (response.statusCode() == 200 ? acked : inDoubt).computeIfAbsent(roundId, r -> ConcurrentHashMap.newKeySet()).add(bidId);
      return true;
    } catch (java.net.ConnectException e) {
      notSent.incrementAndGet();
      return false;
    } catch (IOException e) {
      // sent, and the connection dropped or the answer did not come in time
      inDoubt.computeIfAbsent(roundId, r -> ConcurrentHashMap.newKeySet()).add(bidId);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  long ackedCount() {
    return acked.values().stream().mapToLong(Set::size).sum();
  }

  long inDoubtCount() {
    return inDoubt.values().stream().mapToLong(Set::size).sum();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread client : clients) {
      client.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
