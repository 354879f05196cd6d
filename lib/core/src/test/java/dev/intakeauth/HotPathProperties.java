package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.internal.CacheKey;
import dev.intakeauth.internal.Sha256;
import dev.intakeauth.internal.TokenScratch;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The in-place hot paths (a plain {@code Bearer} value compared without allocating, a plain
 * {@code ApiKey} value answered from the cache by its digest) give exactly what the full parser and
 * the checker give. One header value may take a hot path; two identical values always take the full
 * one, so comparing the two is comparing the paths.
 */
class HotPathProperties {

  private static final String SECRET = "k3y-s3cret";
  private static final String ASCII_TOKEN = "an-ascii-secret-token-of-32-ch!!";

  private final CachingPrivilegeChecker checker =
      CachingPrivilegeChecker.builder(
              InMemoryKeyStore.builder()
                  .addSecret("writer", SECRET, List.of(Privilege.EVENT_WRITE))
                  .addSecret("reader", SECRET, List.of(Privilege.AGENT_CONFIG_READ))
                  .addSecret("nothing", SECRET, List.of())
                  .build())
          .build();
  private final Authenticator auth = Authenticator.builder().secretToken("t0ken").apiKeys(checker).build();

  @Property(tries = 3000)
  void anApiKeyValueGetsTheSameAnswerOnBothPaths(@ForAll("apiKeyLike") String value) {
    AuthResult full = auth.authenticate(List.of(value, value));
    assertThat(auth.authenticate(List.of(value))).isEqualTo(full);
    assertThat(auth.authenticateAsync(List.of(value), null).join()).isEqualTo(full);
    assertThat(auth.authenticate(List.of(value))).isEqualTo(full);
  }

