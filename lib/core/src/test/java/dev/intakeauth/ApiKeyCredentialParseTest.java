package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** {@link ApiKeyCredential#parse}: the header's rules for the value after {@code ApiKey }, hostile input included. */
class ApiKeyCredentialParseTest {

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aWellFormedValueGivesTheCredentialOfTheSameIdAndSecret() {
    ApiKeyCredential c = ApiKeyCredential.parse(b64("my-id:se:cr:et"));
    assertThat(c.id()).isEqualTo("my-id");
    assertThat(new String(c.secretBytes(), StandardCharsets.UTF_8)).isEqualTo("se:cr:et");
    assertThat(c).isEqualTo(ApiKeyCredential.of("my-id", "se:cr:et"));
    assertThat(c.encoded()).isEqualTo(b64("my-id:se:cr:et"));
  }

  @Test
  void nonCanonicalBase64IsRefused() {
    // "QQ==" is "A"; "QR==" decodes to "A" as well, with set bits after the last whole byte.
    String canonical = b64("id:secretA");
    assertThat(canonical).endsWith("Q==");
    String loosePadBits = canonical.substring(0, canonical.length() - 3) + "R==";
    assertThatThrownBy(() -> ApiKeyCredential.parse(loosePadBits)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("canonical");
    String unpadded = canonical.substring(0, canonical.length() - 2);
    assertThatThrownBy(() -> ApiKeyCredential.parse(unpadded)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("canonical");
    String urlSafe = Base64.getUrlEncoder().encodeToString("id:\u00ff\u00fe\u00fd?>".getBytes(StandardCharsets.UTF_8));
    assertThat(urlSafe).containsAnyOf("-", "_");
    assertThatThrownBy(() -> ApiKeyCredential.parse(urlSafe)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void whiteSpaceAroundOrInsideIsRefusedNotRemoved() {
    String value = b64("id:secret");
    for (String spaced : List.of(" " + value, value + "\n", value.substring(0, 4) + " " + value.substring(4), "\t" + value)) {
      assertThatThrownBy(() -> ApiKeyCredential.parse(spaced)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aValueWithoutColonOrWithAnEmptyIdOrSecretIsRefused() {
    for (String decoded : List.of("no-colon-at-all", ":secret", "id:", ":", "")) {
      assertThatThrownBy(() -> ApiKeyCredential.parse(b64(decoded)))
          .as(decoded).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id:api_key");
    }
  }

  @Test
  void anOverLongValueIsRefusedBeforeDecoding() {
    String longest = b64("id:" + "s".repeat(765));
    assertThat(longest).hasSize(1024);
    assertThat(ApiKeyCredential.parse(longest).id()).isEqualTo("id");
    String tooLong = b64("id:" + "s".repeat(766));
    assertThat(tooLong).hasSizeGreaterThan(1024);
    assertThatThrownBy(() -> ApiKeyCredential.parse(tooLong)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 1024");
    assertThatThrownBy(() -> ApiKeyCredential.parse("!".repeat(10_000_000))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSchemeIsNotPartOfTheValue() {
    String header = ApiKeyCredential.of("id", "secret").authorizationValue();
    assertThatThrownBy(() -> ApiKeyCredential.parse(header)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 3000)
  void anyStringEitherParsesOrIsRefusedWithAMessageThatDoesNotRepeatIt(@ForAll @StringLength(min = 6, max = 60) String value) {
    try {
      ApiKeyCredential.parse(value);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).doesNotContain(value);
    }
  }

  /** Without white space, which the header trims around its token and {@code parse} refuses. */
  @Property(tries = 5000)
  void parseAcceptsExactlyWhatTheHeaderParserAcceptsAfterApiKey(@ForAll("base64Like") String token) {
    AuthorizationHeader.Parsed header = AuthorizationHeader.parse(List.of("ApiKey " + token), 4096);
    ApiKeyCredential parsed;
    try {
      parsed = ApiKeyCredential.parse(token);
    } catch (IllegalArgumentException e) {
      assertThat(header).isInstanceOf(AuthorizationHeader.Malformed.class);
      return;
    }
    assertThat(header).isInstanceOf(AuthorizationHeader.Present.class);
    ApiKeyCredential fromHeader = (ApiKeyCredential) ((AuthorizationHeader.Present) header).credential();
    assertThat(parsed).isEqualTo(fromHeader);
    assertThat(parsed.id()).isEqualTo(fromHeader.id());
    assertThat(parsed.secretBytes()).isEqualTo(fromHeader.secretBytes());
  }

  @Provide
  Arbitrary<String> base64Like() {
    Arbitrary<String> valid = Arbitraries.strings().withChars("abc:é\u0000").ofMinLength(0).ofMaxLength(12)
        .map(s -> Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
    Arbitrary<String> mutated = valid.flatMap(v -> Arbitraries.integers().between(0, Math.max(0, v.length()))
        .flatMap(i -> Arbitraries.of('A', 'R', 'Q', '=', '+', '/', '-', '\u00e9').map(c -> v.substring(0, i) + c + v.substring(Math.min(v.length(), i + 1)))));
    Arbitrary<String> raw = Arbitraries.strings().withChars("ABQRgw019+/=:").ofMinLength(0).ofMaxLength(16);
    return Arbitraries.oneOf(valid, mutated, raw);
  }
}
