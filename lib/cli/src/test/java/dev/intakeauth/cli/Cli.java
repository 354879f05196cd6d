package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/** Runs the tool in-process and captures what it prints. */
final class Cli {

  private static final ObjectMapper JSON = new ObjectMapper();

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

    /**
     * Asserts a failure reported with {@code --json}: stdout empty, one line of plain-ASCII JSON on
     * stderr holding only {@code error}, and returns its text.
     */
    String failsWithJson(int expectedExit) {
      assertThat(exit).as("exit code; out=%s err=%s", out, err).isEqualTo(expectedExit);
      assertThat(out).isEmpty();
      List<String> lines = err.lines().toList();
      assertThat(lines).as("stderr: %s", err).hasSize(1);
      assertThat(lines.get(0)).matches("[\\x20-\\x7e]*").doesNotContain("Exception");
      JsonNode node;
      try {
        node = JSON.readTree(lines.get(0));
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + lines.get(0), e);
      }
      assertThat(node.isObject()).isTrue();
      assertThat(node.size()).as("fields of %s", node).isEqualTo(1);
      assertThat(node.path("error").isTextual()).as("error in %s", node).isTrue();
      return node.path("error").asText();
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

  /** Standard input and a terminal for a run: what the tool may read secrets from. */
  record Input(byte[] stdinBytes, @Nullable String typed, List<String> questions) implements ApiKeyCommand.Input {

    /** Nothing on standard input, no terminal. */
    static Input none() {
      return new Input(new byte[0], null, new ArrayList<>());
    }

    /** This text on standard input, no terminal. */
    static Input stdin(String text) {
      return new Input(text.getBytes(StandardCharsets.UTF_8), null, new ArrayList<>());
    }

    /** A terminal where the user types this answer to any question. */
    static Input terminal(String answer) {
      return new Input(new byte[0], answer, new ArrayList<>());
    }

    @Override
    public InputStream stdin() {
      return new ByteArrayInputStream(stdinBytes);
    }

    @Override
    public char @Nullable [] prompt(String question) {
      questions.add(question);
      return typed == null ? null : typed.toCharArray();
    }
  }

  static Run run(String... args) {
    return run(Input.none(), args);
  }

  static Run run(ApiKeyCommand.Input input, String... args) {
    CommandLine cl = ApiKeyCommand.commandLine(input);
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
