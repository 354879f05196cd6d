package dev.intakeauth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Privilege;
import dev.intakeauth.elasticsearch.ApiKeyManager;
import dev.intakeauth.elasticsearch.CreatedKey;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.Invalidation;
import dev.intakeauth.elasticsearch.KeyInfo;
import dev.intakeauth.elasticsearch.KeyManagementException;
import dev.intakeauth.elasticsearch.KeySelector;
import dev.intakeauth.elasticsearch.ServerKeyRole;
import dev.intakeauth.elasticsearch.VerificationMode;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code apikey}: creates, inspects, verifies and invalidates the API keys of APM agents and intake
 * servers in Elasticsearch. Exit code 0 on success, 1 when the work failed, 2 for a usage error;
 * every error is one line on standard error, and never repeats a value given on the command line
 * (a mistyped option can put a password where a name was expected). Secrets can come from the
 * environment, from standard input ({@code --password-stdin}, {@code --credentials-stdin}) or from
 * a prompt without echo when a terminal is attached, rather than from the command line.
 */
@Command(name = "apikey", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
    description = "Manage the API keys of APM agents and intake servers in Elasticsearch.",
    subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.Info.class, ApiKeyCommand.ListKeys.class, ApiKeyCommand.Invalidate.class,
        ApiKeyCommand.Verify.class, ApiKeyCommand.CreateServerKey.class, ApiKeyCommand.CreateManagerRole.class})
