package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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
    assertThat(auth.authenticateAsync(List.of(value)).join()).isEqualTo(full);
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
    byte[] digest = dev.intakeauth.internal.Sha256.digest(writer.encoded());
    assertThat(checker.cachedResult(digest, ApplicationPrivileges.APM)).isInstanceOf(AuthResult.Authenticated.class);
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
