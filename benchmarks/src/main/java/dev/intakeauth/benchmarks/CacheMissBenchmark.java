package dev.intakeauth.benchmarks;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.PrivilegeChecker;
import dev.intakeauth.Privilege;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Keys the cache has not seen. {@code miss}: every call a key not in the cache (262,144 keys cycled
 * through a cache of 10,000), answered by an in-process backend that grants at once, beside
 * {@code hit}, one cached key through the same authenticator. {@code newKeyBurst}: 32 threads ask
 * for one new key at the same moment while the backend takes 1 ms to answer; the counters
 * {@code backendCalls} and {@code bursts} are summed over each iteration, and equal when every burst
 * made one backend call (the goal: concurrent first requests share one call).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class CacheMissBenchmark {

  private static final int KEYS = 1 << 18;
  private static final int BURST = 32;
  private static final CheckResult GRANTED = new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), "bench");

  private Authenticator instant;
  private List<List<String>> headers;
  private List<String> cachedHeader;
  private int next;

  private CachingPrivilegeChecker slowChecker;
  private Authenticator slow;
  private ExecutorService burstThreads;
  private final AtomicInteger burstKey = new AtomicInteger();

  /** Counters reported by JMH beside the time, summed over each iteration's bursts. */
  @AuxCounters(AuxCounters.Type.EVENTS)
  @State(Scope.Thread)
  public static class Burst {
    /** Bursts run. */
    public long bursts;
    /** Backend calls made: equal to {@link #bursts} when every burst shares one call. */
    public long backendCalls;
    /** Answers that were not "authenticated", summed over bursts. */
    public long notAuthenticated;
  }

  /** Builds the keys, the instant backend and the slow backend's thread pool. */
  @Setup(Level.Trial)
  public void setUp() {
    PrivilegeChecker instantBackend = (credential, scope) -> CompletableFuture.completedFuture(GRANTED);
    instant = Authenticator.builder()
        .apiKeys(CachingPrivilegeChecker.builder(instantBackend).maximumSize(10_000).newKeysPerMinute(1_000_000_000).build())
        .build();
    headers = new ArrayList<>(KEYS);
    for (int i = 0; i < KEYS; i++) {
      headers.add(List.of(ApiKeyCredential.of("key-" + i, "secret-of-key-" + i).authorizationValue()));
    }
    cachedHeader = List.of(ApiKeyCredential.of("cached", "secret-of-the-cached-key").authorizationValue());
    instant.authenticate(cachedHeader);

    PrivilegeChecker slowBackend = (credential, scope) ->
        CompletableFuture.supplyAsync(() -> GRANTED, CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS));
    slowChecker = CachingPrivilegeChecker.builder(slowBackend).newKeysPerMinute(1_000_000_000).build();
    slow = Authenticator.builder().apiKeys(slowChecker).build();
    burstThreads = Executors.newFixedThreadPool(BURST);
  }

  /** Stops the burst threads. */
  @TearDown(Level.Trial)
  public void tearDown() {
    burstThreads.shutdownNow();
  }

  /** A key the cache has not seen, answered by the in-process backend. */
  @Benchmark
  public AuthResult miss() {
    List<String> header = headers.get(next);
    next = (next + 1) & (KEYS - 1);
    return instant.authenticate(header);
  }

  /** A cached key through the same authenticator, for the ratio. */
  @Benchmark
  public AuthResult hit() {
    return instant.authenticate(cachedHeader);
  }

  /**
   * One burst: 32 threads released at once ask for the same new key.
   *
   * @param counters where backend calls and denials are counted
   * @throws Exception if a burst thread fails
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void newKeyBurst(Burst counters) throws Exception {
    int k = burstKey.incrementAndGet();
    List<String> header = List.of(ApiKeyCredential.of("burst-" + k, "secret-of-burst-key-" + k).authorizationValue());
    CountDownLatch ready = new CountDownLatch(BURST);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<AuthResult>> answers = new ArrayList<>(BURST);
    long before = slowChecker.backendCalls();
    for (int i = 0; i < BURST; i++) {
      answers.add(burstThreads.submit(() -> {
        ready.countDown();
        go.await();
        return slow.authenticate(header);
      }));
    }
    ready.await();
    go.countDown();
    for (Future<AuthResult> answer : answers) {
      if (!(answer.get() instanceof AuthResult.Authenticated)) {
        counters.notAuthenticated++;
      }
    }
    counters.backendCalls += slowChecker.backendCalls() - before;
    counters.bursts++;
  }
}
