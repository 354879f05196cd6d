package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.AuthResult.Unauthorized.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AuthorizationHeaderTest {

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Credential credential(String value) {
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH);
    assertThat(parsed).isInstanceOf(AuthorizationHeader.Present.class);
    return ((AuthorizationHeader.Present) parsed).credential();
  }

  private static AuthorizationHeader.Malformed malformed(String value) {
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH);
    assertThat(parsed).isInstanceOf(AuthorizationHeader.Malformed.class);
    return (AuthorizationHeader.Malformed) parsed;
  }

  @Test
  void bearerTokenIsASecretTokenCredential() {
    Credential c = credential("Bearer abc123");
    assertThat(c).isInstanceOf(BearerToken.class);
    assertThat(c).isEqualTo(new BearerToken("abc123")).isNotEqualTo(new BearerToken("abc12"));
  }

  @Test
  void apiKeyIdIsBeforeTheFirstColonAndTheSecretMayContainColons() {
    ApiKeyCredential c = (ApiKeyCredential) credential("ApiKey " + b64("my-id:se:cr:et"));
    assertThat(c.id()).isEqualTo("my-id");
    assertThat(new String(c.secretBytes(), StandardCharsets.UTF_8)).isEqualTo("se:cr:et");
    assertThat(c.encoded()).isEqualTo(b64("my-id:se:cr:et"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bearer tok", "BEARER tok", "BeArEr tok"})
  void bearerSchemeIsCaseInsensitive(String value) {
    assertThat(credential(value)).isInstanceOf(BearerToken.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"apikey ", "APIKey ", "APIKEY ", "ApiKey "})
  void apiKeySchemeIsCaseInsensitive(String scheme) {
    assertThat(credential(scheme + b64("id:secret"))).isInstanceOf(ApiKeyCredential.class);
  }

  @Test
  void spacesBetweenSchemeAndTokenAndAroundTheValueAreIgnored() {
    assertThat(credential("  Bearer    tok \t")).isInstanceOf(BearerToken.class);
    assertThat(((ApiKeyCredential) credential("\tApiKey   " + b64("id:s") + "  ")).id()).isEqualTo("id");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\t"})
  void emptyValuesAreMissing(String value) {
    assertThat(AuthorizationHeader.parseValue(value, AuthorizationHeader.DEFAULT_MAX_LENGTH)).isEqualTo(AuthorizationHeader.Missing.INSTANCE);
  }

  @Test
  void noHeaderIsMissing() {
    assertThat(AuthorizationHeader.parseValue(null, AuthorizationHeader.DEFAULT_MAX_LENGTH)).isEqualTo(AuthorizationHeader.Missing.INSTANCE);
    assertThat(AuthorizationHeader.parse(List.of(), 1024)).isEqualTo(AuthorizationHeader.Missing.INSTANCE);
  }

  @Test
  void unknownSchemeNamesTheSchemeWithTheSpecMessage() {
    AuthorizationHeader.Malformed m = malformed("Basic dXNlcjpwYXNz");
    assertThat(m.reason()).isEqualTo(Reason.UNKNOWN_SCHEME);
    assertThat(m.message())
        .isEqualTo("authentication failed: unknown Authentication header Basic: expected 'Authorization: Bearer secret_token' or 'Authorization: ApiKey base64(API key ID:API key)'");
  }

  @Test
  void anUnprintableOrHugeSchemeIsNotEchoed() {
    assertThat(malformed("B\u0000sic x").message()).isEqualTo(AuthorizationHeader.MISSING_MESSAGE);
    assertThat(malformed("<script> x").message()).isEqualTo(AuthorizationHeader.MISSING_MESSAGE);
    assertThat(malformed("A".repeat(100) + " x").message()).isEqualTo(AuthorizationHeader.MISSING_MESSAGE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Bearer", "ApiKey", "justatoken", "Bearer a b", "Bearer a\u0001b"})
  void valuesThatAreNotSchemeAndOneTokenAreImproperlyFormatted(String value) {
    AuthorizationHeader.Malformed m = malformed(value);
    assertThat(m.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(m.message())
        .isEqualTo("authentication failed: missing or improperly formatted Authorization header: expected 'Authorization: Bearer secret_token' or 'Authorization: ApiKey base64(API key ID:API key)'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-base64!", "aWQ6c2VjcmU", "aWQ6c2VjcmU==", "aWQ6c2VjcmU=x", "a-_b", "aWQ6c2VjcmV="})
  void tokensThatAreNotCanonicalPaddedBase64AreImproperlyEncoded(String token) {
    // aWQ6c2VjcmU= is "id:secre": unpadded, over-padded, junk after padding, URL alphabet, non-zero trailing bits.
    AuthorizationHeader.Malformed m = malformed("ApiKey " + token);
    assertThat(m.reason()).isEqualTo(Reason.IMPROPERLY_ENCODED);
    assertThat(m.message()).isEqualTo("authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nocolon", ":secret", "id:", ":"})
  void decodedValuesThatAreNotIdColonSecretAreImproperlyFormatted(String decoded) {
    AuthorizationHeader.Malformed m = malformed("ApiKey " + b64(decoded));
    assertThat(m.reason()).isEqualTo(Reason.IMPROPERLY_FORMATTED);
    assertThat(m.message()).isEqualTo("authentication failed: improperly formatted ApiKey credentials: expected base64(ID:APIKey)");
  }

  @Test
  void valuesOverTheMaximumLengthAreRefusedBeforeDecoding() {
    String longValue = "ApiKey " + b64("id:" + "s".repeat(2000));
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(List.of(longValue), 1024);
    assertThat(parsed).isInstanceOf(AuthorizationHeader.Malformed.class);
    assertThat(((AuthorizationHeader.Malformed) parsed).reason()).isEqualTo(Reason.TOO_LONG);
    assertThat(AuthorizationHeader.parse(List.of(longValue), 10_000)).isInstanceOf(AuthorizationHeader.Present.class);
  }

  @Test
  void differingDuplicateValuesConflictAndEqualOnesDoNot() {
    assertThat(AuthorizationHeader.parse(List.of("Bearer a", "Bearer b"), 1024))
        .isInstanceOf(AuthorizationHeader.Conflicting.class);
    assertThat(AuthorizationHeader.parse(List.of("Bearer a", ""), 1024))
        .isInstanceOf(AuthorizationHeader.Conflicting.class);
    assertThat(AuthorizationHeader.parse(List.of("Bearer a", "Bearer a"), 1024))
        .isInstanceOf(AuthorizationHeader.Present.class);
  }

  @Test
  void toStringNeverShowsTheSecret() {
    assertThat(credential("Bearer topsecret").toString()).doesNotContain("topsecret");
    Credential key = credential("ApiKey " + b64("the-id:topsecret"));
    assertThat(key.toString()).contains("the-id").doesNotContain("topsecret").doesNotContain(b64("the-id:topsecret"));
  }

  @Test
  void credentialsMadeInCodeEqualParsedOnes() {
    ApiKeyCredential made = ApiKeyCredential.of("id", "s:x");
    assertThat(credential(made.authorizationValue())).isEqualTo(made);
    assertThat(credential("Bearer t")).isEqualTo(new BearerToken("t")).isNotEqualTo(new BearerToken("u"));
  }

  @Test
  void keyIdsAreShownSafelyInToString() {
    ApiKeyCredential key = (ApiKeyCredential) credential("ApiKey " + b64("evil\nid:secret"));
    assertThat(key.id()).isEqualTo("evil\nid");
    assertThat(key.toString()).contains("evil\\u000aid").doesNotContain("\n");
  }
}
