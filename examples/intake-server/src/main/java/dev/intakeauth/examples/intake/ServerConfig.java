package dev.intakeauth.examples.intake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.SecretTokens;
import dev.intakeauth.elasticsearch.VerificationMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The server's settings, named as APM Server names them ({@code apm-server.auth.secret_token} ...),
 * plus a few of ours under {@code intake-auth.}. Read from a YAML file in nested or dotted form;
 * {@code ${VAR}} and {@code ${VAR:default}} in values are replaced from the environment, and an
 * environment variable named like the setting ({@code APM_SERVER_AUTH_SECRET_TOKEN}) overrides it.
 * Unknown settings and bad values fail with a message that names the setting.
 */
public final class ServerConfig {

  /** Every setting, with its type and default. */
  enum Setting {
    HOST("apm-server.host", Type.STRING, "127.0.0.1:8200"),
    MAX_EVENT_SIZE("apm-server.max_event_size", Type.POSITIVE_INT, "307200"),
    MAX_DECOMPRESSED_SIZE("intake-auth.max_decompressed_size", Type.POSITIVE_INT, "20971520"),
    MAX_LINES("intake-auth.max_lines_per_request", Type.POSITIVE_INT, "100000"),
    /** The most bytes all requests together hold for events begun and not yet ended; past it, a 503. */
    MAX_BUFFERED_LINE_BYTES("intake-auth.max_buffered_line_bytes", Type.POSITIVE_INT, "67108864"),
    MIN_REQUEST_DATA_RATE("intake-auth.min_request_data_rate", Type.POSITIVE_INT, "10"),
    READ_TIMEOUT("apm-server.read_timeout", Type.DURATION, "3600s"),
    IDLE_TIMEOUT("apm-server.idle_timeout", Type.DURATION, "45s"),
    SECRET_TOKEN("apm-server.auth.secret_token", Type.STRING, null),
    /** More tokens accepted at once, with {@link #SECRET_TOKEN} if it is set: one set, for a rotation. */
    SECRET_TOKENS("intake-auth.auth.secret_tokens", Type.LIST, null),
    /** A watched file of tokens, one a line; the one source of tokens when set. */
    SECRET_TOKEN_FILE("intake-auth.auth.secret_token_file", Type.STRING, null),
    API_KEY_ENABLED("apm-server.auth.api_key.enabled", Type.BOOLEAN, "false"),
    API_KEY_LIMIT("apm-server.auth.api_key.limit", Type.POSITIVE_INT, "100"),
    /** One client's share of {@link #API_KEY_LIMIT}; unset, a tenth of it (at least 1). */
    API_KEY_LIMIT_PER_CLIENT("intake-auth.api_key.limit_per_client", Type.POSITIVE_INT, null),
    /** How long an API key's answer is cached; APM Server's is fixed at 60 s. */
    API_KEY_CACHE_LIFETIME("intake-auth.api_key.cache_lifetime", Type.DURATION, "60s"),
    ES_HOSTS("apm-server.auth.api_key.elasticsearch.hosts", Type.LIST, null),
    ES_USERNAME("apm-server.auth.api_key.elasticsearch.username", Type.STRING, null),
    ES_PASSWORD("apm-server.auth.api_key.elasticsearch.password", Type.STRING, null),
    ES_API_KEY("apm-server.auth.api_key.elasticsearch.api_key", Type.STRING, null),
    ES_PROTOCOL("apm-server.auth.api_key.elasticsearch.protocol", Type.STRING, null),
    ES_PATH("apm-server.auth.api_key.elasticsearch.path", Type.STRING, null),
    ES_TIMEOUT("apm-server.auth.api_key.elasticsearch.timeout", Type.DURATION, "5s"),
    ES_CA("apm-server.auth.api_key.elasticsearch.ssl.certificate_authorities", Type.LIST, null),
    ES_FINGERPRINT("apm-server.auth.api_key.elasticsearch.ssl.ca_trusted_fingerprint", Type.STRING, null),
    ES_VERIFICATION_MODE("apm-server.auth.api_key.elasticsearch.ssl.verification_mode", Type.STRING, "full"),
    RUM_ENABLED("apm-server.rum.enabled", Type.BOOLEAN, "false"),
    RUM_ALLOW_ORIGINS("apm-server.rum.allow_origins", Type.LIST, "*"),
    RUM_ALLOW_HEADERS("apm-server.rum.allow_headers", Type.LIST, ""),
    ANONYMOUS_ENABLED("apm-server.auth.anonymous.enabled", Type.BOOLEAN, null),
    ALLOW_AGENT("apm-server.auth.anonymous.allow_agent", Type.LIST, "rum-js,js-base"),
    ALLOW_SERVICE("apm-server.auth.anonymous.allow_service", Type.LIST, ""),
    EVENT_LIMIT("apm-server.auth.anonymous.rate_limit.event_limit", Type.POSITIVE_INT, "300"),
    IP_LIMIT("apm-server.auth.anonymous.rate_limit.ip_limit", Type.POSITIVE_INT, "1000"),
    IPV6_PREFIX("intake-auth.anonymous.ipv6_prefix", Type.POSITIVE_INT, "64"),
    GLOBAL_EVENT_LIMIT("intake-auth.anonymous.global_event_limit", Type.STRING, "0"),
    SSL_ENABLED("apm-server.ssl.enabled", Type.BOOLEAN, null),
    SSL_CERTIFICATE("apm-server.ssl.certificate", Type.STRING, null),
    SSL_KEY("apm-server.ssl.key", Type.STRING, null),
    KEYS_FILE("intake-auth.keys_file", Type.STRING, null),
    /** Whether the keys file and the token file are watched and reloaded on a change. */
    RELOAD_ENABLED("intake-auth.reload.enabled", Type.BOOLEAN, "true"),
    /** How often the watched files are read. */
    RELOAD_PERIOD("intake-auth.reload.period", Type.DURATION, "5s"),
    /** Evict API keys invalidated or expired in Elasticsearch every period, asking with the server's own credential. */
    REVOCATION_ENABLED("intake-auth.revocation.enabled", Type.BOOLEAN, "false"),
    REVOCATION_PERIOD("intake-auth.revocation.period", Type.DURATION, "5s"),
    TRUSTED_PROXIES("intake-auth.trusted_proxies", Type.LIST, ""),
    FORWARDED_HEADER("intake-auth.forwarded_header", Type.STRING, "x-forwarded-for"),
    ALLOW_PLAIN_HTTP_CREDENTIALS("intake-auth.allow_plain_http_credentials", Type.BOOLEAN, "false"),
    /** OTLP/gRPC's port on apm-server.host's address, or off; unset, 4317 (any free port when apm-server.host's is 0). */
    OTLP_GRPC_PORT("intake-auth.otlp.grpc.port", Type.STRING, null),
    /** The monitoring endpoint (metrics and health), on its own listener, named as libbeat names it. */
    MONITORING_ENABLED("http.enabled", Type.BOOLEAN, "true"),
    MONITORING_HOST("http.host", Type.STRING, "localhost"),
    /** Unset, 5066 (any free port when apm-server.host's is 0). */
    MONITORING_PORT("http.port", Type.STRING, null);

