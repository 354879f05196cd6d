package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** Runs the tool in-process and captures what it prints. */
final class Cli {

  private Cli() {}

  /** One run: exit code, standard output, standard error. */
  record Run(int exit, String out, String err) {

    /** Asserts a failure reported as one line on stderr, and returns that line. */
    String failsWithOneLine(int expectedExit) {
      assertThat(exit).as("exit code; out=%s err=%s", out, err).isEqualTo(expectedExit);
      assertThat(out).isEmpty();
      List<String> lines = err.lines().toList();
      assertThat(lines).as("stderr: %s", err).hasSize(1);
      assertThat(lines.get(0)).startsWith("Error: ").doesNotContain("Exception").doesNotContain("\tat ");
      return lines.get(0);
    }

    /** Asserts success and returns standard output. */
    String succeeds() {
      assertThat(exit).as("exit code; out=%s err=%s", out, err).isZero();
      assertThat(err).isEmpty();
      return out;
    }

    /** The value on the aligned text line with this label, such as {@code Credentials}. */
    String value(String label) {
      String prefix = label + " ...";
      for (String line : out.lines().toList()) {
        if (line.startsWith(prefix)) {
          String rest = line.substring(label.length() + 1).replaceFirst("^\\.+ ", "");
          int note = rest.indexOf(" (won't be shown again)");
          return note < 0 ? rest : rest.substring(0, note);
        }
      }
      throw new AssertionError("no line \"" + label + " ...\" in:\n" + out);
    }
  }

  static Run run(String... args) {
    CommandLine cl = ApiKeyCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static String[] args(List<String> first, String... rest) {
    List<String> all = new ArrayList<>(first);
    all.addAll(Arrays.asList(rest));
    return all.toArray(String[]::new);
  }
}
