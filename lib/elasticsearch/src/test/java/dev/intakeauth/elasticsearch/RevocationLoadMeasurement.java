package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthListener;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.RevocationFeed;
import dev.intakeauth.testelasticsearch.ElasticsearchNode;
import dev.intakeauth.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequestInterceptor;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Elasticsearch requests per minute at steady state with 1,000 keys in constant use, with and without
 * the revocation feed, against a real Elasticsearch. Not part of the build (it makes 1,000 keys and
 * runs for minutes); run it by hand:
 *
 * <pre>
 * ./mvnw -o -pl lib/elasticsearch -am verify -Dit.test=RevocationLoadMeasurement -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false [-Dload.version=7.17.10]
 * </pre>
 *
 * <p>Method: a checker on a manual clock in front of the real backend. Every simulated second each
 * key is checked once (all cache hits but for refreshes and expiries); the keys are first used spread
 * over one lifetime, so that their refreshes are spread too; after each second the test waits for the
 * background refreshes to settle. Calls are counted where they leave for Elasticsearch, over a
 * window that starts after two lifetimes; feed rounds run on the simulated clock, each a real query.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationLoadMeasurement {

  private static final int KEYS = 1_000;
  private static final Duration WINDOW = Duration.ofMinutes(5);
  private static final ApplicationPrivileges APM = ApplicationPrivileges.APM;

  private final String version = System.getProperty("load.version", "8.15.0");
  private ElasticsearchNode es;
  private RestClient agents;
  private RestClient server;
  private final AtomicInteger hasPrivileges = new AtomicInteger();
  private final AtomicInteger queries = new AtomicInteger();
  private final List<ApiKeyCredential> keys = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    es = ElasticsearchNode.start(version);
    es.createApiKey("warm-up", null, null);
    es.request("GET", "/_cluster/health?wait_for_status=green&timeout=60s", null);
    agents = RestClient.builder(new HttpHost("127.0.0.1", es.port(), "http"))
        .setHttpClientConfigCallback(hc -> hc.addInterceptorLast((HttpRequestInterceptor) (request, context) -> {
          if (request.getRequestLine().getUri().endsWith("/_security/user/_has_privileges")) {
            hasPrivileges.incrementAndGet();
          }
        }))
        .build();
    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString((es.username() + ":" + es.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    server = RestClient.builder(new HttpHost("127.0.0.1", es.port(), "http"))
        .setDefaultHeaders(new org.apache.http.Header[] {new org.apache.http.message.BasicHeader("Authorization", basic)})
        .setHttpClientConfigCallback(hc -> hc.addInterceptorLast((HttpRequestInterceptor) (request, context) -> {
          if (request.getRequestLine().getUri().contains("/_security/_query/api_key")) {
            queries.incrementAndGet();
          }
        }))
        .build();
    // A creation returns after an index refresh: many at once share the wait.
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<ElasticsearchNode.ApiKey>> made = new ArrayList<>();
    long t = System.nanoTime();
    for (int i = 0; i < KEYS; i++) {
      int n = i;
      made.add(pool.submit(() -> es.createApiKey("load-" + n, ElasticsearchNode.apmRole("event:write"), null)));
    }
    for (Future<ElasticsearchNode.ApiKey> f : made) {
      ElasticsearchNode.ApiKey k = f.get();
      keys.add(ApiKeyCredential.of(k.id(), k.apiKey()));
    }
    pool.shutdown();
    System.out.printf("Elasticsearch %s: %d keys made in %d s%n", version, KEYS, Duration.ofNanos(System.nanoTime() - t).toSeconds());
  }

  @AfterAll
  void stop() throws Exception {
    agents.close();
    server.close();
    es.close();
  }

  @Test
  void requestsPerMinuteAtSteadyState() throws Exception {
    double without = run(Duration.ofSeconds(60), null);
    double feed2 = run(Duration.ofMinutes(10), Duration.ofSeconds(2));
    double feed5 = run(Duration.ofMinutes(10), Duration.ofSeconds(5));
    System.out.printf("Elasticsearch %s, %d keys each used every second: requests per minute at steady state:%n", version, KEYS);
    System.out.printf("  lifetime 60 s, no feed: %.0f%n", without);
    System.out.printf("  lifetime 10 min, feed every 2 s: %.0f%n", feed2);
    System.out.printf("  lifetime 10 min, feed every 5 s: %.0f%n", feed5);
    assertThat(feed2).isLessThan(without);
  }

  /** Runs one setting to steady state and returns Elasticsearch requests per minute over the window. */
  private double run(Duration lifetime, Duration period) throws Exception {
    ManualClock clock = new ManualClock();
    Settling backend = new Settling(ElasticsearchPrivilegeChecker.using(agents));
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(backend)
        .timeSource(clock).executor(Runnable::run).expireAfterWrite(lifetime).newKeysPerMinute(100_000).build();
    List<Long> roundNanos = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Rounds are timed on the real clock: the simulated one stands still while a round runs.
    RevocationFeed feed = period == null ? null
        : RevocationFeed.builder(checker, ElasticsearchRevocationSource.using(server)).deadline(Duration.ofSeconds(30)).listener(new AuthListener() {
          @Override
          public void onRevocationCheck(boolean succeeded, int keyIdsChecked, int revoked, long durationNanos) {
            roundNanos.add(durationNanos);
          }
        }).build();
    long lifetimeSeconds = lifetime.toSeconds();
    long windowStart = 2 * lifetimeSeconds;
    long end = windowStart + WINDOW.toSeconds();
    int callsAtStart = 0;
    int queriesAtStart = 0;
    for (long second = 0; second < end; second++) {
      if (second == windowStart) {
        backend.settle();
        callsAtStart = hasPrivileges.get();
        queriesAtStart = queries.get();
      }
      // The keys come into use spread over the first lifetime, and then stay in use.
      int inUse = (int) Math.min(KEYS, (second + 1) * KEYS / lifetimeSeconds);
      for (int k = 0; k < inUse; k++) {
        CheckResult r = checker.checkAsync(keys.get(k), APM).get();
        if (!(r instanceof CheckResult.Granted)) {
          throw new AssertionError("key " + k + " not granted at " + second + " s: " + r);
        }
      }
      backend.settle();
      if (feed != null && second >= windowStart && second % period.toSeconds() == 0) {
        assertThat(feed.checkNow().succeeded()).isTrue();
      }
      clock.advance(Duration.ofSeconds(1));
    }
    backend.settle();
    double minutes = WINDOW.toSeconds() / 60.0;
    int calls = hasPrivileges.get() - callsAtStart;
    int feedRequests = queries.get() - queriesAtStart;
    System.out.printf("  lifetime %s, feed %s: %d _has_privileges + %d query API keys requests in %.0f simulated minutes%n",
        lifetime, period == null ? "off" : period, calls, feedRequests, minutes);
    if (!roundNanos.isEmpty()) {
      long[] sorted = roundNanos.stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf("    feed round over %d cached ids: median %.1f ms, max %.1f ms (real time)%n",
          KEYS, sorted[sorted.length / 2] / 1e6, sorted[sorted.length - 1] / 1e6);
    }
    return (calls + feedRequests) / minutes;
  }

  /** Counts calls in flight, so that the test can wait for background refreshes to settle. */
  private static final class Settling implements PrivilegeChecker {
    private final PrivilegeChecker delegate;
    private final AtomicInteger inFlight = new AtomicInteger();

    Settling(PrivilegeChecker delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableFuture<CheckResult> checkAsync(ApiKeyCredential credential, ApplicationPrivileges scope) {
      inFlight.incrementAndGet();
      return delegate.checkAsync(credential, scope).whenComplete((r, e) -> inFlight.decrementAndGet());
    }

    void settle() throws InterruptedException {
      while (inFlight.get() > 0) {
        Thread.sleep(2);
      }
      // Let the cache take in what just settled.
      Thread.sleep(5);
    }
  }
}
