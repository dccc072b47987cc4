package io.rendan.loadtest.device;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulated appliances streaming telemetry to a Rendan node: usable from the
 * command line ({@link DeviceSimulator}) and from a benchmark, which starts a
 * fleet, reads its {@link FleetStats} and closes it.
 *
 * <pre>
 * try (DeviceFleet fleet = DeviceFleet.start(devices, DeviceFleet.Options.defaults(URI.create("http://localhost:8080"))
 *     .withRate(10))) {
 *   ... fleet.stats().snapshot() ...
 * }
 * </pre>
 */
public final class DeviceFleet implements AutoCloseable {
  public enum Kind {
    WASHER,
    FRIDGE
  }

  /** An appliance as provisioned: its id, its device secret, what it is. */
  public record Device(String applianceId, String secret, Kind kind) {}

  /**
   * @param readingsPerSecond readings each device sends per second
   * @param protobuf length-delimited protobuf instead of JSON lines
   * @param loops event-loop threads the devices are spread over
   * @param rampUp devices connect spread over this long, not all at once
   * @param cutEvery each device drops its connection about this often (ZERO: never), to show resumption
   * @param cycleTicks readings a washer's cycle lasts
   * @param maxOutbox unacked readings a device keeps; the oldest go beyond it
   * @param sinkToken null: each device streams to its appliance with its secret; otherwise an
   *     admin's token, and the devices stream to the benchmark's sink ({@code /v1/admin/sink/{id}/telemetry}),
   *     which acks without storing
   * @param servers every node devices may stream to (a cluster's): device i starts on node i mod N and,
   *     when it cannot connect, tries the next; empty: {@code server} alone
   * @param localAddresses source addresses the devices bind to in turn (127.0.0.2, 127.0.0.3, ...), so
   *     that more connections than one address's ephemeral ports can be open; empty: the system's choice
   */
  public record Options(
      URI server,
      double readingsPerSecond,
      boolean protobuf,
      int loops,
      Duration rampUp,
      Duration cutEvery,
      int cycleTicks,
      int maxOutbox,
      String sinkToken,
      List<URI> servers,
      List<String> localAddresses) {

    public Options {
      if (readingsPerSecond <= 0 || readingsPerSecond > 10_000) {
        throw new IllegalArgumentException("readings per second per device must be in (0, 10000]");
      }
      if (loops < 1 || cycleTicks < 4 || maxOutbox < 1) {
        throw new IllegalArgumentException("loops >= 1, cycleTicks >= 4 and maxOutbox >= 1");
      }
      servers = servers.isEmpty() ? List.of(server) : List.copyOf(servers);
      localAddresses = List.copyOf(localAddresses);
    }

    public static Options defaults(URI server) {
      return new Options(server, 1, false, 1, Duration.ofSeconds(1), Duration.ZERO, 20, 100_000, null, List.of(), List.of());
    }

    public Options withRate(double perSecond) {
      return new Options(server, perSecond, protobuf, loops, rampUp, cutEvery, cycleTicks, maxOutbox, sinkToken, servers, localAddresses);
    }

    public Options withProtobuf(boolean on) {
      return new Options(server, readingsPerSecond, on, loops, rampUp, cutEvery, cycleTicks, maxOutbox, sinkToken, servers, localAddresses);
    }

    public Options withLoops(int n) {
      return new Options(server, readingsPerSecond, protobuf, n, rampUp, cutEvery, cycleTicks, maxOutbox, sinkToken, servers, localAddresses);
    }

    public Options withRampUp(Duration d) {
      return new Options(server, readingsPerSecond, protobuf, loops, d, cutEvery, cycleTicks, maxOutbox, sinkToken, servers, localAddresses);
    }

    public Options withCutEvery(Duration d) {
      return new Options(server, readingsPerSecond, protobuf, loops, rampUp, d, cycleTicks, maxOutbox, sinkToken, servers, localAddresses);
    }

    public Options withSinkToken(String adminToken) {
      return new Options(server, readingsPerSecond, protobuf, loops, rampUp, cutEvery, cycleTicks, maxOutbox, adminToken, servers, localAddresses);
    }

    /** Every node of a cluster: devices are spread over them and fail over to the next. */
    public Options withServers(List<URI> all) {
      return new Options(all.get(0), readingsPerSecond, protobuf, loops, rampUp, cutEvery, cycleTicks, maxOutbox, sinkToken, all, localAddresses);
    }

    public Options withLocalAddresses(List<String> addresses) {
      return new Options(server, readingsPerSecond, protobuf, loops, rampUp, cutEvery, cycleTicks, maxOutbox, sinkToken, servers, addresses);
    }

    public Options withCycleTicks(int ticks) {
      return new Options(server, readingsPerSecond, protobuf, loops, rampUp, cutEvery, ticks, maxOutbox, sinkToken, servers, localAddresses);
    }
  }

  private final List<EventLoop> loops;
  private final List<SimulatedDevice> devices;
  private final FleetStats stats;

  private DeviceFleet(List<EventLoop> loops, List<SimulatedDevice> devices, FleetStats stats) {
    this.loops = loops;
    this.devices = devices;
    this.stats = stats;
  }

  /** Devices stop making readings but go on until what they sent is acked: the end of a measured run. */
  public void quiesce() {
    devices.forEach(SimulatedDevice::quiesce);
  }

  public static DeviceFleet start(List<Device> devices, Options options) throws IOException {
    return start(devices, options, new FleetStats());
  }

  /** Starts the fleet counting into {@code stats} (with its listener set, if any). */
  public static DeviceFleet start(List<Device> devices, Options options, FleetStats stats) throws IOException {
    List<EventLoop> loops = new ArrayList<>();
    for (int i = 0; i < options.loops(); i++) {
      loops.add(new EventLoop(i));
    }
    Random seeds = new Random();
    long now = System.nanoTime();
    long spread = Math.max(1, options.rampUp().toNanos());
    List<SimulatedDevice> simulated = new ArrayList<>();
    for (int i = 0; i < devices.size(); i++) {
      long startAt = now + spread * i / Math.max(1, devices.size());
      SimulatedDevice d = new SimulatedDevice(devices.get(i), options, stats, new Random(seeds.nextLong()), startAt, i);
      simulated.add(d);
      loops.get(i % loops.size()).add(d);
    }
    loops.forEach(EventLoop::start);
    return new DeviceFleet(loops, simulated, stats);
  }

  public FleetStats stats() {
    return stats;
  }

  /** Stops every device; their connections are closed. */
  @Override
  public void close() throws InterruptedException {
    for (EventLoop loop : loops) {
      loop.stop();
    }
  }
}
