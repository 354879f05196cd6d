package dev.intakeauth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.Privilege;
import dev.intakeauth.elasticsearch.ApiKeyManager;
import dev.intakeauth.elasticsearch.CreatedKey;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.Invalidation;
import dev.intakeauth.elasticsearch.KeyInfo;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code apikey}: creates, inspects, verifies and invalidates the API keys of APM agents and intake
 * servers in Elasticsearch. Exit code 0 on success, 1 when the work failed, 2 for a usage error
 * (anything wrong with the command line, its settings or the secrets it reads, found before a request
 * is sent); every error is one line on standard error ({@code {"error":"..."}} with {@code --json}),
 * and never repeats a value given on the command line (a mistyped option can put a password where a
 * name was expected). Secrets can come from the
 * environment, from standard input ({@code --password-stdin}, {@code --credentials-stdin}) or from
 * a prompt without echo when a terminal is attached, rather than from the command line.
 */
@Command(name = "apikey", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
    description = "Manage the API keys of APM agents and intake servers in Elasticsearch.",
    subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.Info.class, ApiKeyCommand.ListKeys.class, ApiKeyCommand.Invalidate.class,
        ApiKeyCommand.Verify.class, ApiKeyCommand.CreateServerKey.class, ApiKeyCommand.CreateManagerRole.class})
