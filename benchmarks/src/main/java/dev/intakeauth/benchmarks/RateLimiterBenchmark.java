package dev.intakeauth.benchmarks;

import dev.intakeauth.AuthResult;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The anonymous rate limiter per request, beside the same table built on Bucket4j's bucket: the
 * evidence for keeping the limiter's own small token bucket rather than adding a dependency to core.
 * A budget large enough never to run out, so both measure the allowed path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RateLimiterBenchmark {

  private static final int IPS = 1000;

  private AnonymousRateLimiter limiter;
  private Map<String, Bucket> bucket4j;
  private String[] ips;
  private int next;

  /** Fills both tables with 1000 addresses. */
  @Setup
  public void setUp() {
    limiter = AnonymousRateLimiter.builder().eventsPerSecond(1_000_000_000).maxClients(IPS).build();
    bucket4j = new LinkedHashMap<>(16, 0.75f, true);
    ips = new String[IPS];
    for (int i = 0; i < IPS; i++) {
      ips[i] = "10.0." + (i / 256) + "." + (i % 256);
      limiter.tryAcquire(ips[i], 1);
      bucket4j.put(ips[i], newBucket());
    }
  }

  private static Bucket newBucket() {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(3_000_000_000L).refillGreedy(1_000_000_000L, Duration.ofSeconds(1)).build())
        .build();
  }

  /** intake-auth's limiter: table lookup plus its token bucket. */
  @Benchmark
  public AuthResult.RateLimited intakeAuthLimiter() {
    String ip = ips[next++ % IPS];
    return limiter.tryAcquire(ip, 1);
  }

  /** The same access-ordered table with a Bucket4j bucket per address. */
  @Benchmark
  public boolean bucket4jTable() {
    String ip = ips[next++ % IPS];
    Bucket bucket;
    synchronized (bucket4j) {
      bucket = bucket4j.computeIfAbsent(ip, k -> newBucket());
    }
    return bucket.tryConsume(1);
  }
}
