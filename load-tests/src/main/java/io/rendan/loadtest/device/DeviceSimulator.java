package io.rendan.loadtest.device;

import static io.rendan.load.CommandLines.Opt.flag;
import static io.rendan.load.CommandLines.Opt.value;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.rendan.load.CommandLines;
import io.rendan.load.CommandLines.Opt;
import io.rendan.load.client.ControlHttp;
import io.rendan.protocol.api.v1.Appliance;
import io.rendan.protocol.api.v1.Emc;
import io.rendan.protocol.api.v1.IssueDevTokenRequest;
import io.rendan.protocol.api.v1.IssueDevTokenResponse;
import io.rendan.protocol.api.v1.Me;
import io.rendan.protocol.api.v1.Member;
import io.rendan.protocol.api.v1.ProvisionApplianceRequest;
import io.rendan.protocol.api.v1.ProvisionedAppliance;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import io.rendan.protocol.api.v1.StartEmcRequest;
import io.rendan.protocol.api.v1.Tariff;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * Runs simulated washers and fridges against a Rendan node, for demos and
 * load. It can provision the appliances first (in dev mode it gets itself a
 * token) and keeps their secrets in a file for the next run. Run with
 * {@code --help} for the options; README.md shows the commands.
 */
public final class DeviceSimulator {
  /** Every option; {@code --help} lists them. */
  public static final List<Opt> OPTIONS =
      List.of(
          value("url", "URL", "the node (default http://localhost:8080)"),
          value("devices", "FILE", "run the appliances listed in FILE (lines: applianceId<TAB>secret<TAB>WASHER|FRIDGE)"),
          value("provision", "N", "provision N new appliances first, and write them to --save"),
          value("type", "T", "WASHER, FRIDGE or MIXED (every fifth a fridge) for --provision (default WASHER)"),
          value("tariff", "MINOR", "price of a washer cycle in euro cents for --provision (default 250)"),
          value("emc", "ID", "EMC to provision into (default: a new \"Simulated Community Laundry\")"),
          value("token", "JWT", "bearer token of an operator of the EMC's owner (default: a dev token, dev mode only)"),
          value("save", "FILE", "where --provision writes the appliances (default devices.tsv; holds their secrets)"),
          value("parallel", "N", "provisioning requests in flight (default 16)"),
          flag("provision-only", "provision, save and stop without streaming"),
          value("rate", "R", "readings per second per appliance (default 1)"),
          value("cycle", "N", "readings a washer cycle lasts (default 20)"),
          flag("protobuf", "length-delimited protobuf instead of JSON lines"),
          value("cut-every", "SECONDS", "drop each appliance's connection about this often, to watch it resume (default never)"),
          value("loops", "N", "event-loop threads (default 1)"),
          value("ramp-up", "SECONDS", "spread the first connections over this long (default 1)"),
          value("duration", "SECONDS", "stop after this long (default: run until Ctrl-C)"),
          value("report", "SECONDS", "print the counters this often (default 5)"));

  private DeviceSimulator() {}

  public static CommandLine commandLine() {
    return new CommandLine(
            CommandLines.command(
                "device-simulator",
                "Simulated appliances streaming telemetry to a Rendan node: java -jar load-tests/target/device-simulator.jar [options]",
                OPTIONS))
        .setOverwrittenOptionsAllowed(true);
  }

  public static void main(String[] args) throws Exception {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    Map<String, String> given = new LinkedHashMap<>();
    int status = CommandLines.execute(commandLine(), args, out, err, parsed -> {
      given.putAll(CommandLines.toOptions(parsed, null).all());
      return -1;
    });
    if (status >= 0) {
      System.exit(status);
    }
    simulate(given);
  }

