package io.rendan.load;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * What both command lines of the load tests share (the harness {@link LoadCli} and
 * the appliance simulator): options declared once as a table, parsed by picocli,
 * so that a misspelt option is refused with a clear message and exit status 2,
 * {@code --help} lists every option, and the program reads the options given as
 * plain {@link Options} with its own defaults.
 */
public final class CommandLines {
  /** An option: its name without dashes, a label for its value ({@code null} for a flag), and its help text. */
  public record Opt(String name, String label, String help) {
    public static Opt flag(String name, String help) {
      return new Opt(name, null, help);
    }

    public static Opt value(String name, String label, String help) {
      return new Opt(name, label, help);
    }

    OptionSpec spec() {
      OptionSpec.Builder b = OptionSpec.builder("--" + name).description(help);
      if (label == null) {
        b.arity("0");
      } else {
        b.arity("1").paramLabel(label).type(String.class);
      }
      return b.build();
    }
  }

  /** Exit status of a command line that could not be read: a misspelt option, a missing value. */
  public static final int USAGE_ERROR = 2;

  private CommandLines() {}

  /** A command with these options and {@code --help}. */
  public static CommandSpec command(String name, String header, List<Opt> options) {
    CommandSpec spec = CommandSpec.create().name(name).mixinStandardHelpOptions(false);
    spec.usageMessage().description(header).sortOptions(false).width(110);
    spec.addOption(OptionSpec.builder("--help", "-h").usageHelp(true).description("show this help and exit").build());
    options.forEach(o -> spec.addOption(o.spec()));
    return spec;
  }

  /** The options that were given on the command line, as {@link Options}; the command's name first when there is one. */
  public static Options toOptions(ParseResult parsed, String command) {
    Options options = Options.parse(command == null ? new String[0] : new String[] {command});
    for (OptionSpec o : parsed.matchedOptions()) {
      if (o.usageHelp()) {
        continue;
      }
      String name = o.longestName().substring(2);
      options.set(name, o.arity().max() == 0 ? "true" : String.valueOf((Object) o.getValue()));
    }
    return options;
  }

  /**
   * Parses {@code args} with {@code line}: on an error prints the message and how
   * to get help to {@code err} and gives {@link #USAGE_ERROR}; on {@code --help}
   * prints the help and gives 0; otherwise gives what {@code run} gives.
   */
  public static int execute(CommandLine line, String[] args, PrintWriter out, PrintWriter err, Function<ParseResult, Integer> run) {
    ParseResult parsed;
    try {
      parsed = line.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("error: " + e.getMessage());
      err.println("see: " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
      err.flush();
      return USAGE_ERROR;
    }
    ParseResult last = parsed;
    while (last.hasSubcommand()) {
      last = last.subcommand();
    }
    if (last.isUsageHelpRequested()) {
      last.commandSpec().commandLine().usage(out);
      out.flush();
      return 0;
    }
    return run.apply(parsed);
  }
}
