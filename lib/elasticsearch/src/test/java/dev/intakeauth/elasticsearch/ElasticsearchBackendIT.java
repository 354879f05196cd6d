package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import dev.intakeauth.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequestInterceptor;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Elasticsearch backend against a real, secured Elasticsearch: API keys made through the real
 * {@code _security/api_key} API, requests counted at the HTTP client. Subclasses pick the version.
 * The outage tests stop and freeze the node, so they run last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ElasticsearchBackendIT {

  private static final Set<Privilege> ALL = Set.of(Privilege.EVENT_WRITE, Privilege.AGENT_CONFIG_READ, Privilege.SOURCEMAP_WRITE);

  private final String version;
  private ElasticsearchNode es;
  /** Why this version cannot run here (no JDK for it): every test is then reported as skipped. */
  private Optional<String> skipped = Optional.empty();
  private RestClient client;
  private final AtomicInteger hasPrivilegesCalls = new AtomicInteger();
  private final ManualClock clock = new ManualClock();
  private ExecutorService pool;

  ElasticsearchBackendIT(String version) {
    this.version = version;
  }

  @BeforeAll
  void start() {
    skipped = ElasticsearchNode.unrunnable(version);
    if (skipped.isPresent()) {
      return;
    }
    es = ElasticsearchNode.start(version);
    System.out.println("Elasticsearch " + version + " started in " + es.startupTime().toMillis() + " ms");
    client = RestClient.builder(new HttpHost("127.0.0.1", es.port(), "http"))
        .setRequestConfigCallback(rc -> rc.setConnectTimeout(1000).setSocketTimeout(2000))
        .setHttpClientConfigCallback(hc -> hc.addInterceptorLast((HttpRequestInterceptor) (request, context) -> {
          if (request.getRequestLine().getUri().endsWith("/_security/user/_has_privileges")) {
            hasPrivilegesCalls.incrementAndGet();
          }
        }))
        .build();
    pool = Executors.newFixedThreadPool(50);
    warmUp();
  }

  /**
   * A node just started or restarted can answer its first API-key checks slower than the tests'
   * deadlines on a busy machine; these tests are about the client, so the node is warmed first
   * (on its own HTTP client, not counted).
   */
  private void warmUp() {
    ElasticsearchNode.ApiKey k = es.createApiKey("warm-up", ElasticsearchNode.apmRole("event:write"), null);
    for (int i = 0; i < 3; i++) {
      es.request("ApiKey " + k.encoded(), "POST", "/_security/user/_has_privileges",
          "{\"application\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"-\"]}]}");
    }
  }

  @BeforeEach
  void skipWithoutJdk() {
    Assumptions.assumeTrue(skipped.isEmpty(), skipped::orElseThrow);
  }

  /** Null-safe: a start skipped for want of a JDK leaves nothing to stop. */
  @AfterAll
  void stop() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (client != null) {
      client.close();
    }
    if (es != null) {
      es.close();
    }
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(ElasticsearchPrivilegeChecker.using(client)).timeSource(clock).executor(Runnable::run);
  }

  private Authenticator authenticator(CachingPrivilegeChecker checker) {
    return Authenticator.builder().apiKeys(checker).build();
  }

  private ApiKeyCredential key(String name, String... privileges) {
    return expiringKey(name, null, privileges);
  }

  private ApiKeyCredential expiringKey(String name, String expiration, String... privileges) {
    ElasticsearchNode.ApiKey k = es.createApiKey(name, ElasticsearchNode.apmRole(privileges), expiration);
    return ApiKeyCredential.of(k.id(), k.apiKey());
  }

  private static AuthResult.Unauthorized unauthorized(AuthResult r) {
    assertThat(r).isInstanceOf(AuthResult.Unauthorized.class);
    return (AuthResult.Unauthorized) r;
  }

  @Test
  @Order(1)
  void aKeyGetsExactlyItsPrivileges() {
    Authenticator auth = authenticator(cache().build());
    ApiKeyCredential writer = key("writer", "event:write");
    AuthResult r = auth.authenticate(writer.authorizationValue());
    assertThat(r).isInstanceOf(AuthResult.Authenticated.class);
    AuthResult.Authenticated ok = (AuthResult.Authenticated) r;
    assertThat(ok.method()).isEqualTo(AuthMethod.API_KEY);
    assertThat(ok.privileges()).containsExactly(Privilege.EVENT_WRITE);
    assertThat(ok.keyId()).isEqualTo(writer.id());
    assertThat(ok.username()).isEqualTo(es.username());
    assertThat(r.authorize(Privilege.EVENT_WRITE)).isSameAs(r);
    assertThat(r.authorize(Privilege.AGENT_CONFIG_READ))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: API Key not permitted action \"config_agent:read\""));

    ApiKeyCredential all = key("all", "event:write", "config_agent:read", "sourcemap:write");
    assertThat(((AuthResult.Authenticated) auth.authenticate(all.authorizationValue())).privileges()).containsExactlyInAnyOrderElementsOf(ALL);

    ApiKeyCredential other = key("other-app-only", "something:else");
    assertThat(unauthorized(auth.authenticate(other.authorizationValue())).reason())
        .isEqualTo(AuthResult.Unauthorized.Reason.NO_PRIVILEGES);
  }

  @Test
  @Order(2)
  void unknownGarbageInvalidatedAndExpiredKeysAre401() throws Exception {
    Authenticator auth = authenticator(cache().build());
    assertThat(unauthorized(auth.authenticate(ApiKeyCredential.of("no-such-id", "whatever").authorizationValue())).reason())
        .isEqualTo(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS);

    ApiKeyCredential real = key("garbage-target", "event:write");
    assertThat(unauthorized(auth.authenticate(ApiKeyCredential.of(real.id(), "\u0001garbage\u00ff").authorizationValue())).message())
        .isEqualTo("authentication failed");

    ApiKeyCredential invalidated = key("to-invalidate", "event:write");
    es.invalidateApiKey(invalidated.id());
    assertThat(unauthorized(auth.authenticate(invalidated.authorizationValue())).reason())
        .isEqualTo(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS);

    ApiKeyCredential expiring = expiringKey("short-lived", "1s", "event:write");
    Thread.sleep(1500);
    assertThat(unauthorized(auth.authenticate(expiring.authorizationValue())).reason())
        .isEqualTo(AuthResult.Unauthorized.Reason.INVALID_CREDENTIALS);
  }

  @Test
  @Order(3)
  void aWrongSecretForARealIdIs401AndTheRightSecretWorksBeforeAndAfter() {
    Authenticator auth = authenticator(cache().build());
    ApiKeyCredential right = key("secret-pair", "event:write");
    ApiKeyCredential wrong = ApiKeyCredential.of(right.id(), "not-the-secret-123");
    assertThat(auth.authenticate(right.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(wrong.authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate(right.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);

    Authenticator fresh = authenticator(cache().build());
    ApiKeyCredential right2 = key("secret-pair-2", "event:write");
    assertThat(fresh.authenticate(ApiKeyCredential.of(right2.id(), "wrong-first-000").authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(fresh.authenticate(right2.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
  }

  @Test
  @Order(4)
  void anInvalidatedKeyIsRefusedOnceTheCacheLifetimeHasPassed() {
    Authenticator auth = authenticator(cache().expireAfterWrite(Duration.ofSeconds(5)).build());
    ApiKeyCredential k = key("invalidate-later", "event:write");
    assertThat(auth.authenticate(k.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    es.invalidateApiKey(k.id());
    clock.advance(Duration.ofSeconds(4));
    assertThat(auth.authenticate(k.authorizationValue())).as("still cached").isInstanceOf(AuthResult.Authenticated.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(auth.authenticate(k.authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
  }

  @Test
  @Order(5)
  void fiftyConcurrentFirstRequestsCauseOneHasPrivilegesCall() throws Exception {
    CachingPrivilegeChecker checker = cache().build();
    Authenticator auth = authenticator(checker);
    ApiKeyCredential k = key("concurrent", "event:write");
    int before = hasPrivilegesCalls.get();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<CompletableFuture<AuthResult>>> asks = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      asks.add(pool.submit(() -> {
        go.await();
        return auth.authenticateAsync(List.of(k.authorizationValue()), null);
      }));
    }
    go.countDown();
    for (Future<CompletableFuture<AuthResult>> ask : asks) {
      assertThat(ask.get().get()).isInstanceOf(AuthResult.Authenticated.class);
    }
    assertThat(hasPrivilegesCalls.get() - before).isEqualTo(1);
  }

  @Test
  @Order(6)
  void moreNewKeysThanTheBudgetGet503WhileCachedKeysKeepWorking() {
    Authenticator auth = authenticator(cache().newKeysPerMinute(3).build());
    List<ApiKeyCredential> keys = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      keys.add(key("budget-" + i, "event:write"));
    }
    for (int i = 0; i < 3; i++) {
      assertThat(auth.authenticate(keys.get(i).authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    }
    int before = hasPrivilegesCalls.get();
    AuthResult over = auth.authenticate(keys.get(3).authorizationValue());
    assertThat(over).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(((AuthResult.Unavailable) over).retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(auth.authenticate(keys.get(4).authorizationValue())).isInstanceOf(AuthResult.Unavailable.class);
    assertThat(auth.authenticate(keys.get(0).authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(hasPrivilegesCalls.get()).as("refused keys never reach Elasticsearch").isEqualTo(before);
    clock.advance(Duration.ofSeconds(20));
    assertThat(auth.authenticate(keys.get(3).authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
  }

  @Test
  @Order(7)
  void coldAndWarmPathLatency() {
    Authenticator auth = authenticator(cache().newKeysPerMinute(1000).build());
    List<ApiKeyCredential> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      keys.add(key("latency-" + i, "event:write"));
    }
    long[] cold = new long[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      long t = System.nanoTime();
      assertThat(auth.authenticate(keys.get(i).authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
      cold[i] = System.nanoTime() - t;
    }
    List<String> header = List.of(keys.get(0).authorizationValue());
    for (int i = 0; i < 200_000; i++) {
      auth.authenticate(header);
    }
    int n = 1_000_000;
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      if (!(auth.authenticate(header) instanceof AuthResult.Authenticated)) {
        throw new AssertionError("cache hit failed");
      }
    }
    long warm = (System.nanoTime() - t) / n;
    Arrays.sort(cold);
    System.out.printf("Elasticsearch %s: cold path (one _has_privileges round trip) median %.2f ms, max %.2f ms over %d keys; warm path (cache hit) %d ns/op over %d calls%n",
        version, cold[cold.length / 2] / 1e6, cold[cold.length - 1] / 1e6, cold.length, warm, n);
  }

  // --- key management, on the same node ---

  private ApiKeyManager admin() {
    return ApiKeyManager.create(ElasticsearchConnection.builder().hosts(es.url()).basicAuth(es.username(), es.password()).build());
  }

  private ApiKeyManager as(String user, String password) {
    return ApiKeyManager.create(ElasticsearchConnection.builder().hosts(es.url()).basicAuth(user, password).build());
  }

  private void createUser(String user, String password, String roleJson) {
    String role = user + "_role";
    assertThat(es.request("PUT", "/_security/role/" + role, roleJson).status()).isEqualTo(200);
    assertThat(es.request("PUT", "/_security/user/" + user, "{\"password\":\"" + password + "\",\"roles\":[\"" + role + "\"]}").status()).isEqualTo(200);
  }

  @Test
  @Order(8)
  void agentKeyLifecycleThroughTheJavaApi() {
    try (ApiKeyManager keys = admin()) {
      CreatedKey key = keys.createAgentKey("java-001", List.of(Privilege.EVENT_WRITE), "1d");
      assertThat(key.toString()).doesNotContain(key.apiKey());
      assertThat(key.expiration()).isBetween(java.time.Instant.now().plus(Duration.ofHours(23)), java.time.Instant.now().plus(Duration.ofHours(25)));
      assertThat(key.encoded()).isEqualTo(java.util.Base64.getEncoder().encodeToString((key.id() + ":" + key.apiKey()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));

      List<KeyInfo> byId = keys.info(KeySelector.byId(key.id()), false);
      assertThat(byId).singleElement().satisfies(k -> {
        assertThat(k.name()).isEqualTo("java-001");
        assertThat(k.metadataApplication()).isEqualTo("apm");
        assertThat(k.username()).isEqualTo(es.username());
        assertThat(k.invalidated()).isFalse();
      });
      assertThat(keys.info(KeySelector.byName("java-001"), true)).extracting(KeyInfo::id).contains(key.id());
      assertThat(keys.agentKeys(true)).extracting(KeyInfo::id).contains(key.id());

      assertThat(keys.verify(key.credential(), List.of())).containsExactly(
          java.util.Map.entry(Privilege.AGENT_CONFIG_READ, false), java.util.Map.entry(Privilege.EVENT_WRITE, true),
          java.util.Map.entry(Privilege.SOURCEMAP_WRITE, false));
      AuthResult viaBackend = authenticator(cache().build()).authenticate(key.credential().authorizationValue());
      assertThat(((AuthResult.Authenticated) viaBackend).privileges()).containsExactly(Privilege.EVENT_WRITE);

      Invalidation inv = keys.invalidate(KeySelector.byName("java-001"));
      assertThat(inv.invalidated()).contains(key.id());
      assertThat(inv.errorCount()).isZero();
      // Elasticsearch skips keys that are invalid already: a second invalidation is a no-op, not an error
      Invalidation again = keys.invalidate(KeySelector.byId(key.id()));
      assertThat(again.invalidated()).isEmpty();
      assertThat(again.errorCount()).isZero();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> keys.verify(key.credential(), List.of(Privilege.EVENT_WRITE)))
          .isInstanceOfSatisfying(KeyManagementException.class, e -> assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.INVALID_CREDENTIALS));
      assertThat(authenticator(cache().build()).authenticate(key.credential().authorizationValue())).isInstanceOf(AuthResult.Unauthorized.class);
      assertThat(keys.info(KeySelector.byId(key.id()), true)).isEmpty();
      assertThat(keys.info(KeySelector.byName("no-such-key-name"), false)).isEmpty();

      CreatedKey all = keys.createAgentKey("java-all", List.of(), null);
      assertThat(all.expiration()).isNull();
      assertThat(keys.verify(all.credential(), List.of()).values()).containsOnly(true);
    }
  }

  @Test
  @Order(8)
  void keyManagementErrorsAreSpecific() {
    try (ApiKeyManager keys = admin()) {
      assertThatKind(() -> keys.createAgentKey("x", List.of(Privilege.of("made:up")), null), KeyManagementException.Kind.INVALID_ARGUMENT);
      assertThatKind(() -> keys.createAgentKey("x", List.of(), "tomorrow"), KeyManagementException.Kind.INVALID_ARGUMENT);
      assertThatKind(() -> keys.info(new KeySelector(null, null), false), KeyManagementException.Kind.INVALID_ARGUMENT);
      assertThatKind(() -> keys.info(new KeySelector("a", "b"), false), KeyManagementException.Kind.INVALID_ARGUMENT);
    }
    try (ApiKeyManager wrong = as(es.username(), "not-the-password")) {
      assertThatKind(() -> wrong.createAgentKey("x", List.of(), null), KeyManagementException.Kind.UNAUTHORIZED);
    }
    try (ApiKeyManager nowhere = ApiKeyManager.create(ElasticsearchConnection.builder().hosts("http://127.0.0.1:1").basicAuth("a", "b").build())) {
      assertThatKind(() -> nowhere.agentKeys(false), KeyManagementException.Kind.UNREACHABLE);
    }
  }

  private static void assertThatKind(Runnable call, KeyManagementException.Kind kind) {
    org.assertj.core.api.Assertions.assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(KeyManagementException.class, e -> assertThat(e.kind()).isEqualTo(kind));
  }

  @Test
  @Order(9)
  void missingPrivilegesAreNamedAndTheManagerRoleIsEnough() {
    createUser("ingest_only", "ingest-only-pw", "{\"cluster\":[\"manage_own_api_key\"],\"applications\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"*\"]}]}");
    createUser("no_keys", "no-keys-pw", "{\"applications\":[{\"application\":\"apm\",\"privileges\":[\"event:write\"],\"resources\":[\"*\"]}]}");
    try (ApiKeyManager ingestOnly = as("ingest_only", "ingest-only-pw"); ApiKeyManager noKeys = as("no_keys", "no-keys-pw")) {
      assertThat(ingestOnly.createAgentKey("ok", List.of(Privilege.EVENT_WRITE), null).id()).isNotBlank();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> ingestOnly.createAgentKey("too-much", List.of(Privilege.EVENT_WRITE, Privilege.SOURCEMAP_WRITE), null))
          .isInstanceOfSatisfying(KeyManagementException.class, e -> {
            assertThat(e.kind()).isEqualTo(KeyManagementException.Kind.MISSING_PRIVILEGES);
            assertThat(e.missing()).containsExactly("apm:sourcemap:write");
            assertThat(e.getMessage()).contains("apm:sourcemap:write");
          });
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> noKeys.createAgentKey("none", List.of(Privilege.EVENT_WRITE), null))
          .isInstanceOfSatisfying(KeyManagementException.class, e -> assertThat(e.missing()).containsExactly("manage_own_api_key"));
    }
    try (ApiKeyManager keys = admin()) {
      assertThat(keys.createManagerRole("apm_agent_key_role", "default")).isTrue();
      assertThat(keys.createManagerRole("apm_agent_key_role", "default")).isFalse();
    }
    ElasticsearchNode.Response role = es.request("GET", "/_security/role/apm_agent_key_role", null);
    assertThat(role.json().path("apm_agent_key_role").path("cluster").toString()).contains("manage_own_api_key");
    assertThat(role.json().path("apm_agent_key_role").path("applications").toString()).contains("feature_apm.all").contains("sourcemap:write");
    assertThat(es.request("PUT", "/_security/user/key_maker", "{\"password\":\"key-maker-pw\",\"roles\":[\"apm_agent_key_role\"]}").status()).isEqualTo(200);
    try (ApiKeyManager maker = as("key_maker", "key-maker-pw")) {
      CreatedKey key = maker.createAgentKey("made-by-manager", List.of(), null);
      assertThat(maker.verify(key.credential(), List.of()).values()).containsOnly(true);
    }
  }

  @Test
  @Order(9)
  void serverKeysCarryTheirRoleDescriptorsAndTheBeatsFormat() {
    try (ApiKeyManager keys = admin()) {
      CreatedKey writer = keys.createServerKey("apm_host001", List.of(), "30d");
      assertThat(writer.beatsFormat()).isEqualTo(writer.id() + ":" + writer.apiKey());
      CreatedKey monitoring = keys.createServerKey("apm_monitor001", List.of(ServerKeyRole.MONITORING), null);
      String ask = "{\"index\":[{\"names\":[\"traces-apm-default\"],\"privileges\":[\"create_doc\"]},{\"names\":[\".monitoring-beats-8\"],\"privileges\":[\"create_doc\"]}]}";
      ElasticsearchNode.Response w = es.request("ApiKey " + writer.encoded(), "POST", "/_security/user/_has_privileges", ask);
      assertThat(w.json().path("index").path("traces-apm-default").path("create_doc").asBoolean()).isTrue();
      assertThat(w.json().path("index").path(".monitoring-beats-8").path("create_doc").asBoolean()).isFalse();
      ElasticsearchNode.Response m = es.request("ApiKey " + monitoring.encoded(), "POST", "/_security/user/_has_privileges", ask);
      assertThat(m.json().path("index").path("traces-apm-default").path("create_doc").asBoolean()).isFalse();
      assertThat(m.json().path("index").path(".monitoring-beats-8").path("create_doc").asBoolean()).isTrue();
    }
  }

  @Test
  @Order(10)
  void elasticsearchStoppedIsA503WithinTheDeadlineAndCachedKeysKeepTheirAnswers() {
    CachingPrivilegeChecker checker = cache().deadline(Duration.ofSeconds(1)).staleIfError(Duration.ofSeconds(30)).build();
    Authenticator auth = authenticator(checker);
    ApiKeyCredential cached = key("cached-before-outage", "event:write");
    ApiKeyCredential unseen = key("unseen-before-outage", "event:write");
    assertThat(auth.authenticate(cached.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
    es.stop();
    try {
      AuthResult r = assertTimeoutPreemptively(Duration.ofSeconds(3), () -> auth.authenticate(unseen.authorizationValue()));
      assertThat(r).isInstanceOf(AuthResult.Unavailable.class);
      assertThat(auth.authenticate(cached.authorizationValue())).as("cached answer").isInstanceOf(AuthResult.Authenticated.class);
      clock.advance(Duration.ofSeconds(61));
      assertThat(auth.authenticate(cached.authorizationValue())).as("stale answer within the grace").isInstanceOf(AuthResult.Authenticated.class);
      clock.advance(Duration.ofSeconds(30));
      assertThat(auth.authenticate(cached.authorizationValue())).as("grace over").isInstanceOf(AuthResult.Unavailable.class);
    } finally {
      es.restart();
    }
    warmUp();
    // A node just restarted may need longer than the 1 s deadline for its first answers on a loaded
    // machine; recovery means a later attempt succeeds with the same checker, past the breaker's cool-down.
    AuthResult recovered = null;
    for (int attempt = 0; attempt < 20 && !(recovered instanceof AuthResult.Authenticated); attempt++) {
      clock.advance(Duration.ofSeconds(10));
      recovered = auth.authenticate(unseen.authorizationValue());
      if (!(recovered instanceof AuthResult.Authenticated)) {
        assertThat(recovered).as("while the node warms up").isInstanceOf(AuthResult.Unavailable.class);
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
    assertThat(recovered).as("recovered without a restart of ours").isInstanceOf(AuthResult.Authenticated.class);
  }

  @Test
  @Order(11)
  void frozenElasticsearchIsA503WithinTheDeadlineNotAHangAndRecovers() {
    CachingPrivilegeChecker checker = cache().deadline(Duration.ofMillis(1500)).breakerThreshold(2).breakerCoolDown(Duration.ofSeconds(5)).build();
    Authenticator auth = authenticator(checker);
    ApiKeyCredential k1 = key("frozen-1", "event:write");
    ApiKeyCredential k2 = key("frozen-2", "event:write");
    ApiKeyCredential k3 = key("frozen-3", "event:write");
    es.freeze();
    try {
      for (ApiKeyCredential k : List.of(k1, k2)) {
        long t = System.nanoTime();
        AuthResult r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> auth.authenticate(k.authorizationValue()));
        assertThat(r).isInstanceOf(AuthResult.Unavailable.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(4));
      }
      int before = hasPrivilegesCalls.get();
      AuthResult fast = assertTimeoutPreemptively(Duration.ofMillis(500), () -> auth.authenticate(k3.authorizationValue()));
      assertThat(fast).as("breaker open: fail fast").isInstanceOf(AuthResult.Unavailable.class);
      assertThat(hasPrivilegesCalls.get()).isEqualTo(before);
    } finally {
      es.thaw();
    }
    clock.advance(Duration.ofSeconds(5));
    AuthResult recovered = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> auth.authenticate(k3.authorizationValue()));
    assertThat(recovered).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(k1.authorizationValue())).isInstanceOf(AuthResult.Authenticated.class);
  }
}
