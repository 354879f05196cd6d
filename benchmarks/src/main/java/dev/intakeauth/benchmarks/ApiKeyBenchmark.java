package dev.intakeauth.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hot path: an API key whose answer is cached, authorized for {@code event:write}, beside the
 * floor of a bare Caffeine {@code getIfPresent} and a bare SHA-256 of the same bytes. Run with
 * {@code -t 1} and {@code -t 2}, and {@code -prof gc} for allocation per operation.
 *
 * <p>{@code apiKeyCacheHitFullParse} sends the same value twice, which takes the full parser and the
 * cache's full lookup instead of the fast path. {@code apiKeyCacheHitWithListener} is the hot path
 * with a listener set that counts hits, as a metrics binding would.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class ApiKeyBenchmark {

  private Authenticator authenticator;
  private Authenticator authenticatorWithListener;
  private final CountingListener counting = new CountingListener();
  private List<String> header;
  private List<String> headerTwice;
  private String encoded;
  private byte[] encodedBytes;
  private Cache<String, Object> bareCache;

  /** A SHA-256 digest per benchmark thread, as the library keeps one per thread. */
  @State(Scope.Thread)
  public static class Digest {
    MessageDigest sha256;

    /**
     * Makes the digest.
     *
     * @throws NoSuchAlgorithmException never
     */
    @Setup
    public void setUp() throws NoSuchAlgorithmException {
      sha256 = MessageDigest.getInstance("SHA-256");
    }
  }

  /** Counts cache hits and misses, as a metrics binding's counters would. */
  static final class CountingListener implements AuthListener {
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();

    @Override
    public void onCacheHit() {
      hits.increment();
    }

    @Override
    public void onCacheMiss() {
      misses.increment();
    }
  }

  /** One key in an in-process key store behind the caching checker, its answer cached. */
  @Setup
  public void setUp() {
    GeneratedKey key = GeneratedKey.generate(GeneratedKey.newId(), List.of(Privilege.EVENT_WRITE), null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key).build();
    CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(store).build();
    authenticator = Authenticator.builder().apiKeys(checker).build();
    authenticatorWithListener = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(store).listener(counting).build()).build();
    ApiKeyCredential credential = key.credential();
    header = List.of(credential.authorizationValue());
    headerTwice = List.of(credential.authorizationValue(), credential.authorizationValue());
    if (!(authenticator.authenticate(header).authorize(Privilege.EVENT_WRITE) instanceof AuthResult.Authenticated)) {
      throw new IllegalStateException("the benchmark key does not authenticate");
    }
    long calls = checker.backendCalls();
    authenticator.authenticate(header);
    authenticator.authenticate(headerTwice);
    if (checker.backendCalls() != calls) {
      throw new IllegalStateException("the benchmark key is not answered from the cache");
    }
    authenticatorWithListener.authenticate(header);
    authenticatorWithListener.authenticate(header);
    if (counting.hits.sum() != 1 || counting.misses.sum() != 1) {
      throw new IllegalStateException("the listener does not hear the hit");
    }
    encoded = credential.encoded();
    encodedBytes = encoded.getBytes(StandardCharsets.US_ASCII);
    bareCache = Caffeine.newBuilder().maximumSize(100_000).build();
    bareCache.put(encoded, Boolean.TRUE);
  }

  /** The hot path: authenticate and authorize a key whose answer is cached. */
  @Benchmark
  public AuthResult apiKeyCacheHit() {
    return authenticator.authenticate(header).authorize(Privilege.EVENT_WRITE);
  }

  /** The hot path with a listener set that counts each hit. */
  @Benchmark
  public AuthResult apiKeyCacheHitWithListener() {
    return authenticatorWithListener.authenticate(header).authorize(Privilege.EVENT_WRITE);
  }

  /** The same key through the full parser and the cache's full lookup. */
  @Benchmark
  public AuthResult apiKeyCacheHitFullParse() {
    return authenticator.authenticate(headerTwice).authorize(Privilege.EVENT_WRITE);
  }

  /** Floor part: a bare Caffeine {@code getIfPresent} (size-bounded cache, one entry). */
  @Benchmark
  public Object bareCaffeineGetIfPresent() {
    return bareCache.getIfPresent(encoded);
  }

  /** Floor part: a bare SHA-256 of the encoded credential's bytes. */
  @Benchmark
  public byte[] bareSha256(Digest d) {
    d.sha256.reset();
    return d.sha256.digest(encodedBytes);
  }

  /** The floor: both of the above. */
  @Benchmark
  public void floorCaffeinePlusSha256(Digest d, Blackhole bh) {
    d.sha256.reset();
    bh.consume(d.sha256.digest(encodedBytes));
    bh.consume(bareCache.getIfPresent(encoded));
  }
}