public final class ApiKeyCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LONG_OPTION = Pattern.compile("--[A-Za-z][A-Za-z0-9-]{0,30}");
  private static final Pattern SHORT_OPTION = Pattern.compile("-[A-Za-z]");
  private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9-]{0,30}");

  /**
   * Where secrets that are not on the command line come from: standard input, or a prompt on the
   * terminal.
   */
  interface Input {
    /** Standard input. */
    InputStream stdin();

    /** Asks for a secret without echoing it; null when no terminal is attached. */
    char @Nullable [] prompt(String question);

    /** The process's standard input and terminal. */
    static Input system() {
      return new Input() {
        @Override
        public InputStream stdin() {
          return System.in;
        }

        @Override
        public char @Nullable [] prompt(String question) {
          Console console = terminal();
          return console == null ? null : console.readPassword("%s", question);
        }
      };
    }
  }

  @Spec CommandSpec spec;

  private Input input = Input.system();

  /** Made by picocli. */
  public ApiKeyCommand() {}

  /**
   * Runs the tool and exits with its code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The tool, ready to execute, with its error handling (one line on stderr, no stack traces).
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    return commandLine(Input.system());
  }

  /** The tool, reading secrets from {@code input} rather than the process's standard input and terminal. */
  static CommandLine commandLine(Input input) {
    ApiKeyCommand tool = new ApiKeyCommand();
    tool.input = input;
    CommandLine cl = new CommandLine(tool);
    cl.setParameterExceptionHandler((ex, args) -> {
      String sub = ex.getCommandLine().getCommandName();
      ex.getCommandLine().getErr().println("Error: " + usageMessage(ex, args) + " (see 'apikey" + ("apikey".equals(sub) ? "" : " " + sub) + " --help')");
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      String message = ex instanceof KeyManagementException || ex instanceof IllegalArgumentException
          ? ex.getMessage()
          : "unexpected failure (" + ex.getClass().getSimpleName() + ")";
      commandLine.getErr().println("Error: " + message);
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  // Where Elasticsearch is and who is asking: options of the tool that every subcommand takes too.

  @Option(scope = ScopeType.INHERIT, names = "--url", split = ",", paramLabel = "URL", defaultValue = "${env:ELASTICSEARCH_URL:-http://localhost:9200}",
      description = "Elasticsearch URL(s), comma-separated (env ELASTICSEARCH_URL; default ${DEFAULT-VALUE}).")
  List<String> urls = new ArrayList<>();

  @Option(scope = ScopeType.INHERIT, names = {"-u", "--username"}, defaultValue = "${env:ELASTICSEARCH_USERNAME}", description = "Administrator user (env ELASTICSEARCH_USERNAME).")
  @Nullable String username;

  @Option(scope = ScopeType.INHERIT, names = {"-p", "--password"}, defaultValue = "${env:ELASTICSEARCH_PASSWORD}",
      description = "Administrator password (env ELASTICSEARCH_PASSWORD). Without it, --password-stdin, or a prompt on a terminal.")
  @Nullable String password;

  @Option(scope = ScopeType.INHERIT, names = "--password-stdin", description = "Read the administrator password from the first line of standard input.")
  boolean passwordStdin;

  @Option(scope = ScopeType.INHERIT, names = "--admin-api-key", defaultValue = "${env:ELASTICSEARCH_API_KEY}",
      description = "Administrator API key, base64(id:api_key) or id:api_key (env ELASTICSEARCH_API_KEY).")
  @Nullable String adminApiKey;

  @Option(scope = ScopeType.INHERIT, names = "--ca-cert", defaultValue = "${env:ELASTICSEARCH_CA_CERT}", description = "PEM file of CA certificates (env ELASTICSEARCH_CA_CERT).")
  @Nullable Path caCert;

  @Option(scope = ScopeType.INHERIT, names = "--ca-fingerprint", defaultValue = "${env:ELASTICSEARCH_CA_FINGERPRINT}",
      description = "Trust the CA certificate with this SHA-256 fingerprint when the server presents it in its chain"
          + " (env ELASTICSEARCH_CA_FINGERPRINT).")
  @Nullable String caFingerprint;

  @Option(scope = ScopeType.INHERIT, names = "--verification-mode", paramLabel = "MODE", converter = VerificationModeConverter.class,
      defaultValue = "${env:ELASTICSEARCH_SSL_VERIFICATION_MODE:-full}",
      description = "TLS checks: full (certificate chain and host name), certificate (chain only) or none (nothing: tests only)"
          + " (env ELASTICSEARCH_SSL_VERIFICATION_MODE; default ${DEFAULT-VALUE}).")
  VerificationMode verificationMode = VerificationMode.FULL;

  /** full, certificate, none, as Elastic names them. */
  static final class VerificationModeConverter implements CommandLine.ITypeConverter<VerificationMode> {
    @Override
    public VerificationMode convert(String value) {
      return VerificationMode.parse(value);
    }
  }

  ApiKeyManager manager(CommandSpec sub, boolean admin) {
    if (passwordStdin && given(sub, "--password")) {
      throw usage(sub, "give --password or --password-stdin, not both");
    }
    ElasticsearchConnection.Builder b = ElasticsearchConnection.builder().hosts(urls).socketTimeout(java.time.Duration.ofSeconds(30))
        .verificationMode(verificationMode);
    if (caCert != null) {
      b.caCertificate(caCert);
    }
    if (caFingerprint != null && !caFingerprint.isBlank()) {
      b.trustedFingerprint(caFingerprint);
    }
    if (adminApiKey != null && !adminApiKey.isBlank()) {
      b.apiKey(adminApiKey);
    } else if (username != null && !username.isBlank()) {
      b.basicAuth(username, password(sub));
    } else if (admin) {
      throw new IllegalArgumentException("no administrator credentials: give --username and --password, or --admin-api-key");
    }
    if (verificationMode == VerificationMode.NONE) {
      // The library logs this too, but the tool's own logging is silent.
      sub.commandLine().getErr().println("Warning: Elasticsearch's TLS certificate and host name are not checked (verification mode none);"
          + " any server in between receives the credentials. Use it for tests only.");
    }
    return ApiKeyManager.create(b.build());
  }

  /** The password: standard input when asked, else the option or environment, else a prompt on the terminal. */
  private String password(CommandSpec sub) {
    if (passwordStdin) {
      return stdinLine(sub, "--password-stdin", "password");
    }
    if (password != null) {
      return password;
    }
    char[] typed = input.prompt("Password for " + username + ": ");
    if (typed == null) {
      throw usage(sub, "--username needs --password, --password-stdin or ELASTICSEARCH_PASSWORD (no terminal to ask on)");
    }
    return new String(typed);
  }

  /** One line of standard input, without its line end; a secret, so never part of a message. */
  String stdinLine(CommandSpec sub, String option, String what) {
    if (passwordStdin && !"--password-stdin".equals(option)) {
      throw usage(sub, "--password-stdin and " + option + " cannot both read standard input");
    }
    String line;
    try {
      line = firstLine(input.stdin(), option);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(option + ": the " + what + " on standard input is not UTF-8 text");
    } catch (IOException e) {
      throw new IllegalArgumentException(option + ": cannot read standard input (" + e.getClass().getSimpleName() + ")");
    }
    if (line == null || line.isEmpty()) {
      throw new IllegalArgumentException(option + ": no " + what + " on standard input");
    }
    return line;
  }

  /** The longest secret read from standard input: far above any password or key, far below the heap. */
  static final int MAX_SECRET_BYTES = 64 * 1024;

  /**
   * The bytes up to the first line end (LF or CRLF) or the end of the stream, strictly decoded; at most
   * {@link #MAX_SECRET_BYTES} are read, so endless input without a line end is refused rather than held.
   */
  private static @Nullable String firstLine(InputStream stdin, String option) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = stdin.read()) >= 0 && b != '\n') {
      if (bytes.size() == MAX_SECRET_BYTES) {
        throw new IllegalArgumentException(option + ": the first line of standard input is longer than " + MAX_SECRET_BYTES + " bytes");
      }
      bytes.write(b);
    }
    if (b < 0 && bytes.size() == 0) {
      return null;
    }
    byte[] line = bytes.toByteArray();
    int length = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
    return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(line, 0, length)).toString();
  }

  /** Asks on the terminal; null when there is none. */
  char @Nullable [] prompt(String question) {
    return input.prompt(question);
  }

  /** Whether an option was given on the command line (not taken from the environment), before or after the subcommand. */
  private boolean given(CommandSpec sub, String option) {
    return matched(sub.commandLine(), option) || matched(spec.commandLine(), option);
  }

  private static boolean matched(CommandLine cl, String option) {
    CommandLine.ParseResult r = cl.getParseResult();
    return r != null && r.hasMatchedOption(option);
  }

  /** A usage error (exit code 2) whose message is ours alone. */
  static ParameterException usage(CommandSpec sub, String message) {
    return new UsageError(sub.commandLine(), message);
  }

  /** A usage error raised by the tool itself, with a message that holds no value from the command line. */
  static final class UsageError extends ParameterException {
    private static final long serialVersionUID = 1L;

    UsageError(CommandLine cl, String message) {
      super(cl, message);
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

  /** Adds what a flag stands for when the flag is given. */
  static <T> void addIf(List<T> out, boolean flag, T value) {
    if (flag) {
      out.add(value);
    }
  }

  private static String name(ArgSpec a) {
    return a instanceof OptionSpec o ? "'" + o.longestName() + "'" : "'" + a.paramLabel() + "'";
  }

  /** The terminal, when one is attached to both standard input and output. */
  static @Nullable Console terminal() {
    Console console = System.console();
    if (console == null) {
      return null;
    }
    try {
      // From Java 22 a console may stand for redirected streams; isTerminal() tells them apart.
      return Boolean.TRUE.equals(Console.class.getMethod("isTerminal").invoke(console)) ? console : null;
    } catch (NoSuchMethodException e) {
      return console;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** The APM privilege flags. */
  static final class PrivilegeOptions {
    @Option(names = "--ingest", description = "The event:write privilege.")
    boolean ingest;

    @Option(names = "--agent-config", description = "The config_agent:read privilege.")
    boolean agentConfig;

    @Option(names = "--sourcemap", description = "The sourcemap:write privilege.")
    boolean sourcemap;

    @Option(names = "--privilege", split = ",", paramLabel = "NAME", description = "A privilege by its name, such as event:write (repeatable, or comma-separated).")
    List<String> named = new ArrayList<>();

    List<Privilege> privileges() {
      List<Privilege> out = new ArrayList<>();
      for (String n : named) {
        if (n.isBlank()) {
          throw new IllegalArgumentException("--privilege needs a privilege name, such as event:write");
        }
        try {
          out.add(Privilege.of(n.strip()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--privilege: not a privilege name, such as event:write");
        }
      }
      addIf(out, ingest, Privilege.EVENT_WRITE);
      addIf(out, agentConfig, Privilege.AGENT_CONFIG_READ);
      addIf(out, sourcemap, Privilege.SOURCEMAP_WRITE);
      return out;
    }
  }

  /** Which keys: {@code --id} or {@code --name}. */
  static final class KeySelectorOptions {
    @Option(names = "--id", description = "The key id.")
    @Nullable String id;

    @Option(names = "--name", description = "The key name.")
    @Nullable String name;

    KeySelector selector() {
      return new KeySelector(id, name);
    }
  }

  /** Output options. */
  static final class OutputOptions {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;
  }

  /** Shared by the subcommands. */
  abstract static class Sub implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand ApiKeyCommand connection;
    @Mixin OutputOptions output;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    void printJson(ObjectNode node) {
      out().println(node.toPrettyString());
      out().flush();
    }

    void line(String label, String value) {
      line(label, value, 16);
    }

    void line(String label, String value, int width) {
      String prefix = label + " ";
      out().println(prefix + ".".repeat(Math.max(3, width - prefix.length())) + " " + value);
    }

    static String instant(@Nullable Instant i) {
      return i == null ? "never" : i.toString();
    }

    void printCreated(CreatedKey key, boolean server) {
      if (output.json) {
        ObjectNode n = JSON.createObjectNode().put("name", key.name()).put("id", key.id());
        n.put("expiration", key.expiration() == null ? null : key.expiration().toString());
        n.put("api_key", key.apiKey()).put("credentials", key.encoded());
        if (server) {
          n.put("beats_api_key", key.beatsFormat());
        }
        printJson(n);
        return;
      }
      line("Name", key.name());
      line("Expiration", instant(key.expiration()));
      line("Id", key.id());
      line("API Key", key.apiKey() + " (won't be shown again)");
      line("Credentials", key.encoded() + " (won't be shown again)");
      if (server) {
        line("Beats format", key.beatsFormat() + " (won't be shown again)");
        out().println();
        out().println("Use the Beats format as output.elasticsearch.api_key of the intake server.");
      } else {
        out().println();
        out().println("Agents send it as the HTTP header: Authorization: ApiKey " + key.encoded());
      }
      out().flush();
    }

    void printKeys(List<KeyInfo> keys) {
      if (output.json) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("api_keys");
        for (KeyInfo k : keys) {
          ObjectNode n = list.addObject().put("id", k.id()).put("name", k.name()).put("username", k.username());
          n.put("creation", k.creation() == null ? null : k.creation().toString());
          n.put("expiration", k.expiration() == null ? null : k.expiration().toString());
          n.put("invalidated", k.invalidated()).put("valid", k.validAt(Instant.now()));
        }
        printJson(root);
        return;
      }
      if (keys.isEmpty()) {
        out().println("No API keys found.");
      }
      boolean first = true;
      for (KeyInfo k : keys) {
        if (!first) {
          out().println();
        }
        first = false;
        line("Name", k.name());
        line("Id", k.id());
        line("Username", k.username() == null ? "-" : k.username());
        line("Created", instant(k.creation()));
        line("Expiration", instant(k.expiration()));
        line("Valid", k.validAt(Instant.now()) ? "Yes" : k.invalidated() ? "No (invalidated)" : "No (expired)");
      }
      out().flush();
    }
  }

  /** {@code apikey create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an agent API key. Without privilege flags the key gets all of them.")
  static final class Create extends Sub {
    @Option(names = "--name", required = true, description = "The key's name.")
    String name;

    @Option(names = "--expiration", description = "Lifetime such as 1d, 12h, 30m (default: never expires).")
    @Nullable String expiration;

    @Mixin PrivilegeOptions privileges;

    @Override
    public Integer call() {
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        CreatedKey key = keys.createAgentKey(name, privileges.privileges(), expiration);
        printCreated(key, false);
      }
      return 0;
    }
  }

  /** {@code apikey create-server-key}. */
  @Command(name = "create-server-key", mixinStandardHelpOptions = true,
      description = "Create an intake server's own key for its output to Elasticsearch (default: writer, sourcemap and agent-config"
          + " roles) or for its revocation feed (--revocation-feed).")
  static final class CreateServerKey extends Sub {
    @Option(names = "--name", required = true, description = "The key's name.")
    String name;

    @Option(names = "--expiration", description = "Lifetime such as 30d (default: never expires).")
    @Nullable String expiration;

    @Option(names = "--writer", description = "Role apm_writer: write events.")
    boolean writer;

    @Option(names = "--sourcemap", description = "Role apm_sourcemap: read source maps.")
    boolean sourcemap;

    @Option(names = "--agent-config", description = "Role apm_agentcfg: read agent configuration.")
    boolean agentConfig;

    @Option(names = "--monitoring", description = "Role apm_monitoring: publish monitoring data.")
    boolean monitoring;

    @Option(names = "--revocation-feed", arity = "0..1", fallbackValue = "read_security", paramLabel = "PRIVILEGE",
        description = "Role apm_revocation_feed: see every user's API keys, so that the intake server's revocation feed evicts"
            + " invalidated and expired keys within seconds. PRIVILEGE is read_security (the default and the least, Elasticsearch"
            + " 8.x; read-only) or manage_api_key (Elasticsearch 7.17, which has no read_security; it can also create and"
            + " invalidate any user's keys).")
    @Nullable String revocationFeed;

    @Override
    public Integer call() {
      List<ServerKeyRole> roles = new ArrayList<>();
      addIf(roles, writer, ServerKeyRole.WRITER);
      addIf(roles, sourcemap, ServerKeyRole.SOURCEMAP);
      addIf(roles, agentConfig, ServerKeyRole.AGENT_CONFIG);
      addIf(roles, monitoring, ServerKeyRole.MONITORING);
      ServerKeyRole feed = feedRole();
      if (feed != null) {
        // Alone, it makes a key for the feed only, which is the least privilege.
        roles.add(feed);
      }
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        CreatedKey key = keys.createServerKey(name, roles, expiration);
        printCreated(key, true);
        if (feed != null && !output.json) {
          out().println("Use it as the revocation feed's credential: it can read every user's API keys (cluster privilege "
              + revocationFeed + ").");
          out().flush();
        }
      }
      return 0;
    }

    private @Nullable ServerKeyRole feedRole() {
      if (revocationFeed == null) {
        return null;
      }
      return switch (revocationFeed) {
        case "read_security" -> ServerKeyRole.REVOCATION_FEED;
        case "manage_api_key" -> ServerKeyRole.REVOCATION_FEED_MANAGE_API_KEY;
        default -> throw usage(spec, "--revocation-feed takes read_security (Elasticsearch 8.x) or manage_api_key (7.17)");
      };
    }
  }

  /** {@code apikey info}. */
  @Command(name = "info", mixinStandardHelpOptions = true, description = "Show API keys by id or name.")
  static final class Info extends Sub {
    @Mixin KeySelectorOptions which;

    @Option(names = "--valid-only", description = "Only keys that are neither invalidated nor expired.")
    boolean validOnly;

    @Override
    public Integer call() {
      KeySelector selector = which.selector();
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        printKeys(keys.info(selector, validOnly));
      }
      return 0;
    }
  }

  /** {@code apikey list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the agent keys (keys with metadata application=apm).")
  static final class ListKeys extends Sub {
    @Option(names = "--valid-only", description = "Only keys that are neither invalidated nor expired.")
    boolean validOnly;

    @Override
    public Integer call() {
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        printKeys(keys.agentKeys(validOnly));
      }
      return 0;
    }
  }

  /** {@code apikey invalidate}. */
  @Command(name = "invalidate", mixinStandardHelpOptions = true, description = "Invalidate API keys by id or name.")
  static final class Invalidate extends Sub {
    @Mixin KeySelectorOptions which;

    @Override
    public Integer call() {
      KeySelector selector = which.selector();
      Invalidation r;
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        r = keys.invalidate(selector);
      }
      if (output.json) {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode now = n.putArray("invalidated_api_keys");
        r.invalidated().forEach(now::add);
        ArrayNode before = n.putArray("previously_invalidated_api_keys");
        r.previouslyInvalidated().forEach(before::add);
        n.put("error_count", r.errorCount());
        printJson(n);
      } else {
        line("Invalidated keys", r.invalidated().isEmpty() ? "none" : String.join(", ", r.invalidated()), 20);
        if (!r.previouslyInvalidated().isEmpty()) {
          line("Already invalid", String.join(", ", r.previouslyInvalidated()), 20);
        }
        line("Error count", Integer.toString(r.errorCount()), 20);
        out().flush();
      }
      return r.errorCount() == 0 ? 0 : 1;
    }
  }

  /** {@code apikey verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Check whether credentials have privileges (all of them without privilege flags). Needs no administrator.")
  static final class Verify extends Sub {
    @Option(names = "--credentials", description = "The credentials, base64(id:api_key). Without it, --credentials-stdin, or a prompt on a terminal.")
    @Nullable String credentials;

    @Option(names = "--credentials-stdin", description = "Read the credentials from the first line of standard input.")
    boolean credentialsStdin;

    @Mixin PrivilegeOptions privileges;

    @Override
    public Integer call() {
      String given = credentials().strip();
      ApiKeyCredential credential;
      try {
        credential = ApiKeyCredential.parse(given);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the credentials are not base64(id:api_key)");
      }
      Map<Privilege, Boolean> answers;
      try (ApiKeyManager keys = connection.manager(spec, false)) {
        answers = keys.verify(credential, privileges.privileges());
      }
      if (output.json) {
        ObjectNode n = JSON.createObjectNode();
        answers.forEach((k, v) -> n.put(k.name(), v));
        printJson(n);
      } else {
        int width = 0;
        for (Privilege asked : answers.keySet()) {
          width = Math.max(width, label(asked).length());
        }
        for (Map.Entry<Privilege, Boolean> a : answers.entrySet()) {
          out().println(label(a.getKey()) + " ".repeat(width - label(a.getKey()).length() + 2) + (a.getValue() ? "Yes" : "No"));
        }
        out().flush();
      }
      return 0;
    }

    private String credentials() {
      if (credentialsStdin) {
        if (credentials != null) {
          throw usage(spec, "give --credentials or --credentials-stdin, not both");
        }
        return connection.stdinLine(spec, "--credentials-stdin", "credentials");
      }
      if (credentials != null) {
        return credentials;
      }
      char[] typed = connection.prompt("API key credentials, base64(id:api_key): ");
      if (typed == null) {
        throw usage(spec, "missing --credentials (or --credentials-stdin; no terminal to ask on)");
      }
      return new String(typed);
    }
  }

  private static String label(Privilege p) {
    return "Authorized for privilege \"" + p.name() + "\"...:";
  }

  /** {@code apikey create-manager-role}. */
  @Command(name = "create-manager-role", mixinStandardHelpOptions = true,
      description = "Create the role for users who create agent keys: manage_own_api_key, the APM privileges and Kibana's APM feature.")
  static final class CreateManagerRole extends Sub {
    @Option(names = "--role-name", defaultValue = "apm_agent_key_role", description = "The role's name (default ${DEFAULT-VALUE}).")
    String roleName;

    @Option(names = "--kibana-space", defaultValue = "default", description = "Kibana space for the APM feature privilege (default ${DEFAULT-VALUE}).")
    String kibanaSpace;

    @Option(names = "--no-kibana", description = "Leave Kibana's privilege out.")
    boolean noKibana;

    @Override
    public Integer call() {
      boolean created;
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        created = keys.createManagerRole(roleName, noKibana ? null : kibanaSpace);
      }
      if (output.json) {
        printJson(JSON.createObjectNode().put("role", roleName).put("created", created));
      } else {
        line("Role", roleName);
        line("Status", created ? "created" : "updated");
        out().flush();
      }
      return 0;
    }
  }
}