    final String key;
    final Type type;
    final @Nullable String defaultValue;

    Setting(String key, Type type, @Nullable String defaultValue) {
      this.key = key;
      this.type = type;
      this.defaultValue = defaultValue;
    }

    /** Whether the value is a secret, never to be shown in a message or log line. */
    boolean secret() {
      return this == SECRET_TOKEN || this == SECRET_TOKENS || this == ES_PASSWORD || this == ES_API_KEY;
    }

    /** {@code apm-server.auth.secret_token} → {@code APM_SERVER_AUTH_SECRET_TOKEN}. */
    String environmentName() {
      return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
  }

  enum Type { STRING, BOOLEAN, POSITIVE_INT, DURATION, LIST }

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?}");
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");

  private final Map<Setting, Object> values;
  /** Where each set value came from: the default, the file, or the environment variable it names. */
  private final Map<Setting, String> origins;
  private final @Nullable Path source;

  private ServerConfig(Map<Setting, Object> values, Map<Setting, String> origins, @Nullable Path source) {
    this.values = values;
    this.origins = origins;
    this.source = source;
  }

  /**
   * Reads a YAML file.
   *
   * @param file the file
   * @param environment the environment, for overrides and {@code ${VAR}}
   * @return the settings
   * @throws ConfigException naming the bad setting
   */
  public static ServerConfig load(Path file, Map<String, String> environment) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read the configuration file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    return parse(text, file, environment);
  }

  /**
   * The settings when no file is given: defaults and environment overrides.
   *
   * @param environment the environment
   * @return the settings
   */
  public static ServerConfig defaults(Map<String, String> environment) {
    return parse("", null, environment);
  }

  static ServerConfig parse(String yaml, @Nullable Path source, Map<String, String> environment) {
    Map<String, JsonNode> flat = new TreeMap<>();
    if (!yaml.isBlank()) {
      JsonNode root;
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
      } catch (JsonProcessingException | RuntimeException e) {
        throw new ConfigException(syntaxError(yaml, e));
      }
      if (root != null && !root.isMissingNode() && !root.isNull()) {
        if (!root.isObject()) {
          throw new ConfigException("the configuration must be a YAML mapping of settings");
        }
        flatten("", root, flat);
      }
    }
    Map<String, Setting> byKey = new LinkedHashMap<>();
    for (Setting s : Setting.values()) {
      byKey.put(s.key, s);
    }
    for (String key : flat.keySet()) {
      if (!byKey.containsKey(key)) {
        String shown = withoutSecretPart(key);
        if (!shown.equals(key)) {
          // A mapping under a secret: its keys may be the secret itself.
          throw new ConfigException(shown + ": expected a single value");
        }
        throw new ConfigException("unknown setting \"" + key + "\"" + suggestion(key, byKey.keySet()));
      }
    }
    Map<Setting, Object> values = new LinkedHashMap<>();
    Map<Setting, String> origins = new LinkedHashMap<>();
    for (Setting s : Setting.values()) {
      String fromEnv = environment.get(s.environmentName());
      Object raw;
      if (fromEnv != null) {
        raw = fromEnv;
        origins.put(s, "environment " + s.environmentName());
      } else if (flat.containsKey(s.key)) {
        raw = flat.get(s.key);
        origins.put(s, "file");
      } else {
        raw = s.defaultValue;
        origins.put(s, "default");
      }
      if (raw == null) {
        continue;
      }
      values.put(s, convert(s, raw, environment));
    }
    ServerConfig config = new ServerConfig(values, origins, source);
    config.check();
    return config;
  }

  /**
   * Where the YAML is broken, without the parser's own message: that quotes the offending line,
   * which may hold a secret such as {@code secret_token}. The setting is named from the keys.
   */
  static String syntaxError(String yaml, Exception e) {
    int line = -1;
    int column = -1;
    int contextLine = -1;
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked) {
        if (marked.getProblemMark() != null) {
          line = marked.getProblemMark().getLine();
          column = marked.getProblemMark().getColumn();
        }
        if (marked.getContextMark() != null) {
          contextLine = marked.getContextMark().getLine();
        }
        break;
      }
    }
    if (line < 0 && e instanceof JsonProcessingException j && j.getLocation() != null && j.getLocation().getLineNr() > 0) {
      line = j.getLocation().getLineNr() - 1;
      column = j.getLocation().getColumnNr() - 1;
    }
    StringBuilder message = new StringBuilder("the configuration is not valid YAML");
    if (line >= 0) {
      message.append(" at line ").append(line + 1);
      if (column >= 0) {
        message.append(", column ").append(column + 1);
      }
    }
    String[] lines = yaml.split("\r?\n|\r", -1);
    String key = keyAt(lines, line);
    if (key == null) {
      key = keyAt(lines, contextLine);
    }
    if (key != null) {
      message.append(", in ").append(withoutSecretPart(key));
    }
    return message.append(" (the line is not shown: it may hold a secret)").toString();
  }

  private static final Pattern KEY_LINE = Pattern.compile("^( *)([A-Za-z0-9_][A-Za-z0-9_.\\-]*) *:(?:\\s|$)");

  /** The dotted setting whose key is on a line, found from the keys of the less indented lines above it. */
  private static @Nullable String keyAt(String[] lines, int index) {
    if (index < 0 || index >= lines.length) {
      return null;
    }
    Matcher m = KEY_LINE.matcher(lines[index]);
    if (!m.find()) {
      return null;
    }
    String key = m.group(2);
    int indent = m.group(1).length();
    for (int i = index - 1; i >= 0 && indent > 0; i--) {
      Matcher parent = KEY_LINE.matcher(lines[i]);
      if (parent.find() && parent.group(1).length() < indent) {
        key = parent.group(2) + "." + key;
        indent = parent.group(1).length();
      }
    }
    return key;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, JsonNode> out) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      if (f.getValue().isObject()) {
        flatten(key, f.getValue(), out);
      } else {
        out.put(key, f.getValue());
      }
    }
  }

  private static Object convert(Setting s, Object raw, Map<String, String> environment) {
    if (s.type == Type.LIST) {
      List<String> items = new ArrayList<>();
      if (raw instanceof JsonNode node && node.isArray()) {
        for (JsonNode item : node) {
          if (!item.isValueNode()) {
            throw new ConfigException(s.key + ": expected a list of strings");
          }
          items.add(expand(s, item.asText(), environment));
        }
      } else {
        String text = raw instanceof JsonNode node ? scalar(s, node) : (String) raw;
        for (String part : expand(s, text, environment).split(",")) {
          if (!part.isBlank()) {
            items.add(part.strip());
          }
        }
      }
      return List.copyOf(items);
    }
    String text = expand(s, raw instanceof JsonNode node ? scalar(s, node) : (String) raw, environment).strip();
    return switch (s.type) {
      case STRING -> text;
      case BOOLEAN -> switch (text.toLowerCase(Locale.ROOT)) {
        case "true" -> Boolean.TRUE;
        case "false" -> Boolean.FALSE;
        default -> throw new ConfigException(s.key + ": expected true or false, got \"" + shown(s, text) + "\"");
      };
      case POSITIVE_INT -> {
        try {
          int n = Integer.parseInt(text);
          if (n <= 0) {
            throw new NumberFormatException();
          }
          yield n;
        } catch (NumberFormatException e) {
          throw new ConfigException(s.key + ": expected a positive whole number, got \"" + shown(s, text) + "\"");
        }
      }
      case DURATION -> {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
          throw new ConfigException(s.key + ": expected a duration such as 500ms, 5s, 1m, got \"" + shown(s, text) + "\"");
        }
        long n;
        try {
          n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          throw new ConfigException(s.key + ": expected a duration such as 500ms, 5s, 1m, got \"" + shown(s, text) + "\"");
        }
        try {
          Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          };
          // Timeouts are given to Jetty and the servlet container in milliseconds.
          d.toMillis();
          yield d;
        } catch (ArithmeticException e) {
          throw new ConfigException(s.key + ": too long, got \"" + shown(s, text) + "\"");
        }
      }
      case LIST -> throw new IllegalStateException();
    };
  }

  private static String scalar(Setting s, JsonNode node) {
    if (!node.isValueNode() || node.isNull()) {
      throw new ConfigException(s.key + ": expected a single value");
    }
    return node.asText();
  }

  private static String expand(Setting s, String text, Map<String, String> environment) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = environment.get(m.group(1));
      if (value == null) {
        value = m.group(2);
      }
      if (value == null) {
        // In a secret, what looks like ${NAME} may be part of the secret itself.
        throw new ConfigException(s.key + ": " + (s.secret() ? "an environment variable it names" : "environment variable " + m.group(1))
            + " is not set and has no default");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A key below a secret setting ({@code secret_token.<anything>}) shown as the secret setting alone. */
  private static String withoutSecretPart(String key) {
    for (Setting s : Setting.values()) {
      if (s.secret() && key.startsWith(s.key + ".")) {
        return s.key;
      }
    }
    return key;
  }

  /** Never shows the value of a secret setting in a message. */
  private static String shown(Setting s, String text) {
    return s.secret() ? "***" : text.length() > 60 ? text.substring(0, 60) + "..." : text;
  }

  private static String suggestion(String key, Iterable<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(3, key.length() / 5) ? " (did you mean \"" + best + "\"?)" : "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private void check() {
    checkElasticsearch();
    String host = string(Setting.HOST);
    int colon = host.lastIndexOf(':');
    if (colon <= 0) {
      throw new ConfigException(Setting.HOST.key + ": expected host:port, such as 127.0.0.1:8200");
    }
    try {
      int port = Integer.parseInt(host.substring(colon + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new ConfigException(Setting.HOST.key + ": the port must be a number from 0 to 65535");
    }
    otlpGrpcPort();
    monitoringPort();
    if (monitoringHost().isEmpty()) {
      throw new ConfigException(Setting.MONITORING_HOST.key + ": expected a host name or address, such as localhost");
    }
    for (Setting timeout : List.of(Setting.READ_TIMEOUT, Setting.IDLE_TIMEOUT, Setting.RELOAD_PERIOD, Setting.API_KEY_CACHE_LIFETIME,
        Setting.REVOCATION_PERIOD)) {
      if (duration(timeout).isZero()) {
        throw new ConfigException(timeout.key + ": must be longer than 0s");
      }
    }
    if (secretToken() != null && secretToken().isEmpty()) {
      throw new ConfigException(Setting.SECRET_TOKEN.key + ": must not be empty (leave it out to turn secret tokens off)");
    }
    checkSecretTokens();
    if (tlsEnabled() && (tlsCertificate() == null || tlsKey() == null)) {
      throw new ConfigException(Setting.SSL_ENABLED.key + ": TLS needs apm-server.ssl.certificate and apm-server.ssl.key");
    }
    if (!apiKeysEnabled() && (values.containsKey(Setting.ES_HOSTS) || values.containsKey(Setting.KEYS_FILE))) {
      throw new ConfigException(Setting.API_KEY_ENABLED.key + ": API keys are configured but not enabled; set it to true");
    }
    if (apiKeysEnabled() && elasticsearchHosts().isEmpty() && keysFile() == null) {
      throw new ConfigException(Setting.API_KEY_ENABLED.key + ": give apm-server.auth.api_key.elasticsearch.hosts or intake-auth.keys_file");
    }
    if (revocationEnabled()) {
      if (!apiKeysEnabled() || elasticsearchHosts().isEmpty()) {
        throw new ConfigException(Setting.REVOCATION_ENABLED.key + ": the revocation feed asks Elasticsearch; it needs API keys from "
            + Setting.ES_HOSTS.key + " (a keys file is reloaded instead: " + Setting.RELOAD_ENABLED.key + ")");
      }
      if (optional(Setting.ES_API_KEY) == null && (optional(Setting.ES_USERNAME) == null || optional(Setting.ES_PASSWORD) == null)) {
        throw new ConfigException(Setting.REVOCATION_ENABLED.key + ": the revocation feed asks with the server's own credential: set "
            + Setting.ES_API_KEY.key + ", or " + Setting.ES_USERNAME.key + " and " + Setting.ES_PASSWORD.key
            + " (cluster privilege read_security on 8.5+, manage_api_key on 7.x)");
      }
    }
    if (anonymousEnabled() && !secretTokensConfigured() && !apiKeysEnabled()) {
      throw new ConfigException(Setting.ANONYMOUS_ENABLED.key + ": anonymous access needs a secret token or API keys (without them every request is let in)");
    }
  }

  /**
   * Runs while the settings are read, before anything logs them: a host URL carrying a user and
   * password is refused here, with a message that repeats neither.
   */
  private void checkElasticsearch() {
    for (String h : elasticsearchHosts()) {
      // Any '@': a password may hold '/' or '#', which would end a parsed URL's user part early.
      if (h.contains("@")) {
        throw new ConfigException(Setting.ES_HOSTS.key + ": a host must not carry a user name or password"
            + " (API keys are checked with each agent's own key)");
      }
    }
    try {
      VerificationMode.parse(string(Setting.ES_VERIFICATION_MODE));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(Setting.ES_VERIFICATION_MODE.key + ": expected full, certificate or none");
    }
  }

  String string(Setting s) {
    return (String) values.get(s);
  }

  @Nullable String optional(Setting s) {
    return (String) values.get(s);
  }

  @SuppressWarnings("unchecked")
  List<String> list(Setting s) {
    return (List<String>) values.getOrDefault(s, List.of());
  }

  int integer(Setting s) {
    return (Integer) values.get(s);
  }

  @Nullable Integer optionalInteger(Setting s) {
    return (Integer) values.get(s);
  }

  boolean bool(Setting s) {
    return Boolean.TRUE.equals(values.get(s));
  }

  /** The host part of {@code apm-server.host}. */
  String bindHost() {
    String host = string(Setting.HOST);
    String h = host.substring(0, host.lastIndexOf(':'));
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }

  int port() {
    String host = string(Setting.HOST);
    return Integer.parseInt(host.substring(host.lastIndexOf(':') + 1));
  }

  /** The port OTLP/gRPC is served on (0: any free one), or null when it is off. */
  @Nullable Integer otlpGrpcPort() {
    String text = optional(Setting.OTLP_GRPC_PORT);
    if (text == null) {
      return port() == 0 ? 0 : 4317;
    }
    // YAML may read a bare off as false.
    if ("off".equalsIgnoreCase(text) || "false".equalsIgnoreCase(text)) {
      return null;
    }
    Integer port = portNumber(text);
    if (port == null) {
      throw new ConfigException(Setting.OTLP_GRPC_PORT.key + ": expected a port from 0 to 65535, or off");
    }
    return port;
  }

  /** A port from 0 to 65535, or null when the text is not one. */
  private static @Nullable Integer portNumber(String text) {
    try {
      int port = Integer.parseInt(text);
      return port < 0 || port > 65535 ? null : port;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Whether the monitoring endpoint is served. */
  boolean monitoringEnabled() {
    return bool(Setting.MONITORING_ENABLED);
  }

  /** The monitoring endpoint's host, without the brackets of an IPv6 address. */
  String monitoringHost() {
    String h = string(Setting.MONITORING_HOST);
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }

  /** The monitoring endpoint's port (0: any free one). */
  int monitoringPort() {
    String text = optional(Setting.MONITORING_PORT);
    if (text == null) {
      return port() == 0 ? 0 : 5066;
    }
    Integer port = portNumber(text);
    if (port == null) {
      throw new ConfigException(Setting.MONITORING_PORT.key + ": expected a port from 0 to 65535, got \"" + shown(Setting.MONITORING_PORT, text) + "\"");
    }
    return port;
  }

  @Nullable String secretToken() {
    return optional(Setting.SECRET_TOKEN);
  }

  /**
   * The static tokens: {@code apm-server.auth.secret_token} and {@code intake-auth.auth.secret_tokens}
   * as one set, in that order, without repeats; empty when neither is set.
   */
  List<String> staticSecretTokens() {
    java.util.LinkedHashSet<String> tokens = new java.util.LinkedHashSet<>();
    if (secretToken() != null) {
      tokens.add(secretToken());
    }
    tokens.addAll(list(Setting.SECRET_TOKENS));
    return List.copyOf(tokens);
  }

  /** The watched token file, or null. */
  @Nullable Path secretTokenFile() {
    String f = optional(Setting.SECRET_TOKEN_FILE);
    return f == null ? null : resolve(f);
  }

  /** Whether any secret token is configured, static or from a file. */
  boolean secretTokensConfigured() {
    return !staticSecretTokens().isEmpty() || secretTokenFile() != null;
  }

  /** Whether the keys file and the token file are watched. */
  boolean reloadEnabled() {
    return bool(Setting.RELOAD_ENABLED);
  }

  /** How often the watched files are read. */
  Duration reloadPeriod() {
    return duration(Setting.RELOAD_PERIOD);
  }

  /** Whether the revocation feed runs. */
  boolean revocationEnabled() {
    return bool(Setting.REVOCATION_ENABLED);
  }

  /** How long an API key's answer is cached. */
  Duration apiKeyCacheLifetime() {
    return duration(Setting.API_KEY_CACHE_LIFETIME);
  }

  /**
   * The static list holds tokens a Bearer value can carry; a token file excludes the static ones,
   * since a token the file no longer lists would otherwise stay valid until a restart.
   */
  private void checkSecretTokens() {
    if (values.containsKey(Setting.SECRET_TOKENS)) {
      List<String> tokens = list(Setting.SECRET_TOKENS);
      if (tokens.isEmpty()) {
        throw new ConfigException(Setting.SECRET_TOKENS.key + ": must not be empty (leave it out to give no extra token)");
      }
      for (int i = 0; i < tokens.size(); i++) {
        String token = tokens.get(i);
        if (token.isEmpty() || token.startsWith("#")) {
          throw new ConfigException(Setting.SECRET_TOKENS.key + ": item " + (i + 1) + " is " + (token.isEmpty() ? "empty" : "a comment (a token cannot start with #)"));
        }
        try {
          SecretTokens.parse(token, Setting.SECRET_TOKENS.key + " item " + (i + 1), AuthorizationHeader.DEFAULT_MAX_LENGTH);
        } catch (IllegalArgumentException e) {
          // The message names the item and the column, never the token.
          throw new ConfigException(e.getMessage().replace(" item " + (i + 1) + ":1:", " item " + (i + 1) + ":"));
        }
      }
    }
    if (optional(Setting.SECRET_TOKEN_FILE) != null) {
      if (optional(Setting.SECRET_TOKEN_FILE).isEmpty()) {
        throw new ConfigException(Setting.SECRET_TOKEN_FILE.key + ": expected a file name");
      }
      if (!staticSecretTokens().isEmpty()) {
        throw new ConfigException(Setting.SECRET_TOKEN_FILE.key + ": give the tokens either in this file or in "
            + Setting.SECRET_TOKEN.key + " / " + Setting.SECRET_TOKENS.key + ", not both: a token the file no longer lists"
            + " would stay valid until a restart");
      }
    }
  }

  boolean apiKeysEnabled() {
    return bool(Setting.API_KEY_ENABLED);
  }

  List<String> elasticsearchHosts() {
    return list(Setting.ES_HOSTS);
  }

  @Nullable Path keysFile() {
    String f = optional(Setting.KEYS_FILE);
    return f == null ? null : resolve(f);
  }

  boolean anonymousEnabled() {
    Object explicit = values.get(Setting.ANONYMOUS_ENABLED);
    // APM Server's default: anonymous access follows RUM when another method is configured
    return explicit != null ? (Boolean) explicit : bool(Setting.RUM_ENABLED) && (secretTokensConfigured() || apiKeysEnabled());
  }

  boolean tlsEnabled() {
    Object explicit = values.get(Setting.SSL_ENABLED);
    return explicit != null ? (Boolean) explicit : values.containsKey(Setting.SSL_CERTIFICATE);
  }

  @Nullable Path tlsCertificate() {
    String f = optional(Setting.SSL_CERTIFICATE);
    return f == null ? null : resolve(f);
  }

  @Nullable Path tlsKey() {
    String f = optional(Setting.SSL_KEY);
    return f == null ? null : resolve(f);
  }

  Duration duration(Setting s) {
    return (Duration) values.get(s);
  }

  VerificationMode elasticsearchVerificationMode() {
    return VerificationMode.parse(string(Setting.ES_VERIFICATION_MODE));
  }

  Duration elasticsearchTimeout() {
    return (Duration) values.get(Setting.ES_TIMEOUT);
  }

  /** Relative paths are relative to the configuration file's directory. */
  Path resolve(String path) {
    Path p = Path.of(path);
    if (p.isAbsolute() || source == null || source.toAbsolutePath().getParent() == null) {
      return p;
    }
    return source.toAbsolutePath().getParent().resolve(p);
  }

  /** The settings in effect, secrets masked, for the start-up log. */
  @Override
  public String toString() {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<Setting, Object> e : values.entrySet()) {
      Setting s = e.getKey();
      lines.add(s.key + "=" + (s.secret() ? "***" : e.getValue()));
    }
    return String.join(", ", lines);
  }

  /**
   * Every setting, one a line, with its value in effect and where it came from; a secret shows as
   * {@code ***} and an unset setting as {@code ~}.
   */
  String describe() {
    StringBuilder out = new StringBuilder();
    out.append("# Settings in effect").append(source == null ? " (defaults and environment)" : " (defaults, " + source + ", environment)")
        .append("; secrets are shown as ***.\n");
    int width = 0;
    for (Setting s : Setting.values()) {
      width = Math.max(width, s.key.length());
    }
    for (Setting s : Setting.values()) {
      Object value = values.get(s);
      String shown;
      if (value == null) {
        shown = "~";
      } else if (s.secret()) {
        shown = "***";
      } else if (value instanceof Duration d) {
        shown = d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() + "s";
      } else if (value instanceof List<?> items) {
        shown = items.stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
      } else {
        shown = value.toString();
      }
      String origin = value == null ? "unset" : origins.getOrDefault(s, "default");
      out.append(s.key).append(':').append(" ".repeat(width + 1 - s.key.length())).append(shown).append("  # ").append(origin).append('\n');
    }
    return out.toString();
  }

  static List<String> knownSettings() {
    return Arrays.stream(Setting.values()).map(s -> s.key).toList();
  }
}
