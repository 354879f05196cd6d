package dev.intakeauth.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.intakeauth.elasticsearch.KeyManagementException;
import dev.intakeauth.elasticsearch.VerificationMode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * How the tool reports an error: one line on standard error, {@code Error: ...} or, with
 * {@code --json}, {@code {"error":"..."}} (as {@code apm-server apikey} does); exit code 2 for a usage
 * error, 1 for a failure. No message repeats a value from the command line.
 */
final class Errors {

  private static final Pattern LONG_OPTION = Pattern.compile("--[A-Za-z][A-Za-z0-9-]{0,30}");
  private static final Pattern SHORT_OPTION = Pattern.compile("-[A-Za-z]");
  private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9-]{0,30}");
  /** Errors as JSON in plain ASCII: one line whatever the message holds, readable in any terminal encoding. */
  private static final ObjectWriter ERROR_JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build().writer()
      .with(new AsciiEscapes());

  /** JSON's own escapes for ASCII, and DEL as well, so that an error line holds printable ASCII only. */
  private static final class AsciiEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] codes = standardAsciiEscapesForJSON();

    AsciiEscapes() {
      codes[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return codes;
    }

    @Override
    public @Nullable SerializableString getEscapeSequence(int ch) {
      return null;
    }
  }

  private Errors() {}

  /** A usage error raised by the tool itself, with a message that holds no value from the command line. */
  static final class UsageError extends ParameterException {
    private static final long serialVersionUID = 1L;

    UsageError(CommandLine cl, String message) {
      super(cl, message);
    }
  }

  /** Whether the command that ran was given {@code --json}. */
  static boolean jsonAsked(CommandLine command) {
    CommandLine.ParseResult parsed = command.getParseResult();
    return parsed != null && parsed.hasMatchedOption("--json");
  }

  /** Installs the tool's handlers for usage errors and failures on {@code cl}. */
  static void handle(CommandLine cl) {
    cl.setParameterExceptionHandler((ex, args) -> {
      String sub = ex.getCommandLine().getCommandName();
      String message = usageMessage(ex, args);
      // The parse may have stopped before --json, so the arguments tell; --json takes no value.
      if (Arrays.asList(args).contains("--json")) {
        printError(ex.getCommandLine().getErr(), true, message);
      } else {
        printError(ex.getCommandLine().getErr(), false, message + " (see 'apikey" + ("apikey".equals(sub) ? "" : " " + sub) + " --help')");
      }
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      String message = ex instanceof KeyManagementException || ex instanceof IllegalArgumentException
          ? ex.getMessage()
          : "unexpected failure (" + ex.getClass().getSimpleName() + ")";
      printError(commandLine.getErr(), jsonAsked(commandLine), message);
      return 1;
    });
  }

  /** Prints an error as one line: {@code Error: message}, or {@code {"error":"message"}} for {@code --json}. */
  static void printError(PrintWriter err, boolean json, String message) {
    err.println(json ? jsonLine("error", message) : "Error: " + message);
    err.flush();
  }

  /** {@code {"key":"text"}} on one line, however hostile the text. */
  static String jsonLine(String key, String text) {
    try {
      return ERROR_JSON.writeValueAsString(Map.of(key, text));
    } catch (JsonProcessingException e) {
      // Not reachable for a map of two strings; never leave the caller without an answer.
      return "{\"" + key + "\":\"unprintable message\"}";
    }
  }

  /**
   * The message for a usage error, built from the command's own option names, never from the
   * arguments: picocli's messages quote them, and a mistyped option puts a password among them.
   */
  static String usageMessage(ParameterException ex, String[] args) {
    if (ex instanceof UsageError) {
      return ex.getMessage();
    }
    CommandSpec spec = ex.getCommandLine().getCommandSpec();
    if (ex instanceof CommandLine.UnmatchedArgumentException u) {
      return unmatched(u, spec, args);
    }
    if (ex instanceof CommandLine.MissingParameterException m) {
      List<String> names = new ArrayList<>();
      m.getMissing().forEach(a -> names.add(name(a)));
      String which = String.join(", ", names);
      return m.getMessage() != null && m.getMessage().startsWith("Missing required option")
          ? "missing required option" + (names.size() > 1 ? "s " : " ") + which
          : "option " + which + " needs a value";
    }
    if (ex instanceof CommandLine.OverwrittenOptionException o) {
      return "option " + name(o.getOverwritten()) + " is given more than once";
    }
    if (ex.getArgSpec() != null) {
      ArgSpec a = ex.getArgSpec();
      String hint = a.type() == VerificationMode.class ? " (or ELASTICSEARCH_SSL_VERIFICATION_MODE): expected full, certificate or none" : "";
      return "invalid value for option " + name(a) + hint;
    }
    return "the command line is not valid";
  }

  private static String unmatched(CommandLine.UnmatchedArgumentException u, CommandSpec spec, String[] args) {
    Set<String> known = new LinkedHashSet<>(spec.optionsMap().keySet());
    known.addAll(spec.subcommands().keySet());
    List<String> shown = new ArrayList<>();
    int hidden = 0;
    for (String token : u.getUnmatched()) {
      String name = token.contains("=") ? token.substring(0, token.indexOf('=')) : token;
      boolean optionName = (LONG_OPTION.matcher(name).matches() || SHORT_OPTION.matcher(name).matches())
          && known.stream().noneMatch(k -> name.startsWith(k) && name.length() > k.length());
      // Only the first unmatched token is named: the next one may be the value of a mistyped option.
      if (shown.isEmpty() && hidden == 0 && optionName) {
        shown.add("unknown option '" + name + "'");
      } else if (shown.isEmpty() && hidden == 0 && args.length > 0 && token.equals(args[0]) && WORD.matcher(token).matches()) {
        shown.add("unknown command '" + token + "'");
      } else {
        hidden++;
      }
    }
    StringBuilder out = new StringBuilder(shown.isEmpty() ? "unexpected argument" + (hidden > 1 ? "s" : "") + " (not shown)" : shown.get(0));
    if (!shown.isEmpty() && hidden > 0) {
      out.append(" and ").append(hidden).append(" more argument").append(hidden > 1 ? "s" : "").append(" (not shown)");
    }
    // Suggestions for a token that is not shown would hint at what it was.
    List<String> suggestions = u.getSuggestions().stream().filter(known::contains).toList();
    if (!shown.isEmpty() && !suggestions.isEmpty()) {
      out.append("; did you mean ").append(String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size())))).append('?');
    }
    return out.toString();
  }

  private static String name(ArgSpec a) {
    return a instanceof OptionSpec o ? "'" + o.longestName() + "'" : "'" + a.paramLabel() + "'";
  }
}
