package dev.intakeauth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.Privilege;
import dev.intakeauth.elasticsearch.ApiKeyManager;
import dev.intakeauth.elasticsearch.ElasticsearchConnection;
import dev.intakeauth.elasticsearch.KeyManagementException;
import dev.intakeauth.elasticsearch.ServerKeyRole;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code apikey}: creates, inspects, verifies and invalidates the API keys of APM agents and intake
 * servers in Elasticsearch. Exit code 0 on success, 1 when the work failed, 2 for a usage error;
 * every error is one line on standard error.
 */
@Command(name = "apikey", mixinStandardHelpOptions = true, version = "apikey (intake-auth) 0.1.0",
    description = "Manage the API keys of APM agents and intake servers in Elasticsearch.",
    subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.Info.class, ApiKeyCommand.ListKeys.class, ApiKeyCommand.Invalidate.class,
        ApiKeyCommand.Verify.class, ApiKeyCommand.CreateServerKey.class, ApiKeyCommand.CreateManagerRole.class})
public final class ApiKeyCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

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
    CommandLine cl = new CommandLine(new ApiKeyCommand());
    cl.setParameterExceptionHandler((ex, args) -> {
      String sub = ex.getCommandLine().getCommandName();
      ex.getCommandLine().getErr().println("Error: " + ex.getMessage() + " (see 'apikey" + ("apikey".equals(sub) ? "" : " " + sub) + " --help')");
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

  @Option(scope = ScopeType.INHERIT, names = {"-p", "--password"}, defaultValue = "${env:ELASTICSEARCH_PASSWORD}", description = "Administrator password (env ELASTICSEARCH_PASSWORD).")
  @Nullable String password;

  @Option(scope = ScopeType.INHERIT, names = "--admin-api-key", defaultValue = "${env:ELASTICSEARCH_API_KEY}",
      description = "Administrator API key, base64(id:api_key) or id:api_key (env ELASTICSEARCH_API_KEY).")
  @Nullable String adminApiKey;

  @Option(scope = ScopeType.INHERIT, names = "--ca-cert", defaultValue = "${env:ELASTICSEARCH_CA_CERT}", description = "PEM file of CA certificates (env ELASTICSEARCH_CA_CERT).")
  @Nullable Path caCert;

  @Option(scope = ScopeType.INHERIT, names = "--ca-fingerprint", defaultValue = "${env:ELASTICSEARCH_CA_FINGERPRINT}",
      description = "Trust a certificate with this SHA-256 fingerprint (env ELASTICSEARCH_CA_FINGERPRINT).")
  @Nullable String caFingerprint;

  ApiKeyManager manager(boolean admin) {
    ElasticsearchConnection.Builder b = ElasticsearchConnection.builder().hosts(urls).socketTimeout(java.time.Duration.ofSeconds(30));
    if (caCert != null) {
      b.caCertificate(caCert);
    }
    if (caFingerprint != null && !caFingerprint.isBlank()) {
      b.trustedFingerprint(caFingerprint);
    }
    if (adminApiKey != null && !adminApiKey.isBlank()) {
      b.apiKey(adminApiKey);
    } else if (username != null && !username.isBlank()) {
      if (password == null) {
        throw new IllegalArgumentException("--username needs --password (or ELASTICSEARCH_PASSWORD)");
      }
      b.basicAuth(username, password);
    } else if (admin) {
      throw new IllegalArgumentException("no administrator credentials: give --username and --password, or --admin-api-key");
    }
    return ApiKeyManager.create(b.build());
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
        out.add(Privilege.of(n.strip()));
      }
      if (ingest) {
        out.add(Privilege.EVENT_WRITE);
      }
      if (agentConfig) {
        out.add(Privilege.AGENT_CONFIG_READ);
      }
      if (sourcemap) {
        out.add(Privilege.SOURCEMAP_WRITE);
      }
      return out;
    }
  }

  /** Which keys: {@code --id} or {@code --name}. */
  static final class KeySelectorOptions {
    @Option(names = "--id", description = "The key id.")
    @Nullable String id;

    @Option(names = "--name", description = "The key name.")
    @Nullable String name;

    ApiKeyManager.KeySelector selector() {
      return new ApiKeyManager.KeySelector(id, name);
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

    void printCreated(ApiKeyManager.CreatedKey key, boolean server) {
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

    void printKeys(List<ApiKeyManager.KeyInfo> keys) {
      if (output.json) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("api_keys");
        for (ApiKeyManager.KeyInfo k : keys) {
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
      for (ApiKeyManager.KeyInfo k : keys) {
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
      try (ApiKeyManager keys = connection.manager(true)) {
        ApiKeyManager.CreatedKey key = keys.createAgentKey(name, privileges.privileges(), expiration);
        printCreated(key, false);
      }
      return 0;
    }
  }

  /** {@code apikey create-server-key}. */
  @Command(name = "create-server-key", mixinStandardHelpOptions = true,
      description = "Create an intake server's own key for its output to Elasticsearch (default: writer, sourcemap and agent-config roles).")
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

    @Override
    public Integer call() {
      List<ServerKeyRole> roles = new ArrayList<>();
      if (writer) {
        roles.add(ServerKeyRole.WRITER);
      }
      if (sourcemap) {
        roles.add(ServerKeyRole.SOURCEMAP);
      }
      if (agentConfig) {
        roles.add(ServerKeyRole.AGENT_CONFIG);
      }
      if (monitoring) {
        roles.add(ServerKeyRole.MONITORING);
      }
      try (ApiKeyManager keys = connection.manager(true)) {
        ApiKeyManager.CreatedKey key = keys.createServerKey(name, roles, expiration);
        printCreated(key, true);
      }
      return 0;
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
      ApiKeyManager.KeySelector selector = which.selector();
      try (ApiKeyManager keys = connection.manager(true)) {
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
      try (ApiKeyManager keys = connection.manager(true)) {
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
      ApiKeyManager.KeySelector selector = which.selector();
      ApiKeyManager.Invalidation r;
      try (ApiKeyManager keys = connection.manager(true)) {
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
    @Option(names = "--credentials", required = true, description = "The credentials, base64(id:api_key).")
    String credentials;

    @Mixin PrivilegeOptions privileges;

    @Override
    public Integer call() {
      AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse("ApiKey " + credentials.strip());
      if (!(parsed instanceof AuthorizationHeader.Present p) || !(p.credential() instanceof ApiKeyCredential credential)) {
        throw new IllegalArgumentException("the credentials are not base64(id:api_key)");
      }
      Map<Privilege, Boolean> answers;
      try (ApiKeyManager keys = connection.manager(false)) {
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
      try (ApiKeyManager keys = connection.manager(true)) {
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
