package dev.intakeauth;

import dev.intakeauth.AuthorizationHeader.FastPathForm;
import dev.intakeauth.internal.CacheKey;
import dev.intakeauth.internal.ConstantTime;
import dev.intakeauth.internal.Require;
import dev.intakeauth.internal.Retry;
import dev.intakeauth.internal.TokenScratch;
import java.util.Collection;
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
 * Both may be on at once. Several secret tokens may be valid at once, and replaced while the server
 * runs, through {@link SecretTokens}; the answer is the same whichever one matched. Its configuration
 * is otherwise fixed at build. A request with no credential at all is a 401; whether a route lets it in
 * anonymously is decided by {@code dev.intakeauth.access.AccessControl}.
 *
 * <pre>{@code
 * Authenticator auth = Authenticator.builder()
 *     .secretToken(System.getenv("SECRET_TOKEN"))   // or secretTokens(...) for several, or a reloadable set
 *     .apiKeys(CachingPrivilegeChecker.builder(backend).build())
 *     .build();
 *
 * AuthResult result = auth.authenticate(headerValues).authorize(Privilege.EVENT_WRITE);
 * }</pre>
 */
public final class Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
  private static final AuthResult.Unauthorized INVALID_CREDENTIALS =
      new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS, AuthResult.Unauthorized.AUTHENTICATION_FAILED);
  private static final AuthResult.Unauthorized METHOD_DISABLED =
      new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.METHOD_DISABLED, AuthResult.Unauthorized.AUTHENTICATION_FAILED);
  private static final AuthResult.Unauthorized MISSING =
      new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.MISSING, AuthorizationHeader.MISSING_MESSAGE);

  /**
   * The secret tokens, or null when they are off. Each request reads the current set once; a set is
   * immutable, and its fast-path copies are padded to the longest value with a number no character
   * equals, so the presented characters are compared in place, each with the one at its index, and a
   * presented token longer than a configured one meets the padding.
   */
  private final @Nullable SecretTokens secretTokens;
  private final @Nullable CachingPrivilegeChecker apiKeys;
  private final ApplicationPrivileges privileges;
  private final int maxCredentialLength;
  private final AuthResult.Authenticated unrestricted;
  /**
   * The answers to a secret token, picked by index: a wrong one, then the right one, the same object
   * whichever configured token matched.
   */
  private final AuthResult[] secretTokenAnswers;

  private Authenticator(Builder b) {
    this.secretTokens = b.secretTokens;
    if (secretTokens != null) {
      secretTokens.padTo(b.maxCredentialLength);
    }
    this.apiKeys = b.apiKeys;
    this.privileges = b.privileges;
    this.maxCredentialLength = b.maxCredentialLength;
    Set<Privilege> all = Set.copyOf(privileges.privileges());
    this.unrestricted = new AuthResult.Authenticated(AuthMethod.NONE, all, null, null);
    this.secretTokenAnswers =
        new AuthResult[] {INVALID_CREDENTIALS, new AuthResult.Authenticated(AuthMethod.SECRET_TOKEN, all, null, null)};
    if (secretTokens == null && apiKeys == null) {
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
    Object step = answerOrLookup(authorizationValues);
    if (step instanceof Lookup lookup) {
      return toResult(lookup, Objects.requireNonNull(apiKeys).check(lookup.key, lookup.credential, client));
    }
    return (AuthResult) step;
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
   * Authenticates one request from an identified client without blocking: the future is already
   * complete unless an API key has to be looked up in its backend. See
   * {@link #authenticate(List, String)} for what the client identity is for.
   *
   * @param authorizationValues every value of the request's {@code Authorization} header
   * @param client an opaque identity of the client, or null when unknown
   * @return the result; never completes exceptionally
   */
  public CompletableFuture<AuthResult> authenticateAsync(List<String> authorizationValues, @Nullable String client) {
    Object step = answerOrLookup(authorizationValues);
    if (step instanceof Lookup lookup) {
      return Objects.requireNonNull(apiKeys)
          .checkAsync(lookup.key, lookup.credential, client)
          .thenApply(result -> toResult(lookup, result));
    }
    return CompletableFuture.completedFuture((AuthResult) step);
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
    return secretTokens != null;
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
   * The one path of a request up to the backend: header, credential, then the cache. Answers what
   * needs no backend, and names the API key to look up otherwise: an {@link AuthResult}, or a
   * {@link Lookup}.
   *
   * <p>A single value in {@linkplain AuthorizationHeader#fastPathForm fast-path form} is read in
   * place: a {@code Bearer} token is compared without allocating; an {@code ApiKey} token's
   * characters are checked and written to bytes in one pass, hashed once, and looked up in the
   * cache. On a miss the same checked token is decoded into its credential and the same cache key
   * goes to the backend lookup. Every other value takes the full parser. Both give the same answer.
   */
  private Object answerOrLookup(List<String> values) {
    if (secretTokens == null && apiKeys == null) {
      return unrestricted;
    }
    String value = values.size() == 1 ? values.get(0) : null;
    if (value != null) {
      FastPathForm form = AuthorizationHeader.fastPathForm(value, maxCredentialLength);
      if (form == FastPathForm.BEARER && secretTokens != null) {
        SecretTokens.Snapshot tokens = secretTokens.snapshot();
        int match = ConstantTime.visibleTokenMatchBit(tokens.padded, tokens.lengths, value, AuthorizationHeader.FAST_PATH_TOKEN_START);
        if (match >= 0) {
          // Picked by index, not by a branch: a match and a mismatch cost the same.
          return secretTokenAnswers[match];
        }
      }
      if (form == FastPathForm.API_KEY && apiKeys != null) {
        TokenScratch scratch = TokenScratch.get();
        int length = value.length() - AuthorizationHeader.FAST_PATH_TOKEN_START;
        if (AuthorizationHeader.copyFastPathApiKeyToken(value, scratch.bytes(length))) {
          CacheKey key = scratch.lookupKey(length, privileges);
          AuthResult cached = apiKeys.cachedOutcome(key);
          return cached != null ? cached : lookupOrAnswer(AuthorizationHeader.parseCheckedApiKey(value), key);
        }
      }
    }
    return lookupOrAnswer(AuthorizationHeader.parse(values, maxCredentialLength), null);
  }

  /**
   * The lookup for a parsed API key, with the cache key already computed from its text (this thread's
   * lookup key, copied here) or computed here, or the answer for everything else.
   */
  private Object lookupOrAnswer(AuthorizationHeader.Parsed parsed, @Nullable CacheKey key) {
    if (apiKeys != null && parsed instanceof AuthorizationHeader.Present p && p.credential() instanceof ApiKeyCredential credential) {
      return new Lookup(
          key != null ? key.withKeyId(credential.id()) : TokenScratch.get().keyOf(credential.encoded(), credential.id(), privileges), credential);
    }
    return authenticateLocally(parsed);
  }

  /** An API key to look up: its credential and its cache key, computed once. */
  private static final class Lookup {
    final CacheKey key;
    final ApiKeyCredential credential;

    Lookup(CacheKey key, ApiKeyCredential credential) {
      this.key = key;
      this.credential = credential;
    }
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
    if (secretTokens == null) {
      return METHOD_DISABLED;
    }
    // Compared with every configured token: the time depends only on their lengths.
    return secretTokenAnswers[token.matchBit(secretTokens.snapshot().tokens)];
  }

  /** The outcome of the backend's answer: a 503 for "unavailable", whose hint is at least a second. */
  private static AuthResult toResult(Lookup lookup, CheckResult check) {
    if (check instanceof CheckResult.Unavailable unavailable) {
      return new AuthResult.Unavailable(Retry.atLeastOneSecond(unavailable.retryAfter()), unavailable.detail());
    }
    return Objects.requireNonNull(ApiKeyOutcome.of(lookup.credential.id(), check));
  }

  @Override
  public String toString() {
    return "Authenticator[secretToken=" + (secretTokens != null ? "set" : "unset")
        + ", apiKeys=" + (apiKeys != null ? apiKeys : "disabled")
        + ", application=" + privileges.application() + "]";
  }

  /** Configures an {@link Authenticator}. */
  public static final class Builder {
    private @Nullable SecretTokens secretTokens;
    private @Nullable CachingPrivilegeChecker apiKeys;
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
      this.secretTokens = token == null || token.isEmpty() ? null : SecretTokens.of(token);
      return this;
    }

    /**
     * Accepts {@code Authorization: Bearer <token>} with any of these tokens, with every privilege:
     * during a rotation, the old token and the new one. A presented token is compared with all of
     * them, and the answer is the same whichever matched. Replaces an earlier secret-token setting.
     *
     * @param tokens the shared secrets; at least one, none null or blank; null turns secret tokens off
     * @return this builder
     * @throws IllegalArgumentException if the collection is empty or a token is null or blank
     */
    public Builder secretTokens(@Nullable Collection<String> tokens) {
      this.secretTokens = tokens == null ? null : SecretTokens.of(tokens);
      return this;
    }

    /**
     * Accepts {@code Authorization: Bearer <token>} with the tokens of a set that can be replaced
     * while the server runs ({@link SecretTokens#replace}, or a {@code ReloadingFile} that watches a
     * token file): each request compares with the set current when it arrives. Replaces an earlier
     * secret-token setting.
     *
     * @param tokens the set; null turns secret tokens off
     * @return this builder
     */
    public Builder secretTokens(@Nullable SecretTokens tokens) {
      this.secretTokens = tokens;
      return this;
    }

    /**
     * Accepts {@code Authorization: ApiKey ...} credentials, with the privileges the checker's backend
     * reports. Any backend goes behind a cache, which answers keys in use without leaving the
     * process and shields the backend: {@code apiKeys(CachingPrivilegeChecker.builder(backend).build())}.
     *
     * @param checker the caching checker; null turns API keys off
     * @return this builder
     */
    public Builder apiKeys(@Nullable CachingPrivilegeChecker checker) {
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
