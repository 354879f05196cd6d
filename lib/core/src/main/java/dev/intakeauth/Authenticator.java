package dev.intakeauth;

import dev.intakeauth.internal.ConstantTime;
import dev.intakeauth.internal.Require;
import dev.intakeauth.internal.TokenScratch;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the {@code Authorization} header of a request into one {@link AuthResult}. Built once per
 * server; immutable and thread-safe.
 *
 * <p>Modes: with no secret token and no API keys, every request is let in with every privilege
 * (method {@link AuthMethod#NONE}, logged once as a warning). A secret token lets a matching
 * {@code Bearer} in with every privilege; API keys get exactly the privileges their backend reports.
 * Both may be on at once. A request with no credential at all is a 401; whether a route lets it in
 * anonymously is decided by {@code dev.intakeauth.access.AccessControl}.
 *
 * <pre>{@code
 * Authenticator auth = Authenticator.builder()
 *     .secretToken(System.getenv("SECRET_TOKEN"))
 *     .apiKeys(CachingPrivilegeChecker.builder(backend).build())
 *     .build();
 *
 * AuthResult result = auth.authenticate(headerValues).authorize(Privilege.EVENT_WRITE);
 * }</pre>
 */
public final class Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
  private static final AuthResult.Unauthorized INVALID_CREDENTIALS = failed(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS);
  private static final AuthResult.Unauthorized METHOD_DISABLED = failed(AuthResult.Unauthorized.Reason.METHOD_DISABLED);
  private static final AuthResult.Unauthorized MISSING =
      new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.MISSING, AuthorizationHeader.MISSING_MESSAGE);

  private final char @Nullable [] secretToken;
  private final @Nullable PrivilegeChecker apiKeys;
  private final ApplicationPrivileges privileges;
  private final int maxCredentialLength;
  private final AuthResult.Authenticated unrestricted;
  /** The answers to a secret token, picked by index: a wrong one, then the right one. */
  private final AuthResult[] secretTokenAnswers;

  private Authenticator(Builder b) {
    this.secretToken = b.secretToken == null ? null : b.secretToken.toCharArray();
    this.apiKeys = b.apiKeys;
    this.privileges = b.privileges;
    this.maxCredentialLength = b.maxCredentialLength;
    Set<Privilege> all = Set.copyOf(privileges.privileges());
    this.unrestricted = new AuthResult.Authenticated(AuthMethod.NONE, all, null, null);
    this.secretTokenAnswers =
        new AuthResult[] {INVALID_CREDENTIALS, new AuthResult.Authenticated(AuthMethod.SECRET_TOKEN, all, null, null)};
    if (secretToken == null && apiKeys == null) {
      LOG.warn("No secret token is set and API keys are disabled: every request is allowed with every privilege.");
    }
  }

  /**
   * Starts a builder: no secret token, no API keys, the APM privileges.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Authenticates one request, blocking while an API key is looked up in its backend (a cache hit
   * does not block).
   *
   * @param authorizationValues every value of the request's {@code Authorization} header; empty when absent
   * @return the result; never throws for bad input
   */
  public AuthResult authenticate(List<String> authorizationValues) {
    return authenticate(authorizationValues, null);
  }

  /**
   * Authenticates one request from an identified client, blocking while an API key is looked up in
   * its backend. The client identity lets a {@link CachingPrivilegeChecker} hold each client to its
   * share of the new-key budget, so that one client's unknown keys cannot spend it all.
   *
   * @param authorizationValues every value of the request's {@code Authorization} header; empty when absent
   * @param client an opaque identity of the client, such as its address (grouped by network); null
   *     when unknown, and then only the global budget applies
   * @return the result; never throws for bad input
   */
  public AuthResult authenticate(List<String> authorizationValues, @Nullable String client) {
    if (secretToken == null && apiKeys == null) {
      return unrestricted;
    }
    AuthResult plain = plainValue(authorizationValues);
    if (plain != null) {
      return plain;
    }
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(authorizationValues, maxCredentialLength);
    ApiKeyCredential key = apiKeyToLookUp(parsed);
    return key == null ? authenticateLocally(parsed) : toResult(key, checkBlocking(key, client));
  }

  /**
   * Authenticates a request that carries at most one header value.
   *
   * @param authorizationValue the value, or null when absent
   * @return the result
   */
  public AuthResult authenticate(@Nullable String authorizationValue) {
    return authenticate(authorizationValue == null ? List.of() : List.of(authorizationValue));
  }

  /**
   * Authenticates one request without blocking: the future is already complete unless an API key
   * has to be looked up in its backend.
   *
   * @param authorizationValues every value of the request's {@code Authorization} header
   * @return the result; never completes exceptionally
   */
  public CompletableFuture<AuthResult> authenticateAsync(List<String> authorizationValues) {
    return authenticateAsync(authorizationValues, null);
  }

  /**
   * Authenticates one request from an identified client without blocking; see
   * {@link #authenticate(List, String)} for what the client identity is for.
   *
   * @param authorizationValues every value of the request's {@code Authorization} header
   * @param client an opaque identity of the client, or null when unknown
   * @return the result; never completes exceptionally
   */
  public CompletableFuture<AuthResult> authenticateAsync(List<String> authorizationValues, @Nullable String client) {
    if (secretToken == null && apiKeys == null) {
      return CompletableFuture.completedFuture(unrestricted);
    }
    AuthResult plain = plainValue(authorizationValues);
    if (plain != null) {
      return CompletableFuture.completedFuture(plain);
    }
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(authorizationValues, maxCredentialLength);
    ApiKeyCredential key = apiKeyToLookUp(parsed);
    if (key == null) {
      return CompletableFuture.completedFuture(authenticateLocally(parsed));
    }
    CompletableFuture<CheckResult> check;
    try {
      check = Objects.requireNonNull(apiKeys).checkAsync(key, privileges, client);
    } catch (RuntimeException e) {
      check = CompletableFuture.failedFuture(e);
    }
    return check.handle((result, failure) -> toResult(key, answerOrUnavailable(result, failure)));
  }

  /**
   * Authenticates and authorizes in one call.
   *
   * @param authorizationValues every value of the request's {@code Authorization} header
   * @param needed the privilege the request needs
   * @return the final decision
   */
  public AuthResult authorize(List<String> authorizationValues, Privilege needed) {
    return authenticate(authorizationValues).authorize(needed);
  }

  /**
   * The application privileges this authenticator works with.
   *
   * @return the privileges
   */
  public ApplicationPrivileges privileges() {
    return privileges;
  }

  /**
   * Whether a secret token is configured.
   *
   * @return true if {@code Bearer} credentials are accepted
   */
  public boolean secretTokenEnabled() {
    return secretToken != null;
  }

  /**
   * Whether API keys are accepted.
   *
   * @return true if {@code ApiKey} credentials are accepted
   */
  public boolean apiKeysEnabled() {
    return apiKeys != null;
  }

  /**
   * The hot paths, which work on the header value in place: the answer for a plain
   * {@code Bearer <token>} value (compared without allocating), or for a plain {@code ApiKey <base64>}
   * value whose answer is cached and not yet due for refresh; null when the value needs the full
   * parser or the backend (a refresh needs the credential, which only the full path decodes). Gives
   * exactly what the full path would.
   */
  private @Nullable AuthResult plainValue(List<String> values) {
    if (values.size() != 1) {
      return null;
    }
    String value = values.get(0);
    if (value == null) {
      return null;
    }
    int scheme = AuthorizationHeader.plainScheme(value, maxCredentialLength);
    boolean bearer = scheme == AuthorizationHeader.PLAIN_BEARER && secretToken != null;
    CachingPrivilegeChecker caching = apiKeys instanceof CachingPrivilegeChecker c ? c : null;
    if (!bearer && (scheme != AuthorizationHeader.PLAIN_API_KEY || caching == null)) {
      return null;
    }
    int length = value.length() - AuthorizationHeader.PLAIN_TOKEN_START;
    TokenScratch scratch = TokenScratch.get();
    char[] token = scratch.copy(value, AuthorizationHeader.PLAIN_TOKEN_START, value.length(),
        bearer ? Objects.requireNonNull(secretToken).length : 0);
    if (bearer) {
      // Picked by index, not by a branch: a match and a mismatch cost the same.
      return AuthorizationHeader.isPlainBearerToken(token, length)
          ? secretTokenAnswers[ConstantTime.equalsBit(Objects.requireNonNull(secretToken), token, length)]
          : null;
    }
    return AuthorizationHeader.isPlainApiKeyToken(token, length, scratch.bytes())
        ? Objects.requireNonNull(caching).cachedResult(scratch.sha256(length), privileges)
        : null;
  }

  /** The API key to look up in the backend, or null when the answer needs no backend. */
  private @Nullable ApiKeyCredential apiKeyToLookUp(AuthorizationHeader.Parsed parsed) {
    if (apiKeys != null && parsed instanceof AuthorizationHeader.Present p && p.credential() instanceof ApiKeyCredential key) {
      return key;
    }
    return null;
  }

  /** Every answer that needs no backend. */
  private AuthResult authenticateLocally(AuthorizationHeader.Parsed parsed) {
    if (parsed instanceof AuthorizationHeader.Present p) {
      return p.credential() instanceof BearerToken token ? checkSecretToken(token) : METHOD_DISABLED;
    }
    if (parsed instanceof AuthorizationHeader.Malformed m) {
      return new AuthResult.Unauthorized(m.reason(), m.message());
    }
    if (parsed instanceof AuthorizationHeader.Conflicting c) {
      return new AuthResult.InvalidRequest(c.message());
    }
    return MISSING;
  }

  private AuthResult checkSecretToken(BearerToken token) {
    if (secretToken == null) {
      return METHOD_DISABLED;
    }
    // The comparison's time depends only on the configured token's length.
    return secretTokenAnswers[token.matchBit(secretToken)];
  }

  private static AuthResult.Unauthorized failed(AuthResult.Unauthorized.Reason reason) {
    return new AuthResult.Unauthorized(reason, AuthResult.Unauthorized.AUTHENTICATION_FAILED);
  }

  private CheckResult checkBlocking(ApiKeyCredential key, @Nullable String client) {
    try {
      return answerOrUnavailable(Objects.requireNonNull(apiKeys).check(key, privileges, client), null);
    } catch (RuntimeException e) {
      return PrivilegeChecker.unavailable(e);
    }
  }

  /** A backend that breaks its contract (throws, or answers null) is read as unavailable. */
  private static CheckResult answerOrUnavailable(@Nullable CheckResult result, @Nullable Throwable failure) {
    if (failure != null) {
      return PrivilegeChecker.unavailable(failure);
    }
    return result != null ? result : new CheckResult.Unavailable("backend answered null", Duration.ofSeconds(1));
  }

  private AuthResult toResult(ApiKeyCredential key, CheckResult check) {
    if (check instanceof CheckResult.Unavailable unavailable) {
      Duration retryAfter = unavailable.retryAfter();
      return new AuthResult.Unavailable(
          retryAfter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : retryAfter, unavailable.reason());
    }
    return Objects.requireNonNull(apiKeyResult(key.id(), check));
  }

  /**
   * The outcome for a key's settled answer: its privileges, or 401 for an unknown key or one that
   * holds none of the privileges asked about. Null for "unavailable", whose outcome is not fixed.
   */
  static @Nullable AuthResult apiKeyResult(@Nullable String keyId, CheckResult check) {
    if (check instanceof CheckResult.Granted granted) {
      return granted.privileges().isEmpty()
          ? failed(AuthResult.Unauthorized.Reason.NO_PRIVILEGES)
          : new AuthResult.Authenticated(AuthMethod.API_KEY, granted.privileges(), keyId, granted.username());
    }
    // A fresh outcome per answer, not a shared constant, so that the cache holds a right and a wrong
    // secret's answers alike (benchmarks/RESULTS.md has what the timing check still finds).
    return check instanceof CheckResult.UnknownKey ? failed(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS) : null;
  }

  @Override
  public String toString() {
    return "Authenticator[secretToken=" + (secretToken != null ? "set" : "unset")
        + ", apiKeys=" + (apiKeys != null ? apiKeys : "disabled")
        + ", application=" + privileges.application() + "]";
  }

  /** Configures an {@link Authenticator}. */
  public static final class Builder {
    private @Nullable String secretToken;
    private @Nullable PrivilegeChecker apiKeys;
    private ApplicationPrivileges privileges = ApplicationPrivileges.APM;
    private int maxCredentialLength = AuthorizationHeader.DEFAULT_MAX_LENGTH;

    private Builder() {}

    /**
     * Accepts {@code Authorization: Bearer <token>} with this token, with every privilege.
     *
     * @param token the shared secret; null or empty turns secret tokens off
     * @return this builder
     */
    public Builder secretToken(@Nullable String token) {
      this.secretToken = token == null || token.isEmpty() ? null : token;
      return this;
    }

    /**
     * Accepts {@code Authorization: ApiKey ...} credentials, with the privileges this checker
     * reports. Wrap a network backend in a {@link CachingPrivilegeChecker}.
     *
     * @param checker the checker; null turns API keys off
     * @return this builder
     */
    public Builder apiKeys(@Nullable PrivilegeChecker checker) {
      this.apiKeys = checker;
      return this;
    }

    /**
     * The application privileges to work with. Default {@link ApplicationPrivileges#APM}.
     *
     * @param privileges the application, resource and privileges
     * @return this builder
     */
    public Builder privileges(ApplicationPrivileges privileges) {
      this.privileges = Objects.requireNonNull(privileges, "privileges");
      return this;
    }

    /**
     * The longest {@code Authorization} value accepted; longer ones are refused with 401 before
     * anything is decoded. Default 1024.
     *
     * @param chars a positive number of characters
     * @return this builder
     */
    public Builder maxCredentialLength(int chars) {
      this.maxCredentialLength = Require.positive(chars, "maxCredentialLength");
      return this;
    }

    /**
     * Builds the authenticator.
     *
     * @return an immutable, thread-safe authenticator
     */
    public Authenticator build() {
      return new Authenticator(this);
    }
  }
}