public final class ApiKeyCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Elasticsearch's duration syntax as the key manager accepts it, checked here so that a bad one is a usage error. */
  private static final Pattern EXPIRATION = Pattern.compile("[1-9][0-9]{0,8}(ms|s|m|h|d)");
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
    Errors.handle(cl);
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

  /**
   * The key manager for the connection settings. Settings that cannot make a connection (no
   * credentials, a bad URL, an unusable CA file or fingerprint) are usage errors.
   */
  ApiKeyManager manager(CommandSpec sub, boolean admin) {
    if (passwordStdin && given(sub, "--password")) {
      throw usage(sub, "give --password or --password-stdin, not both");
    }
    boolean byKey = adminApiKey != null && !adminApiKey.isBlank();
    boolean byUser = !byKey && username != null && !username.isBlank();
    if (admin && !byKey && !byUser) {
      throw usage(sub, "no administrator credentials: give --username and --password, or --admin-api-key");
    }
    // Asked before the settings are checked, outside the try: reading it may fail without being a usage error.
    String secret = byUser ? password(sub) : null;
    ElasticsearchConnection es;
    try {
      ElasticsearchConnection.Builder b = ElasticsearchConnection.builder().hosts(urls).socketTimeout(java.time.Duration.ofSeconds(30))
          .verificationMode(verificationMode);
      if (caCert != null) {
        b.caCertificate(caCert);
      }
      if (caFingerprint != null && !caFingerprint.isBlank()) {
        b.trustedFingerprint(caFingerprint);
      }
      if (byKey) {
        b.apiKey(adminApiKey);
      } else if (byUser) {
        b.basicAuth(username, secret);
      }
      es = b.build();
    } catch (IllegalArgumentException e) {
      // Settings that cannot make a connection; the library's messages name settings, never secrets.
      throw usage(sub, e.getMessage());
    }
    if (verificationMode == VerificationMode.NONE) {
      // The library logs this too, but the tool's own logging is silent.
      String warning = "Elasticsearch's TLS certificate and host name are not checked (verification mode none);"
          + " any server in between receives the credentials. Use it for tests only.";
      sub.commandLine().getErr().println(Errors.jsonAsked(sub.commandLine()) ? Errors.jsonLine("warning", warning) : "Warning: " + warning);
    }
    return ApiKeyManager.create(es);
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
      throw usage(sub, option + ": the " + what + " on standard input is not UTF-8 text");
    } catch (TooLong e) {
      throw usage(sub, e.getMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException(option + ": cannot read standard input (" + e.getClass().getSimpleName() + ")");
    }
    if (line == null || line.isEmpty()) {
      throw usage(sub, option + ": no " + what + " on standard input");
    }
    return line;
  }

  /** A first line of standard input past {@link #MAX_SECRET_BYTES}: bad input rather than a failure to read it. */
  private static final class TooLong extends IOException {
    private static final long serialVersionUID = 1L;

    TooLong(String message) {
      super(message);
    }
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
        throw new TooLong(option + ": the first line of standard input is longer than " + MAX_SECRET_BYTES + " bytes");
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
    return new Errors.UsageError(sub.commandLine(), message);
  }

  /** Adds what a flag stands for when the flag is given. */
  static <T> void addIf(List<T> out, boolean flag, T value) {
    if (flag) {
      out.add(value);
    }
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

    /** The privileges asked for; a name that is not one of the APM privileges is a usage error. */
    List<Privilege> privileges(CommandSpec spec) {
      List<Privilege> out = new ArrayList<>();
      for (String n : named) {
        if (n.isBlank()) {
          throw usage(spec, "--privilege needs a privilege name, such as event:write");
        }
        Privilege p;
        try {
          p = Privilege.of(n.strip());
        } catch (IllegalArgumentException e) {
          throw usage(spec, "--privilege: not a privilege name, such as event:write");
        }
        if (!ApplicationPrivileges.APM.contains(p)) {
          throw usage(spec, "unknown privilege; known: " + String.join(", ", ApplicationPrivileges.APM.privileges().stream().map(Privilege::name).toList()));
        }
        out.add(p);
      }
      addIf(out, ingest, Privilege.EVENT_WRITE);
      addIf(out, agentConfig, Privilege.AGENT_CONFIG_READ);
      addIf(out, sourcemap, Privilege.SOURCEMAP_WRITE);
      return out;
    }
  }

  /** Which keys: {@code --id} or {@code --name}; as with {@code apm-server apikey}, the id wins when both are given. */
  static final class KeySelectorOptions {
    @Option(names = "--id", description = "The key id. Wins over --name when both are given.")
    @Nullable String id;

    @Option(names = "--name", description = "The key name (several keys may have it).")
    @Nullable String name;

    KeySelector selector(CommandSpec spec) {
      if (id != null && !id.isBlank()) {
        return KeySelector.byId(id);
      }
      if (name != null && !name.isBlank()) {
        return KeySelector.byName(name);
      }
      throw usage(spec, "give --id or --name");
    }
  }

  /** A lifetime Elasticsearch accepts, or a usage error before anything is sent. */
  static void checkExpiration(CommandSpec spec, @Nullable String expiration) {
    if (expiration != null && !EXPIRATION.matcher(expiration).matches()) {
      throw usage(spec, "bad expiration: expected a number and a unit, such as 1d, 12h, 30m, 45s");
    }
  }

  /** A name that is not blank, or a usage error. */
  static void checkName(CommandSpec spec, String option, @Nullable String name) {
    if (name == null || name.isBlank()) {
      throw usage(spec, option + " must not be blank");
    }
  }

  /** Output options. */
  static final class OutputOptions {
    @Option(names = "--json", description = "Print JSON, errors too: {\"error\": \"...\"} on standard error.")
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
      // apm-server's fields, names and order; times are ISO-8601 instants rather than relative words.
      Instant now = Instant.now();
      for (KeyInfo k : keys) {
        line("Username", k.username() == null ? "-" : k.username());
        line("Api Key Name", k.name());
        line("Id", k.id());
        line("Creation", k.creation() == null ? "unknown" : k.creation().toString());
        line("Invalidated", Boolean.toString(k.invalidated()));
        if (!k.invalidated()) {
          Instant expiration = k.expiration();
          line("Expiration", expiration == null ? "never" : expiration.isAfter(now) ? expiration.toString() : "expired (" + expiration + ")");
        }
        out().println();
      }
      out().println(keys.size() + " API Keys found");
      out().flush();
    }
  }

  /** {@code apikey create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an agent API key. Without privilege flags the key gets all of them.")
  static final class Create extends Sub {
    @Option(names = "--name", defaultValue = "apm-key", description = "The key's name (default ${DEFAULT-VALUE}, as apm-server names it).")
    String name = "apm-key";

    @Option(names = "--expiration", description = "Lifetime such as 1d, 12h, 30m (default: never expires).")
    @Nullable String expiration;

    @Mixin PrivilegeOptions privileges;

    @Override
    public Integer call() {
      checkName(spec, "--name", name);
      checkExpiration(spec, expiration);
      List<Privilege> asked = privileges.privileges(spec);
      try (ApiKeyManager keys = connection.manager(spec, true)) {
        CreatedKey key = keys.createAgentKey(name, asked, expiration);
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
      checkName(spec, "--name", name);
      checkExpiration(spec, expiration);
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
  @Command(name = "info", mixinStandardHelpOptions = true, description = "Show API keys by id or name (the id wins when both are given), in apm-server's layout.")
  static final class Info extends Sub {
    @Mixin KeySelectorOptions which;

    @Option(names = "--valid-only", description = "Only keys that are neither invalidated nor expired.")
    boolean validOnly;

    @Override
    public Integer call() {
      KeySelector selector = which.selector(spec);
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
  @Command(name = "invalidate", mixinStandardHelpOptions = true, description = "Invalidate API keys by id or name (the id wins when both are given).")
  static final class Invalidate extends Sub {
    @Mixin KeySelectorOptions which;

    @Override
    public Integer call() {
      KeySelector selector = which.selector(spec);
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
      List<Privilege> wanted = privileges.privileges(spec);
      String given = credentials().strip();
      ApiKeyCredential credential;
      try {
        credential = ApiKeyCredential.parse(given);
      } catch (IllegalArgumentException e) {
        throw usage(spec, "the credentials are not base64(id:api_key)");
      }
      Map<Privilege, Boolean> answers;
      try (ApiKeyManager keys = connection.manager(spec, false)) {
        answers = keys.verify(credential, wanted);
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
      checkName(spec, "--role-name", roleName);
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
