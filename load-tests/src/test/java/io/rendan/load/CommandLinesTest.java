package io.rendan.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.loadtest.device.DeviceSimulator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Both command lines: misspelt options are refused with 2, values that start with a dash are values, help lists every option. */
@Tag("unit")
class CommandLinesTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int parse(CommandLine line, AtomicReference<Options> given, String... args) {
    return CommandLines.execute(
        line,
        args,
        new PrintWriter(out),
        new PrintWriter(err),
        parsed -> {
          CommandLine.ParseResult last = parsed.hasSubcommand() ? parsed.subcommand() : parsed;
          given.set(CommandLines.toOptions(last, last.commandSpec().name()));
          return 0;
        });
  }

  @Test
  void aMisspeltOptionIsRefusedWithItsNameAndStatus2() {
    AtomicReference<Options> given = new AtomicReference<>();
    assertEquals(2, parse(LoadCli.commandLine(), given, "bench", "--durattion", "5s"));
    assertTrue(err.toString().contains("--durattion"), err.toString());
    assertEquals(null, given.get(), "nothing runs");
    assertEquals(2, parse(DeviceSimulator.commandLine(), given, "--provison", "3"));
  }

  @Test
  void givenOptionsBecomeOptionsAndTheOthersKeepTheProgramsDefaults() {
    AtomicReference<Options> given = new AtomicReference<>();
    assertEquals(
        0,
        parse(LoadCli.commandLine(), given, "bench", "--scenario", "hot-round", "--rate=800", "--no-baselines",
            "--server-jvm-opts", "-Xmx2g -XX:+UseG1GC", "--duration", "20s", "--duration", "30s"));
    Options o = given.get();
    assertEquals("bench", o.positional().get(0));
    assertEquals("hot-round", o.get("scenario", null));
    assertEquals("800", o.get("rate", null));
    assertTrue(o.flag("no-baselines"));
    assertEquals("-Xmx2g -XX:+UseG1GC", o.get("server-jvm-opts", null));
    assertEquals("30s", o.get("duration", null), "the last one given counts");
    assertEquals("h2", o.get("db", "h2"), "not given: the harness's default");
  }

  @Test
  void helpListsEveryOption() {
    assertEquals(0, parse(LoadCli.commandLine(), new AtomicReference<>(), "bench", "--help"));
    for (CommandLines.Opt opt : LoadCli.ALL) {
      assertTrue(out.toString().contains("--" + opt.name()), "--" + opt.name() + " missing from bench --help");
    }
    out.getBuffer().setLength(0);
    assertEquals(0, parse(DeviceSimulator.commandLine(), new AtomicReference<>(), "--help"));
    for (CommandLines.Opt opt : DeviceSimulator.OPTIONS) {
      assertTrue(out.toString().contains("--" + opt.name()), "--" + opt.name() + " missing from the simulator's --help");
    }
  }
}
