package dev.intakeauth.benchmarks;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.ApplicationPrivileges;
import dev.intakeauth.AuthListener;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.CheckResult;
import dev.intakeauth.Privilege;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the operator's and the revocation feed's calls cost on a full cache: {@code invalidate(keyId)}
 * (a scan of every cached answer; the id is not cached, so every call scans the same cache) and
 * {@code cachedKeyIds()}, with and without a listener.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class InvalidateBenchmark {

  /** How many answers are cached. */
  @Param("100000")
  public int entries;

  /** Whether a listener is set (then each removal is counted and told). */
  @Param({"false", "true"})
  public boolean listener;

  private CachingPrivilegeChecker checker;

  /** Fills the cache with one answer per key, each its own id. */
  @Setup
  public void setUp() {
    CheckResult granted = new CheckResult.Granted(Set.of(Privilege.EVENT_WRITE), null);
    CachingPrivilegeChecker.Builder builder =
        CachingPrivilegeChecker.builder((credential, scope) -> CompletableFuture.completedFuture(granted))
            .newKeysPerMinute(Integer.MAX_VALUE)
            .maximumSize(2L * entries);
    if (listener) {
      builder.listener(new AuthListener() {});
    }
    checker = builder.build();
    for (int i = 0; i < entries; i++) {
      checker.check(ApiKeyCredential.of("key-" + i, "secret-" + i), ApplicationPrivileges.APM);
    }
    if (checker.cachedKeyIds().size() != entries) {
      throw new IllegalStateException("the cache does not hold every answer");
    }
  }

  /** {@code invalidate} of an id that is not cached: the scan, with nothing removed. */
  @Benchmark
  public CachingPrivilegeChecker invalidateOneId() {
    checker.invalidate("not-cached");
    return checker;
  }

  /** The ids of every usable answer. */
  @Benchmark
  public Set<String> cachedKeyIds() {
    return checker.cachedKeyIds();
  }
}
