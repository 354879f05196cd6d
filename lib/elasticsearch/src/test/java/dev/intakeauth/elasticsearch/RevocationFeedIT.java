package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApplicationPrivileges;
import com.fasterxml.jackson.databind.JsonNode;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthListener;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.RevocationFeed;
import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.Node;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.jspecify.annotations.Nullable;

/**
 * The revocation feed against a real, secured Elasticsearch: keys made and invalidated through the
 * real API, two caching checkers ("two intake servers") sharing it, the feed's least privilege.
 * Subclasses pick the version.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RevocationFeedIT {

  private static final Duration LIFETIME = Duration.ofMinutes(10);
  private static final Duration PERIOD = Duration.ofSeconds(2);
  private static final Duration BOUND = Duration.ofSeconds(5);
  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;

  private final String version;
  private final boolean hasReadSecurity;
  private ElasticsearchNode es;
  /** Why this version cannot run here (no JDK for it): every test is then reported as skipped. */
  private Optional<String> skipped = Optional.empty();
  /** Agent-side client: no credentials. */
  private RestClient agents;

  RevocationFeedIT(String version, boolean hasReadSecurity) {
    this.version = version;
    this.hasReadSecurity = hasReadSecurity;
  }

  @BeforeAll
  void start() {
    skipped = ElasticsearchNode.unrunnable(version);
    if (skipped.isPresent()) {
      return;
    }
    es = ElasticsearchNode.start(version);
    System.out.println("Elasticsearch " + version + " started in " + es.startupTime().toMillis() + " ms");
    agents = RestClient.builder(new HttpHost("127.0.0.1", es.port(), "http")).build();
    // The first key creates the security index; wait until its shards answer searches.
    es.createApiKey("warm-up", null, null);
    assertThat(es.request("GET", "/_cluster/health?wait_for_status=green&timeout=60s", null).status()).isEqualTo(200);
  }

  @BeforeEach
  void skipWithoutJdk() {
    Assumptions.assumeTrue(skipped.isEmpty(), skipped::orElseThrow);
  }

  /** Null-safe: a start skipped for want of a JDK leaves nothing to stop. */
  @AfterAll
  void stop() throws Exception {
    if (agents != null) {
      agents.close();
    }
    if (es != null) {
      es.close();
    }
  }

  private ElasticsearchConnection.Builder connection() {
    return ElasticsearchConnection.builder().hosts(es.url());
  }

  private ApiKeyManager admin() {
    return ApiKeyManager.create(connection().socketTimeout(Duration.ofSeconds(30)).basicAuth(es.username(), es.password()).build());
  }

  /** A user with one role of these cluster privileges, for the feed's credential. */
  private ElasticsearchConnection feedUser(String user, String clusterPrivilege) {
    String password = user + "-password";
    assertThat(es.request("PUT", "/_security/role/" + user + "_role", "{\"cluster\":[\"" + clusterPrivilege + "\"]}").status()).isEqualTo(200);
    assertThat(es.request("PUT", "/_security/user/" + user, "{\"password\":\"" + password + "\",\"roles\":[\"" + user + "_role\"]}").status()).isEqualTo(200);
    return connection().basicAuth(user, password).build();
  }

  /** The least privilege that shows every user's keys on this version. */
  private ElasticsearchConnection leastPrivileged() {
    return feedUser("feed_least", hasReadSecurity ? "read_security" : "manage_api_key");
  }

  private CachingPrivilegeChecker instance() {
    return CachingPrivilegeChecker.builder(ElasticsearchPrivilegeChecker.using(agents))
        .expireAfterWrite(LIFETIME)
        .newKeysPerMinute(100_000)
        .build();
  }

  /** An agent key as made: its credential and, if it expires, when. */
  private record Key(ApiKeyCredential credential, @Nullable Instant expiration) {
    String id() {
      return credential.id();
    }
  }

  /** Makes agent keys as the superuser, a few at a time. */
  private List<Key> agentKeys(int count, String prefix, @Nullable String expiration) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Key>> made = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = prefix + "-" + i;
        made.add(pool.submit(() -> agentKey(name, expiration)));
      }
      List<Key> keys = new ArrayList<>();
      for (Future<Key> f : made) {
        keys.add(f.get());
      }
      return keys;
    } finally {
      pool.shutdown();
    }
  }

  private Key agentKey(String name, @Nullable String expiration) {
    String body = "{\"name\":\"" + name + "\",\"role_descriptors\":" + ElasticsearchNode.apmRole("event:write")
        + (expiration == null ? "" : ",\"expiration\":\"" + expiration + "\"") + "}";
    ElasticsearchNode.Response r = es.request("POST", "/_security/api_key", body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode json = r.json();
    Instant expires = json.hasNonNull("expiration") ? Instant.ofEpochMilli(json.get("expiration").asLong()) : null;
    return new Key(ApiKeyCredential.of(json.get("id").asText(), json.get("api_key").asText()), expires);
  }

  /** Warms an instance's cache with every key, all at once. */
  private static void warm(CachingPrivilegeChecker instance, List<Key> keys) {
    List<CompletableFuture<CheckResult>> answers = new ArrayList<>();
    for (Key key : keys) {
      answers.add(instance.checkAsync(key.credential(), APM));
    }
    for (CompletableFuture<CheckResult> answer : answers) {
      assertThat(answer.join()).isInstanceOf(CheckResult.Granted.class);
    }
  }

  private static boolean granted(CachingPrivilegeChecker checker, Key key) {
    return checker.check(key.credential(), APM) instanceof CheckResult.Granted;
  }

  @Test
  void theLeastPrivilegeSeesEveryUsersKeysAndOwnKeysOnlyIsDetected() throws Exception {
    Key invalidated = agentKey("privilege", null);
    Key valid = agentKey("privilege-valid", null);
    es.invalidateApiKey(invalidated.id());
    Set<String> asked = Set.of(invalidated.id(), valid.id(), "no-such-key-id");

    try (ElasticsearchRevocationSource least = ElasticsearchRevocationSource.create(leastPrivileged())) {
      assertThat(least.revoked(asked).get()).containsExactly(invalidated.id());
      awaitCheck(least);
      assertThat(least.seesEveryKey()).isTrue();
    }
    if (!hasReadSecurity) {
      assertThat(es.request("PUT", "/_security/role/read_security_role", "{\"cluster\":[\"read_security\"]}").status())
          .as("7.17 has no read_security").isEqualTo(400);
    }
    // The role the apikey tool gives an intake server's own key for the feed.
    try (ApiKeyManager admin = admin()) {
      CreatedKey serverKey = admin.createServerKey("feed-server-key",
          List.of(hasReadSecurity ? ServerKeyRole.REVOCATION_FEED : ServerKeyRole.REVOCATION_FEED_MANAGE_API_KEY), null);
      try (ElasticsearchRevocationSource asKey = ElasticsearchRevocationSource.create(connection().apiKey(serverKey.encoded()).build())) {
        assertThat(asKey.revoked(asked).get()).containsExactly(invalidated.id());
      }
    }
    // Only its own keys: nothing of the others is revoked, and the source says so.
    try (ElasticsearchRevocationSource own = ElasticsearchRevocationSource.create(feedUser("feed_own", "manage_own_api_key"))) {
      assertThat(own.revoked(asked).get()).isEmpty();
      awaitCheck(own);
      assertThat(own.seesEveryKey()).isFalse();
    }
    // No privilege at all: every round fails, with the privilege to grant named.
    try (ElasticsearchRevocationSource none = ElasticsearchRevocationSource.create(feedUser("feed_none", "monitor"))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> none.revoked(asked).join())
          .hasRootCauseMessage("the intake server's credential may not query API keys (403): grant it the cluster privilege read_security"
              + " (Elasticsearch 8.x) or manage_api_key (7.17)");
    }
    try (ElasticsearchRevocationSource wrong = ElasticsearchRevocationSource.create(connection().basicAuth("feed_least", "wrong").build())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> wrong.revoked(asked).join())
          .hasRootCauseMessage("Elasticsearch refused the intake server's credential (401)");
    }
  }

  private static void awaitCheck(ElasticsearchRevocationSource source) throws InterruptedException {
    for (int i = 0; i < 100 && source.seesEveryKey() == null; i++) {
      Thread.sleep(50);
    }
  }

  @Test
  void aHundredInvalidationsAreRefusedByBothInstancesWithinTheBound() throws Exception {
    int n = 100;
    List<Key> keys = agentKeys(n, "revoke", null);
    List<CachingPrivilegeChecker> instances = List.of(instance(), instance());
    List<RevocationFeed> feeds = new ArrayList<>();
    List<ElasticsearchRevocationSource> sources = new ArrayList<>();
    ElasticsearchConnection server = leastPrivileged();
    AtomicBoolean stop = new AtomicBoolean();
    try {
      for (CachingPrivilegeChecker instance : instances) {
        warm(instance, keys);
        sources.add(ElasticsearchRevocationSource.create(server));
        feeds.add(RevocationFeed.builder(instance, sources.get(sources.size() - 1)).period(PERIOD).build().start());
      }
      long[] invalidatedAt = new long[n];
      AtomicLongArray refusedAt = new AtomicLongArray(2 * n);
      List<Thread> checkers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int instance = i;
        Thread t = new Thread(() -> recheck(instances.get(instance), keys, refusedAt, instance * n, stop), "recheck-" + instance);
        t.setDaemon(true);
        t.start();
        checkers.add(t);
      }
      long t0 = System.nanoTime();
      // One key per call; an invalidation returns once it is searchable (after an index refresh, up to
      // a second), so a few run side by side, spread over several feed periods.
      ExecutorService invalidators = Executors.newFixedThreadPool(5);
      List<Future<?>> done = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int key = k;
        done.add(invalidators.submit(() -> {
          es.invalidateApiKey(keys.get(key).id());
          invalidatedAt[key] = System.nanoTime();
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      invalidators.shutdown();
      long invalidating = System.nanoTime() - t0;
      for (Thread t : checkers) {
        t.join(Duration.ofSeconds(30).toMillis());
      }
      stop.set(true);
      long[] latencies = new long[2 * n];
      for (int i = 0; i < 2 * n; i++) {
        long refused = refusedAt.get(i);
        assertThat(refused).as("pair %d refused within 30 s of the last invalidation", i).isNotZero();
        latencies[i] = refused - invalidatedAt[i % n];
      }
      Arrays.sort(latencies);
      String summary = String.format("Elasticsearch %s: revocation latency over %d (instance, key) pairs (%d invalidations over %d s),"
              + " feed every %d s, cache lifetime %d min: p50 %d ms, p95 %d ms, p99 %d ms, max %d ms",
          version, latencies.length, n, Duration.ofNanos(invalidating).toSeconds(), PERIOD.toSeconds(), LIFETIME.toMinutes(),
          millis(latencies, 0.50), millis(latencies, 0.95), millis(latencies, 0.99), latencies[latencies.length - 1] / 1_000_000);
      System.out.println(summary);
      assertThat(Duration.ofMillis(millis(latencies, 0.99))).as(summary).isLessThanOrEqualTo(BOUND);
    } finally {
      stop.set(true);
      feeds.forEach(RevocationFeed::close);
      sources.forEach(ElasticsearchRevocationSource::close);
      instances.forEach(CachingPrivilegeChecker::invalidateAll);
    }
  }

  /** Checks each key not yet refused through the cache every 50 ms, noting when it is first refused. */
  private static void recheck(CachingPrivilegeChecker instance, List<Key> keys, AtomicLongArray refusedAt, int offset, AtomicBoolean stop) {
    int left = keys.size();
    while (left > 0 && !stop.get()) {
      for (int k = 0; k < keys.size(); k++) {
        if (refusedAt.get(offset + k) == 0 && !granted(instance, keys.get(k))) {
          refusedAt.set(offset + k, System.nanoTime());
          left--;
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static long millis(long[] sorted, double quantile) {
    int index = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1_000_000;
  }

  @Test
  void expiredKeysAreRefusedWithinTheBoundAfterTheirExpiration() throws Exception {
    int n = 10;
    List<Key> keys = agentKeys(n, "expiring", "10s");
    List<CachingPrivilegeChecker> instances = List.of(instance(), instance());
    List<RevocationFeed> feeds = new ArrayList<>();
    List<ElasticsearchRevocationSource> sources = new ArrayList<>();
    ElasticsearchConnection server = leastPrivileged();
    try {
      for (CachingPrivilegeChecker instance : instances) {
        warm(instance, keys);
        sources.add(ElasticsearchRevocationSource.create(server));
        feeds.add(RevocationFeed.builder(instance, sources.get(sources.size() - 1)).period(PERIOD).build().start());
      }
      long worst = 0;
      for (Key key : keys) {
        assertThat(key.expiration()).isNotNull();
        for (CachingPrivilegeChecker instance : instances) {
          while (granted(instance, key)) {
            Thread.sleep(50);
            assertThat(Instant.now()).as("still granted long after it expired").isBefore(key.expiration().plus(Duration.ofSeconds(30)));
          }
          worst = Math.max(worst, Duration.between(key.expiration(), Instant.now()).toMillis());
        }
      }
      System.out.printf("Elasticsearch %s: %d keys expiring after 10 s, on 2 instances, refused at most %d ms after their expiration%n",
          version, n, worst);
      assertThat(Duration.ofMillis(worst)).isLessThanOrEqualTo(BOUND);
    } finally {
      feeds.forEach(RevocationFeed::close);
      sources.forEach(ElasticsearchRevocationSource::close);
    }
  }

  @Test
  void unreachableElasticsearchIsReportedChangesNothingAndRecovers() throws Exception {
    Key key = agentKey("outage", null);
    CachingPrivilegeChecker instance = instance();
    assertThat(granted(instance, key)).isTrue();
    es.invalidateApiKey(key.id());
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    AuthListener listener = new AuthListener() {
      @Override
      public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
        heard.add(succeeded);
      }
    };
    Header credential = new BasicHeader("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
        (es.username() + ":" + es.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    try (RestClient client = RestClient.builder(new HttpHost("127.0.0.1", 1, "http")).setDefaultHeaders(new Header[] {credential}).build()) {
      RevocationFeed feed = RevocationFeed.builder(instance, ElasticsearchRevocationSource.using(client)).listener(listener).build();
      assertThat(feed.checkNow().succeeded()).isFalse();
      assertThat(feed.checkNow().succeeded()).isFalse();
      assertThat(feed.health().consecutiveFailures()).isEqualTo(2);
      assertThat(feed.health().lastSuccess()).isNull();
      assertThat(granted(instance, key)).as("neither evicted nor extended").isTrue();
      assertThat(instance.cachedKeyIds()).containsExactly(key.id());

      client.setNodes(List.of(new Node(new HttpHost("127.0.0.1", es.port(), "http"))));
      RevocationFeed.Round recovered = feed.checkNow();
      assertThat(recovered.succeeded()).isTrue();
      assertThat(recovered.revoked()).isEqualTo(1);
      assertThat(feed.health().consecutiveFailures()).isZero();
      assertThat(feed.health().lastSuccess()).isNotNull();
      assertThat(granted(instance, key)).isFalse();
      assertThat(heard).containsExactly(false, false, true);
    }
  }

}
