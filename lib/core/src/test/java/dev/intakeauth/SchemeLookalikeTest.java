package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Schemes spelled with characters that Unicode case folding maps onto ASCII letters ({@code K}
 * KELVIN SIGN U+212A folds to {@code k}, {@code ı} DOTLESS I U+0131 upper-cases to {@code I},
 * {@code İ} U+0130 lower-cases to {@code i}) are unknown schemes, on the full parser and on the hot
 * path alike. A proxy, WAF or log filter in front compares schemes in ASCII; a credential it did
 * not see as one must not be one here.
 */
class SchemeLookalikeTest {

  private static final String SECRET = "k3y-s3cret";
  private static final String TOKEN = "t0ken";
  private static final String KEY = Base64.getEncoder().encodeToString(("writer:" + SECRET).getBytes(StandardCharsets.UTF_8));

  private final Authenticator auth = Authenticator.builder()
      .secretToken(TOKEN)
      .apiKeys(CachingPrivilegeChecker.builder(
          InMemoryKeyStore.builder().addSecret("writer", SECRET, List.of(Privilege.EVENT_WRITE)).build()).build())
      .build();

  @ParameterizedTest
  @ValueSource(strings = {"Api\u212Aey", "api\u212Aey", "Ap\u0131Key", "AP\u0131KEY", "Ap\u0130Key", "APIKE\u0178"})
  void apiKeySchemeSpelledWithUnicodeLookalikesIsNotAnApiKey(String scheme) {
    String value = scheme + " " + KEY;
    assertThat(AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH)).isNotInstanceOf(AuthorizationHeader.Present.class);
    assertThat(AuthorizationHeader.fastPathForm(value, 1024)).isEqualTo(AuthorizationHeader.FastPathForm.NONE);
    // The same key with the ASCII scheme is accepted: the lookalike is what is refused.
    assertThat(auth.authenticate(List.of("ApiKey " + KEY))).isInstanceOf(AuthResult.Authenticated.class);
    assertRefusedOnBothPaths(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Bear\u0435r", "B\u0435arer", "BEARE\u0280", "Bearer\u200B"})
  void bearerSchemeSpelledWithUnicodeLookalikesIsNotABearerToken(String scheme) {
    String value = scheme + " " + TOKEN;
    assertThat(AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH)).isNotInstanceOf(AuthorizationHeader.Present.class);
    assertThat(AuthorizationHeader.fastPathForm(value, 1024)).isEqualTo(AuthorizationHeader.FastPathForm.NONE);
    assertRefusedOnBothPaths(value);
  }

  @Test
  void kelvinSignSchemeIsAnswered401WithoutEchoingIt() {
    AuthResult result = auth.authenticate(List.of("Api\u212Aey " + KEY));
    assertThat(result).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(((AuthResult.Unauthorized) result).reason()).isEqualTo(AuthResult.Unauthorized.Reason.MALFORMED_HEADER);
    assertThat(((AuthResult.Unauthorized) result).message()).doesNotContain("\u212A");
  }

  @Property(tries = 20000)
  void aSchemeWithAnyNonAsciiCharacterIsNeverBearerOrApiKey(@ForAll("nonAsciiSchemes") String scheme) {
    for (String token : List.of(TOKEN, KEY)) {
      String value = scheme + " " + token;
      assertThat(AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH)).isNotInstanceOf(AuthorizationHeader.Present.class);
      assertThat(AuthorizationHeader.fastPathForm(value, 1024)).isEqualTo(AuthorizationHeader.FastPathForm.NONE);
      assertRefusedOnBothPaths(value);
    }
  }

  /** One value may take the hot path, two identical values always take the full parser. */
  private void assertRefusedOnBothPaths(String value) {
    assertThat(auth.authenticate(List.of(value))).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate(List.of(value, value))).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticateAsync(List.of(value), null).join()).isInstanceOf(AuthResult.Unauthorized.class);
  }

  /** "Bearer" or "ApiKey" in mixed case with one or more characters replaced by non-ASCII ones. */
  @Provide
  Arbitrary<String> nonAsciiSchemes() {
    Arbitrary<String> base = Arbitraries.of("bearer", "apikey");
    Arbitrary<Character> nonAscii = Arbitraries.oneOf(
        Arbitraries.of('\u212A', '\u0131', '\u0130', '\u017F', '\u0435', '\u0430', '\u0391', '\uFF22', '\u00E9', '\u0280', '\u1E9E'),
        Arbitraries.chars().range('\u0080', '\uFFFF'));
    return Combinators.combine(base, nonAscii.list().ofMinSize(1).ofMaxSize(3), Arbitraries.integers().between(0, 63), Arbitraries.longs())
        .as((word, replacements, upper, positions) -> {
          char[] c = word.toCharArray();
          for (int i = 0; i < c.length; i++) {
            if ((upper >>> i & 1) == 1) {
              c[i] = Character.toUpperCase(c[i]);
            }
          }
          long p = positions;
          for (char r : replacements) {
            c[(int) Math.floorMod(p, (long) c.length)] = r;
            p = p / 7 + 1;
          }
          return new String(c);
        });
  }
}
