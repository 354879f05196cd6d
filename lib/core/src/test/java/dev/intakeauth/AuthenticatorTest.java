package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.AuthResult.Authenticated;
import dev.intakeauth.AuthResult.Unauthorized;
import dev.intakeauth.AuthResult.Unauthorized.Reason;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {

  private static final Set<Privilege> ALL = Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE);

  private final GeneratedKey writer = GeneratedKey.generate("writer", List.of(Privilege.EVENT_WRITE), null);
  private final GeneratedKey everything = GeneratedKey.generate("all", ALL, null);
  private final GeneratedKey nothing = GeneratedKey.generate("none", List.of(), null);
  private final CachingPrivilegeChecker store = CachingPrivilegeChecker.builder(
      InMemoryKeyStore.builder().add(writer).add(everything).add(nothing).build()).build();

  private static Unauthorized unauthorized(AuthResult r) {
    assertThat(r).isInstanceOf(Unauthorized.class);
    return (Unauthorized) r;
  }

  @Test
  void bearerValuesAtAndPastTheMaximumLengthNeverReadPastTheSecretAndGetTheFullParsersAnswer() {
    // The in-place comparison reads the secret at each presented index: a value at the maximum length,
    // one past it, and a secret longer than the maximum must all answer, never throw.
    String longSecret = "s".repeat(40);
    for (String secret : List.of("abc", longSecret)) {
      Authenticator auth = Authenticator.builder().secretToken(secret).maxCredentialLength(32).build();
      String atMax = "Bearer " + "x".repeat(32 - 7);
      assertThat(unauthorized(auth.authenticate(atMax)).reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
      assertThat(unauthorized(auth.authenticate(atMax + "x")).reason()).isEqualTo(Reason.TOO_LONG);
      assertThat(unauthorized(auth.authenticate("Bearer " + secret + "x")).reason())
          .isIn(Reason.INVALID_CREDENTIALS, Reason.TOO_LONG);
    }
    Authenticator auth = Authenticator.builder().secretToken("abc").maxCredentialLength(32).build();
    assertThat(auth.authenticate("Bearer abc")).isInstanceOf(Authenticated.class);
  }

  @Test
  void withNothingConfiguredEveryRequestGetsEveryPrivilege() {
    Authenticator auth = Authenticator.builder().build();
    for (String value : new String[] {null, "", "Bearer x", "garbage", "ApiKey !!!"}) {
      assertThat(auth.authenticate(value)).isEqualTo(new Authenticated(AuthMethod.NONE, ALL, null, null));
    }
  }

  @Test
  void secretTokenGrantsEverythingAndAnythingElseIs401() {
    Authenticator auth = Authenticator.builder().secretToken("s3cret").build();
    assertThat(auth.authenticate("Bearer s3cret")).isEqualTo(new Authenticated(AuthMethod.SECRET_TOKEN, ALL, null, null));
    assertThat(auth.authenticate("bearer s3cret")).isInstanceOf(Authenticated.class);
    assertThat(unauthorized(auth.authenticate("Bearer s3cre")).message()).isEqualTo("authentication failed");
    assertThat(unauthorized(auth.authenticate("Bearer s3cret2")).reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
    assertThat(unauthorized(auth.authenticate((String) null)).message()).isEqualTo(AuthorizationHeader.MISSING_MESSAGE);
    assertThat(unauthorized(auth.authenticate((String) null)).reason()).isEqualTo(Reason.MISSING);
  }

  @Test
  void apiKeyWhenApiKeysAreDisabledAndBearerWhenNoTokenAreAuthenticationFailed() {
    Authenticator tokenOnly = Authenticator.builder().secretToken("t").build();
    Unauthorized u = unauthorized(tokenOnly.authenticate(writer.credential().authorizationValue()));
    assertThat(u.message()).isEqualTo("authentication failed");
    assertThat(u.reason()).isEqualTo(Reason.METHOD_DISABLED);

    Authenticator keysOnly = Authenticator.builder().apiKeys(store).build();
    assertThat(unauthorized(keysOnly.authenticate("Bearer t")).reason()).isEqualTo(Reason.METHOD_DISABLED);
  }

  @Test
  void apiKeysGetExactlyTheBackendsPrivileges() {
    Authenticator auth = Authenticator.builder().apiKeys(store).build();
    AuthResult r = auth.authenticate(writer.credential().authorizationValue());
    assertThat(r).isEqualTo(new Authenticated(AuthMethod.API_KEY, Set.of(Privilege.EVENT_WRITE), "writer", null));
    assertThat(r.authorize(Privilege.EVENT_WRITE)).isSameAs(r);
    assertThat(r.authorize(Privilege.AGENT_CONFIG_READ))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: API Key not permitted action \"config_agent:read\""));
    assertThat(r.authorize(Privilege.AGENT_CONFIG_READ).status()).isEqualTo(403);
    assertThat(auth.authenticate(List.of(everything.credential().authorizationValue())).authorize(Privilege.SOURCEMAP_WRITE))
        .isInstanceOf(Authenticated.class);
  }

  @Test
  void aKeyWithNoneOfThePrivilegesFailsAuthentication() {
    Authenticator auth = Authenticator.builder().apiKeys(store).build();
    Unauthorized u = unauthorized(auth.authenticate(nothing.credential().authorizationValue()));
    assertThat(u.reason()).isEqualTo(Reason.NO_PRIVILEGES);
    assertThat(u.status()).isEqualTo(401);
  }

  @Test
  void unknownKeysAndWrongSecretsAre401() {
    Authenticator auth = Authenticator.builder().apiKeys(store).build();
    assertThat(unauthorized(auth.authenticate(ApiKeyCredential.of("writer", "nope").authorizationValue())).reason())
        .isEqualTo(Reason.INVALID_CREDENTIALS);
    assertThat(unauthorized(auth.authenticate(ApiKeyCredential.of("ghost", "nope").authorizationValue())).message())
        .isEqualTo("authentication failed");
  }

  @Test
  void bothMethodsAtOnce() {
    Authenticator auth = Authenticator.builder().secretToken("t").apiKeys(store).build();
    assertThat(((Authenticated) auth.authenticate("Bearer t")).method()).isEqualTo(AuthMethod.SECRET_TOKEN);
    assertThat(((Authenticated) auth.authenticate(writer.credential().authorizationValue())).method()).isEqualTo(AuthMethod.API_KEY);
  }

  @Test
  void malformedHeadersAre401WithTheParsersMessage() {
    Authenticator auth = Authenticator.builder().secretToken("t").build();
    Unauthorized u = unauthorized(auth.authenticate("ApiKey %%%%"));
    assertThat(u.reason()).isEqualTo(Reason.IMPROPERLY_ENCODED);
    assertThat(unauthorized(auth.authenticate("Digest x")).reason()).isEqualTo(Reason.UNKNOWN_SCHEME);
    assertThat(unauthorized(auth.authenticate("Bearer wrong")).reason()).isEqualTo(Reason.INVALID_CREDENTIALS);
  }

  @Test
  void noCredentialIsTheMissing401WhateverTheRoute() {
    // Anonymous access is the access layer's decision (AccessControlTest); here it is always the 401.
    Authenticator auth = Authenticator.builder().secretToken("t").build();
    AuthResult missing = auth.authenticate(List.of());
    assertThat(missing).isEqualTo(new Unauthorized(Reason.MISSING, AuthorizationHeader.MISSING_MESSAGE));
    assertThat(auth.authenticate("  ")).isEqualTo(missing);
    assertThat(auth.authenticateAsync(List.of(""), null).join()).isEqualTo(missing);
    assertThat(missing.authorize(Privilege.SOURCEMAP_WRITE)).isSameAs(missing);
  }

  @Test
  void differingDuplicateHeadersAre400() {
    Authenticator auth = Authenticator.builder().secretToken("t").build();
    AuthResult r = auth.authenticate(List.of("Bearer t", "Bearer u"));
    assertThat(r).isEqualTo(new AuthResult.InvalidRequest("invalid request: multiple differing Authorization headers"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(auth.authenticate(List.of("Bearer t", "Bearer t"))).isInstanceOf(Authenticated.class);
  }

  @Test
  void tooLongCredentialsAre401() {
    Authenticator auth = Authenticator.builder().secretToken("t").maxCredentialLength(16).build();
    assertThat(unauthorized(auth.authenticate("Bearer " + "t".repeat(20))).reason()).isEqualTo(Reason.TOO_LONG);
  }

  @Test
  void customApplicationPrivileges() {
    ApplicationPrivileges app = ApplicationPrivileges.of("otel", "*", "traces:write", "metrics:write");
    InMemoryKeyStore keys = InMemoryKeyStore.builder().addSecret("k", "s", List.of(Privilege.of("traces:write"), Privilege.EVENT_WRITE)).build();
    Authenticator auth = Authenticator.builder().privileges(app).apiKeys(CachingPrivilegeChecker.builder(keys).build()).build();
    AuthResult r = auth.authenticate(ApiKeyCredential.of("k", "s").authorizationValue());
    assertThat(r).isEqualTo(new Authenticated(AuthMethod.API_KEY, Set.of(Privilege.of("traces:write")), "k", null));
    assertThat(r.authorize(app.privilege("metrics:write")))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: API Key not permitted action \"metrics:write\""));
    assertThat(((Authenticated) Authenticator.builder().privileges(app).secretToken("t").build().authenticate("Bearer t")).privileges())
        .containsExactlyInAnyOrderElementsOf(app.privileges());
  }

  @Test
  void aBackendThatThrowsOrAnswersNullIsUnavailableNotACrash() {
    PrivilegeChecker throwing = (c, s) -> {
      throw new IllegalStateException("boom " + c.encoded());
    };
    PrivilegeChecker failing = (c, s) -> CompletableFuture.failedFuture(new RuntimeException("boom"));
    PrivilegeChecker nulls = (c, s) -> CompletableFuture.completedFuture(null);
    String header = writer.credential().authorizationValue();
    for (PrivilegeChecker backend : List.of(throwing, failing, nulls)) {
      Authenticator auth = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(backend).build()).build();
      AuthResult sync = auth.authenticate(header);
      AuthResult async = auth.authenticateAsync(List.of(header), null).join();
      for (AuthResult r : List.of(sync, async)) {
        assertThat(r).isInstanceOf(AuthResult.Unavailable.class);
        assertThat(r.status()).isEqualTo(503);
        assertThat(((AuthResult.Unavailable) r).message()).isEqualTo("service unavailable");
        assertThat(((AuthResult.Unavailable) r).retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(r.toString()).doesNotContain(writer.secret()).doesNotContain(writer.credential().encoded());
      }
    }
  }

  @Test
  void asyncGivesTheSameAnswersAsBlocking() {
    Authenticator auth = Authenticator.builder().secretToken("t").apiKeys(store).build();
    List<List<String>> inputs = List.of(
        List.of(), List.of("Bearer t"), List.of("Bearer x"), List.of("Basic x"),
        List.of(writer.credential().authorizationValue()), List.of(ApiKeyCredential.of("writer", "bad").authorizationValue()),
        List.of("a", "b"));
    for (List<String> in : inputs) {
      assertThat(auth.authenticateAsync(in, null).join()).isEqualTo(auth.authenticate(in));
    }
  }

  @Test
  void toStringShowsTheConfigurationNotTheToken() {
    Authenticator auth = Authenticator.builder().secretToken("very-secret-token").apiKeys(store).build();
    assertThat(auth.toString()).contains("secretToken=set").doesNotContain("very-secret-token");
    assertThat(auth.secretTokenEnabled()).isTrue();
    assertThat(auth.apiKeysEnabled()).isTrue();
  }
}
