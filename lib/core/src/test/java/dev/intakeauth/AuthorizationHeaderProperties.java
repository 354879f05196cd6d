package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import dev.intakeauth.internal.ConstantTime;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

class AuthorizationHeaderProperties {

  @Property(tries = 5000)
  void parsingAnyStringNeverThrowsAndAlwaysGivesADefinedResult(@ForAll @StringLength(max = 2000) String value) {
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(List.of(value), 1024);
    assertThat(parsed).isNotNull();
    if (parsed instanceof AuthorizationHeader.Malformed m) {
      assertThat(m.message()).startsWith("authentication failed");
    }
  }

  @Property(tries = 3000)
  void parsingSchemeLikeInputNeverThrows(@ForAll("headerLike") String value) {
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(List.of(value), 1024);
    assertThat(parsed).isNotNull();
  }

  @Property(tries = 5000)
  void aFastPathBearerValueIsWhatTheFullParserMakesOfIt(@ForAll("bearerLike") String value) {
    if (AuthorizationHeader.fastPathForm(value, 1024) == AuthorizationHeader.FastPathForm.BEARER) {
      String token = value.substring(AuthorizationHeader.FAST_PATH_TOKEN_START);
      AuthorizationHeader.Parsed parsed = AuthorizationHeader.parseValue(value, 1024);
      if (ConstantTime.visibleTokenEqualsBit(ConstantTime.padded("x", 1024), 1, value, AuthorizationHeader.FAST_PATH_TOKEN_START) >= 0) {
        assertThat(parsed).isEqualTo(new AuthorizationHeader.Present(new BearerToken(token)));
      }
    }
  }

  @Property(tries = 5000)
  void theSecretTokenAnswerIsTheSameOnTheInPlacePathAndTheFullOne(@ForAll("bearerLike") String value) {
    Authenticator auth = Authenticator.builder().secretToken(CONFIGURED_TOKEN).build();
    // One value may take the in-place path; two identical values always go through the full parser.
    assertThat(auth.authenticate(List.of(value))).isEqualTo(auth.authenticate(List.of(value, value)));
    assertThat(auth.authenticateAsync(List.of(value), null).join()).isEqualTo(auth.authenticate(List.of(value, value)));
  }

  @Property(tries = 2000)
  void base64OfIdColonSecretParsesBackToTheSameId(@ForAll("ids") String id, @ForAll("secrets") String secret) {
    String encoded = Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(List.of("ApiKey " + encoded), 4096);
    assertThat(parsed).isInstanceOf(AuthorizationHeader.Present.class);
    ApiKeyCredential key = (ApiKeyCredential) ((AuthorizationHeader.Present) parsed).credential();
    assertThat(key.id()).isEqualTo(id);
    assertThat(new String(key.secretBytes(), StandardCharsets.UTF_8)).isEqualTo(secret);
  }

  @Property(tries = 2000)
  void noSecretEverAppearsInToStringOfACredentialOrOutcome(@ForAll("ids") String id, @ForAll("secrets") String secret) {
    ApiKeyCredential key = ApiKeyCredential.of(id, secret);
    BearerToken token = new BearerToken(secret);
    InMemoryKeyStore store = InMemoryKeyStore.builder().addSecret("stored", secret, List.of(Privilege.EVENT_WRITE)).build();
    Authenticator auth = Authenticator.builder().secretToken(secret + "x").apiKeys(CachingPrivilegeChecker.builder(store).build()).build();
    List<Object> shown = List.of(
        key,
        token,
        AuthorizationHeader.parseValue(key.authorizationValue(), AuthorizationHeader.DEFAULT_MAX_LENGTH),
        AuthorizationHeader.parseValue("Bearer " + secret, AuthorizationHeader.DEFAULT_MAX_LENGTH),
        auth,
        store,
        auth.authenticate(key.authorizationValue()),
        auth.authenticate(ApiKeyCredential.of("stored", secret).authorizationValue()),
        auth.authenticate("Bearer " + secret),
        auth.authenticate("Bearer " + secret).authorize(Privilege.SOURCEMAP_WRITE),
        auth.authenticate("Basic " + secret),
        auth.authenticate(List.of("Bearer " + secret, key.authorizationValue())));
    for (Object o : shown) {
      assertThat(o.toString()).doesNotContain(secret).doesNotContain(key.encoded());
    }
  }