  @Test
  void aCachedKeyIsAnsweredWithoutTheBackendAndAWrongSecretNeverGetsItsAnswer() {
    String right = ApiKeyCredential.of("writer", SECRET).authorizationValue();
    String wrong = ApiKeyCredential.of("writer", "k3y-s3creT").authorizationValue();
    assertThat(auth.authenticate(right)).isInstanceOfSatisfying(AuthResult.Authenticated.class, ok -> {
      assertThat(ok.keyId()).isEqualTo("writer");
      assertThat(ok.privileges()).containsExactly(Privilege.EVENT_WRITE);
    });
    long calls = checker.backendCalls();
    for (int i = 0; i < 100; i++) {
      assertThat(auth.authenticate(right)).isInstanceOfSatisfying(AuthResult.Authenticated.class, ok -> {
        assertThat(ok.keyId()).isEqualTo("writer");
        assertThat(ok.method()).isEqualTo(AuthMethod.API_KEY);
      });
    }
    assertThat(checker.backendCalls()).isEqualTo(calls);
    assertThat(auth.authenticate(wrong)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(checker.backendCalls()).isEqualTo(calls + 1);
    assertThat(auth.authenticate(wrong)).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(checker.backendCalls()).isEqualTo(calls + 1);
    assertThat(auth.authenticate(right)).isInstanceOf(AuthResult.Authenticated.class);
    // A key with none of the privileges asked about is refused, from the cache too.
    String nothing = ApiKeyCredential.of("nothing", SECRET).authorizationValue();
    assertThat(auth.authenticate(nothing)).isEqualTo(auth.authenticate(nothing))
        .isInstanceOfSatisfying(AuthResult.Unauthorized.class,
            u -> assertThat(u.reason()).isEqualTo(AuthResult.Unauthorized.Reason.NO_PRIVILEGES));
  }

  @Test
  void aGrantedAnswerIsServedByTheHotPathUntilItsRefreshIsDue() {
    ApiKeyCredential writer = ApiKeyCredential.of("writer", SECRET);
    assertThat(auth.authenticate(writer.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    CacheKey key = TokenScratch.get().keyOf(writer.encoded(), writer.id(), ApplicationPrivileges.APM);
    assertThat(checker.cachedOutcome(key)).isInstanceOf(AuthResult.Authenticated.class);
    // The lookup-only key of the request path (no key id) finds the same entry.
    byte[] digest = Sha256.digest(writer.encoded());
    assertThat(checker.cachedOutcome(CacheKey.ofDigest(digest, ApplicationPrivileges.APM))).isSameAs(checker.cachedOutcome(key));
  }

  @Property(tries = 500)
  void aFastPathMissGetsTheSameAnswerAsTheFullPathAndHashesTheTokenOnce(@ForAll("apiKeyLike") String value) {
    // Fresh caches, so that the single value misses on the fast path and the pair misses on the full one.
    Authenticator fresh = Authenticator.builder().secretToken("t0ken").apiKeys(cacheWithoutHashing()).build();
    Authenticator other = Authenticator.builder().secretToken("t0ken").apiKeys(cacheWithoutHashing()).build();
    TokenScratch scratch = TokenScratch.get();
    long before = scratch.digests();
    AuthResult fast = fresh.authenticate(List.of(value));
    long fastDigests = scratch.digests() - before;
    before = scratch.digests();
    AuthResult full = other.authenticate(List.of(value, value));
    long fullDigests = scratch.digests() - before;
    assertThat(fast).isEqualTo(full);
    boolean apiKey = AuthorizationHeader.parse(List.of(value), 1024) instanceof AuthorizationHeader.Present p
        && p.credential() instanceof ApiKeyCredential;
    // Every API key that parses is hashed exactly once on either path; the fast path may also hash a
    // value whose characters are base64 but which does not parse, never twice.
    assertThat(fullDigests).isEqualTo(apiKey ? 1 : 0);
    if (apiKey) {
      assertThat(fastDigests).isEqualTo(1);
    } else {
      assertThat(fastDigests).isLessThanOrEqualTo(1);
    }
    assertThat(fresh.authenticateAsync(List.of(value), null).join()).isEqualTo(full);
  }

  @Test
  void aMissAndAHitEachHashTheTokenOnce() {
    CachingPrivilegeChecker counted = cacheWithoutHashing();
    Authenticator fresh = Authenticator.builder().apiKeys(counted).build();
    String value = ApiKeyCredential.of("writer", SECRET).authorizationValue();
    TokenScratch scratch = TokenScratch.get();
    for (int i = 0; i < 3; i++) {
      long before = scratch.digests();
      assertThat(fresh.authenticate(value)).isInstanceOf(AuthResult.Authenticated.class);
      assertThat(scratch.digests() - before).as("request %d", i).isEqualTo(1);
    }
    assertThat(counted.backendCalls()).isEqualTo(1);
  }

  @Test
  void theThreadsLookupKeyIsNeverWhatTheCacheStores() {
    CachingPrivilegeChecker counted = cacheWithoutHashing();
    Authenticator fresh = Authenticator.builder().apiKeys(counted).build();
    String writer = ApiKeyCredential.of("writer", SECRET).authorizationValue();
    String reader = ApiKeyCredential.of("reader", SECRET).authorizationValue();
    // Each miss refills the thread's lookup key; had the cache kept it, the first entry would now
    // stand under the second key's digest.
    AuthResult writerAnswer = fresh.authenticate(writer);
    AuthResult readerAnswer = fresh.authenticate(reader);
    assertThat(writerAnswer).isNotEqualTo(readerAnswer);
    for (int i = 0; i < 3; i++) {
      assertThat(fresh.authenticate(writer)).isSameAs(fresh.authenticate(writer)).isEqualTo(writerAnswer);
      assertThat(fresh.authenticate(reader)).isEqualTo(readerAnswer);
    }
    assertThat(counted.backendCalls()).isEqualTo(2);
  }

  @Test
  void aPlainLookingValueThatIsNotCanonicalBase64NeverHitsTheCache() {
    ApiKeyCredential reader = ApiKeyCredential.of("reader", SECRET);
    String encoded = reader.encoded();
    assertThat(encoded).endsWith("=");
    assertThat(auth.authenticate(reader.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    long calls = checker.backendCalls();
    // Each character replaced by one beyond Latin-1 whose low byte is that very character: a copy
    // that kept only low bytes would hash the cached key's text.
    for (int i = 0; i < encoded.length(); i++) {
      String hostile = encoded.substring(0, i) + (char) (0x100 | encoded.charAt(i)) + encoded.substring(i + 1);
      assertThat(auth.authenticate("ApiKey " + hostile)).as("at %d", i).isEqualTo(improperlyEncoded());
    }
    // Base64 characters only, but not the canonical encoding: pad bits set, padding dropped or doubled.
    int lastData = encoded.indexOf('=') - 1;
    String padBitsSet = encoded.substring(0, lastData) + (char) (encoded.charAt(lastData) + 1) + encoded.substring(lastData + 1);
    for (String variant : List.of(padBitsSet, encoded.replace("=", ""), encoded + "==", "=" + encoded.substring(1))) {
      assertThat(auth.authenticate("ApiKey " + variant)).as(variant).isEqualTo(improperlyEncoded());
    }
    assertThat(checker.backendCalls()).isEqualTo(calls);
  }

  @Test
  void aSecretTokenWhoseCharactersMatchOnlyInTheirLowByteNeverMatches() {
    String token = "t0ken-with-16-ch";
    Authenticator bearer = Authenticator.builder().secretToken(token).build();
    assertThat(bearer.authenticate("Bearer " + token)).isInstanceOf(AuthResult.Authenticated.class);
    for (int i = 0; i < token.length(); i++) {
      for (int high : new int[] {0x100, 0x4100, 0xff00}) {
        String lookalike = token.substring(0, i) + (char) (high | token.charAt(i)) + token.substring(i + 1);
        AuthResult fast = bearer.authenticate("Bearer " + lookalike);
        assertThat(fast).as("at %d", i).isEqualTo(bearer.authenticate(List.of("Bearer " + lookalike, "Bearer " + lookalike)));
        assertThat(fast).isNotInstanceOf(AuthResult.Authenticated.class);
      }
    }
  }

  @Property(tries = 3000)
  void aBearerValueGetsTheSameAnswerOnBothPathsForAnAsciiSecret(@ForAll("bearerLike") String value) {
    Authenticator bearer = Authenticator.builder().secretToken(ASCII_TOKEN).build();
    assertThat(bearer.authenticate(List.of(value))).isEqualTo(bearer.authenticate(List.of(value, value)));
  }

  @Provide
  Arbitrary<String> bearerLike() {
    Arbitrary<String> scheme = Arbitraries.of("Bearer", "bearer", "BEARER", "Bearer ");
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.just(ASCII_TOKEN),
        Arbitraries.of(ASCII_TOKEN + " ", ASCII_TOKEN + "\u007f", ASCII_TOKEN.substring(1), ASCII_TOKEN + "x", ASCII_TOKEN + "\u00e9"),
        // The secret with one character changed, in any way: its length and all but one place agree.
        Arbitraries.integers().between(0, ASCII_TOKEN.length() - 1).flatMap(i -> Arbitraries.chars().map(
            c -> ASCII_TOKEN.substring(0, i) + c + ASCII_TOKEN.substring(i + 1))),
        Arbitraries.strings().withCharRange('!', '~').ofLength(ASCII_TOKEN.length()));
    return scheme.flatMap(s -> token.map(t -> s + " " + t));
  }

  private static AuthResult improperlyEncoded() {
    return new AuthResult.Unauthorized(AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, "authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)");
  }

  /** The keys of {@link #checker} behind a backend that compares encoded texts, so that it hashes nothing itself. */
  private static CachingPrivilegeChecker cacheWithoutHashing() {
    Map<String, CheckResult> answers = Map.of(
        ApiKeyCredential.of("writer", SECRET).encoded(), new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null),
        ApiKeyCredential.of("reader", SECRET).encoded(), new CheckResult.Granted(Set.of(Privilege.AGENT_CONFIG_READ), null),
        ApiKeyCredential.of("nothing", SECRET).encoded(), new CheckResult.Granted(Set.of(), null));
    PrivilegeChecker backend =
        (credential, scope) -> CompletableFuture.completedFuture(answers.getOrDefault(credential.encoded(), CheckResult.UNKNOWN_KEY));
    return CachingPrivilegeChecker.builder(backend).executor(Runnable::run).build();
  }

  @Provide
  Arbitrary<String> apiKeyLike() {
    Arbitrary<String> scheme = Arbitraries.of("ApiKey", "apikey", "APIKEY", "ApiKey ", " ApiKey", "ApiKeys", "Bearer");
    Arbitrary<String> id = Arbitraries.of("writer", "reader", "nothing", "unknown", "");
    Arbitrary<String> secret = Arbitraries.of(SECRET, "k3y-s3creT", "k3y-s3cre", "", "t0ken");
    Arbitrary<String> encoded = Arbitraries.oneOf(
        id.flatMap(i -> secret.map(s -> base64(i + ":" + s))),
        // Non-canonical forms of valid keys: set pad bits, padding dropped, padding doubled.
        Arbitraries.of(base64("writer:" + SECRET)).map(e -> e.replace("==", "")),
        Arbitraries.of(base64("reader:" + SECRET + "x")).map(e -> e.substring(0, e.length() - 2) + "j="),
        Arbitraries.of(base64("writer:" + SECRET)).map(e -> e + "=="),
        Arbitraries.strings().withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=").ofMaxLength(40),
        Arbitraries.of("t0ken", "d3JpdGVyOmszeS1zM2NyZXQ= ", "d3JpdGVyOmszeS1zM2NyZXQ=\t"));
    return scheme.flatMap(s -> encoded.map(e -> s + " " + e));
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
