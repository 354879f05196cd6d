package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.testes.ElasticsearchNode;
import dev.intakeauth.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.junit.jupiter.api.BeforeAll;
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
  private RestClient client;
  private final AtomicInteger hasPrivilegesCalls = new AtomicInteger();
  private final ManualClock clock = new ManualClock();
  private ExecutorService pool;

  ElasticsearchBackendIT(String version) {
    this.version = version;
  }

  @BeforeAll
  void start() {
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
  }

  @AfterAll
  void stop() throws Exception {
    pool.shutdownNow();
    client.close();
    es.close();
  }

  private CachingPrivilegeChecker.Builder cache() {
    return CachingPrivilegeChecker.builder(ElasticsearchPrivilegeChecker.using(client)).ticker(clock).executor(Runnable::run);
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
        return auth.authenticateAsync(List.of(k.authorizationValue()));
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
    clock.advance(Duration.ofSeconds(10));
    assertThat(auth.authenticate(unseen.authorizationValue())).as("recovered without a restart of ours").isInstanceOf(AuthResult.Authenticated.class);
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