  @Property(tries = 3000)
  void onlyTheCanonicalEncodingIsAccepted(@ForAll byte[] bytes, @ForAll("base64Chars") char replacement, @ForAll int position) {
    String canonical = Base64.getEncoder().encodeToString(bytes);
    if (canonical.isEmpty()) {
      return;
    }
    int dataChars = canonical.replace("=", "").length();
    int i = Math.floorMod(position, dataChars);
    String variant = canonical.substring(0, i) + replacement + canonical.substring(i + 1);
    AuthorizationHeader.Parsed parsed = AuthorizationHeader.parse(List.of("ApiKey " + variant), 4096);
    boolean decodesToOtherBytes = !java.util.Arrays.equals(Base64.getDecoder().decode(variant), bytes);
    boolean canonicalVariant = Base64.getEncoder().encodeToString(Base64.getDecoder().decode(variant)).equals(variant);
    if (!canonicalVariant) {
      assertThat(parsed).isEqualTo(new AuthorizationHeader.Malformed(
          dev.intakeauth.AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, "authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)"));
    } else {
      assertThat(decodesToOtherBytes || variant.equals(canonical)).isTrue();
      assertThat(parsed).isNotInstanceOf(AuthorizationHeader.Conflicting.class);
      if (parsed instanceof AuthorizationHeader.Malformed m) {
        assertThat(m.reason()).isEqualTo(dev.intakeauth.AuthResult.Unauthorized.Reason.IMPROPERLY_FORMATTED);
      }
    }
  }

  @Provide
  Arbitrary<Character> base64Chars() {
    return Arbitraries.chars().with("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray());
  }

  @Provide
  Arbitrary<String> ids() {
    return Arbitraries.strings().withCharRange('!', '~').excludeChars(':').ofMinLength(1).ofMaxLength(40);
  }

  @Provide
  Arbitrary<String> secrets() {
    // Long enough not to occur by chance inside the fixed text of a message.
    return Arbitraries.strings().withCharRange('!', '~').ofMinLength(12).ofMaxLength(80)
        .filter(s -> !s.contains("***"));
  }

  private static final String CONFIGURED_TOKEN = "s3cr\u00e9t-token";

  @Provide
  Arbitrary<String> bearerLike() {
    Arbitrary<String> scheme = Arbitraries.of("Bearer", "bearer", "BEARER", "Bearer ", "\tBearer", " Bearer", "Bearerx", "Beare");
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.just(CONFIGURED_TOKEN),
        Arbitraries.of(CONFIGURED_TOKEN + " ", CONFIGURED_TOKEN + "\t", CONFIGURED_TOKEN + "\u007f", "s3cret-token",
            CONFIGURED_TOKEN.substring(1), CONFIGURED_TOKEN + "x", "", CONFIGURED_TOKEN.toUpperCase(java.util.Locale.ROOT)),
        Arbitraries.strings().ofMaxLength(30),
        Arbitraries.strings().withCharRange('!', '~').ofMaxLength(1100));
    return scheme.flatMap(s -> token.map(t -> s + " " + t));
  }

  @Provide
  Arbitrary<String> headerLike() {
    Arbitrary<String> scheme = Arbitraries.of("Bearer", "ApiKey", "apikey", "BEARER", "Basic", "", " ", "ApiKey  ");
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(200),
        Arbitraries.strings().withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=:").ofMaxLength(200));
    return scheme.flatMap(s -> token.map(t -> s + " " + t));
  }
}