  private static void simulate(Map<String, String> opts) throws Exception {
    URI server = URI.create(opts.getOrDefault("url", "http://localhost:8080"));
    List<DeviceFleet.Device> devices = new ArrayList<>();
    if (opts.containsKey("devices")) {
      devices.addAll(read(Path.of(opts.get("devices"))));
    }
    if (opts.containsKey("provision")) {
      List<DeviceFleet.Device> provisioned = provision(server, opts);
      Path save = Path.of(opts.getOrDefault("save", "devices.tsv"));
      write(save, provisioned);
      System.out.println("provisioned " + provisioned.size() + " appliances; their secrets are in " + save.toAbsolutePath());
      devices.addAll(provisioned);
      if (opts.containsKey("provision-only")) {
        return;
      }
    }
    if (devices.isEmpty()) {
      System.err.println("no appliances: give --devices FILE or --provision N; see --help");
      System.exit(CommandLines.USAGE_ERROR);
    }
    DeviceFleet.Options options =
        DeviceFleet.Options.defaults(server)
            .withRate(Double.parseDouble(opts.getOrDefault("rate", "1")))
            .withProtobuf(opts.containsKey("protobuf"))
            .withLoops(Integer.parseInt(opts.getOrDefault("loops", "1")))
            .withRampUp(Duration.ofMillis((long) (1000 * Double.parseDouble(opts.getOrDefault("ramp-up", "1")))))
            .withCutEvery(Duration.ofMillis((long) (1000 * Double.parseDouble(opts.getOrDefault("cut-every", "0")))))
            .withCycleTicks(Integer.parseInt(opts.getOrDefault("cycle", "20")));
    long duration = (long) (1000 * Double.parseDouble(opts.getOrDefault("duration", "0")));
    long report = (long) (1000 * Double.parseDouble(opts.getOrDefault("report", "5")));

    System.out.println(
        "streaming " + devices.size() + " appliances to " + server + " at " + options.readingsPerSecond() + " readings/s each, "
            + (options.protobuf() ? "protobuf" : "JSON lines"));
    DeviceFleet fleet = DeviceFleet.start(devices, options);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(fleet)));
    long started = System.nanoTime();
    FleetStats.Snapshot previous = null;
    while (duration == 0 || TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < duration) {
      Thread.sleep(duration == 0 ? report : Math.min(report, Math.max(1, duration - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))));
      FleetStats.Snapshot now = fleet.stats().snapshot();
      System.out.println(Instant.now() + " " + now.line(previous, report / 1000.0));
      previous = now;
    }
    stop(fleet);
  }

  private static void stop(DeviceFleet fleet) {
    try {
      fleet.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the devices file -----------------------------------------------------------------------

  static List<DeviceFleet.Device> read(Path file) throws IOException {
    List<DeviceFleet.Device> devices = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.trim().split("\t");
      devices.add(
          new DeviceFleet.Device(parts[0], parts[1], parts.length > 2 ? DeviceFleet.Kind.valueOf(parts[2]) : DeviceFleet.Kind.WASHER));
    }
    return devices;
  }

  /** Written readable by its owner only: it holds device secrets. */
  static void write(Path file, List<DeviceFleet.Device> devices) throws IOException {
    StringBuilder text = new StringBuilder("# applianceId\tdevice secret\ttype\n");
    devices.forEach(d -> text.append(d.applianceId()).append('\t').append(d.secret()).append('\t').append(d.kind()).append('\n'));
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
    Files.writeString(file, text);
  }

  // ---- provisioning ---------------------------------------------------------------------------

  /** Provisions {@code opts.get("provision")} appliances (options as on the command line); answers them with their secrets. */
  public static List<DeviceFleet.Device> provision(URI server, Map<String, String> opts) throws Exception {
    String token = opts.get("token");
    if (token == null) {
      token =
          call(server, "/v1/dev/tokens", null, IssueDevTokenRequest.newBuilder().setSubject("device-simulator").build(), IssueDevTokenResponse.newBuilder())
              .getToken();
    }
    String emcId = opts.get("emc");
    if (emcId == null) {
      Me.Builder owner =
          call(server, "/v1/mes", token,
              RegisterMeRequest.newBuilder().setName("Simulated Laundry Ops").setKind(Me.Kind.INTERNAL).addCapabilities("laundry").build(),
              Me.newBuilder());
      emcId =
          call(server, "/v1/emcs", token,
                  StartEmcRequest.newBuilder()
                      .setName("Simulated Community Laundry")
                      .setUserGroup("dorm students")
                      .setOwnerMeId(owner.getMeId())
                      .setOwnerSide(Member.Side.EXPERIENCE)
                      .build(),
                  Emc.newBuilder())
              .getEmcId();
      System.out.println("started EMC " + emcId + " owned by ME " + owner.getMeId());
    }
    int count = Integer.parseInt(opts.get("provision"));
    String type = opts.getOrDefault("type", "WASHER");
    long tariff = Long.parseLong(opts.getOrDefault("tariff", "250"));
    int parallel = Integer.parseInt(opts.getOrDefault("parallel", "16"));
    DeviceFleet.Device[] made = new DeviceFleet.Device[count];
    String operator = token;
    String emc = emcId;
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    List<Future<?>> calls = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      int i = n;
      calls.add(
          pool.submit(
              () -> {
                made[i - 1] = provisionOne(server, emc, operator, i, type, tariff);
                if (i % 10_000 == 0) {
                  System.out.println(Instant.now() + " provisioned about " + i + " of " + count);
                }
                return null;
              }));
    }
    pool.shutdown();
    try {
      for (Future<?> c : calls) {
        c.get(); // the first failure ends the run with its cause
      }
    } finally {
      pool.shutdownNow();
    }
    return List.of(made);
  }

  private static DeviceFleet.Device provisionOne(
      URI server, String emcId, String token, int i, String type, long tariff) throws Exception {
    DeviceFleet.Kind kind =
        type.equals("FRIDGE") || (type.equals("MIXED") && i % 5 == 0) ? DeviceFleet.Kind.FRIDGE : DeviceFleet.Kind.WASHER;
    ProvisionApplianceRequest request =
        ProvisionApplianceRequest.newBuilder()
            .setType(kind == DeviceFleet.Kind.FRIDGE ? Appliance.Type.FRIDGE : Appliance.Type.WASHER)
            .setModel(kind == DeviceFleet.Kind.FRIDGE ? "CoolShare 300" : "WM-40")
            .setLocation("Dorm " + (char) ('A' + (i - 1) / 40 % 26) + ", room " + i)
            .setTariff(Tariff.newBuilder().setAmountMinor(kind == DeviceFleet.Kind.FRIDGE ? 0 : tariff).setCurrency("EUR"))
            .build();
    ProvisionedAppliance.Builder p =
        call(server, "/v1/emcs/" + emcId + "/appliances", token, request, ProvisionedAppliance.newBuilder());
    return new DeviceFleet.Device(p.getAppliance().getApplianceId(), p.getDeviceSecret(), kind);
  }

  /** POSTs {@code body} as JSON and reads the answer into {@code answer}. */
  private static <B extends Message.Builder> B call(
      URI server, String path, String token, Message body, B answer) throws Exception {
    ControlHttp.Answer response = ControlHttp.postJson(server.resolve(path), token, JsonFormat.printer().print(body));
    if (response.status() / 100 != 2) {
      throw new IllegalStateException("POST " + path + " answered " + response.status() + ": " + response.body());
    }
    JsonFormat.parser().ignoringUnknownFields().merge(response.body(), answer);
    return answer;
  }
}
