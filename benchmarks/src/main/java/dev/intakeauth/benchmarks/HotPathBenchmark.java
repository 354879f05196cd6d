package dev.intakeauth.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.AuthorizationHeader;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The per-request cost: parsing, the secret-token check, and an API key answered from the cache,
 * beside the floor of a bare Caffeine lookup plus a bare SHA-256 of the same bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HotPathBenchmark {

  private Authenticator secretToken;
  private Authenticator apiKeys;
  private List<String> tokenHeader;
  private List<String> wrongTokenHeader;
  private List<String> apiKeyHeader;
  private byte[] apiKeyBytes;
  private String encodedKey;
  private MessageDigest sha256;
  private Cache<String, Object> bareCache;

  /** Builds the authenticators and warms the cache with one key. */
  @Setup
  public void setUp() throws NoSuchAlgorithmException {
    secretToken = Authenticator.builder().secretToken("a-secret-token-of-32-characters!").build();
    tokenHeader = List.of("Bearer a-secret-token-of-32-characters!");
    wrongTokenHeader = List.of("Bearer a-secret-token-of-32-characters?");
    InMemoryKeyStore.NewKey key = InMemoryKeyStore.generateKey(InMemoryKeyStore.newId(), List.of(Privilege.EVENT_WRITE), null);
    InMemoryKeyStore store = InMemoryKeyStore.builder().add(key.stored()).build();
    apiKeys = Authenticator.builder().apiKeys(CachingPrivilegeChecker.builder(store).executor(Runnable::run).build()).build();
    ApiKeyCredential credential = key.credential();
    apiKeyHeader = List.of(credential.authorizationValue());
    if (!(apiKeys.authenticate(apiKeyHeader) instanceof AuthResult.Authenticated)) {
      throw new IllegalStateException("the benchmark key does not authenticate");
    }
    apiKeyBytes = credential.encoded().getBytes(StandardCharsets.ISO_8859_1);
    sha256 = MessageDigest.getInstance("SHA-256");
    bareCache = Caffeine.newBuilder().maximumSize(100_000).build();
    encodedKey = credential.encoded();
    bareCache.put(encodedKey, Boolean.TRUE);
  }

  /** Parsing an {@code ApiKey} header. */
  @Benchmark
  public AuthorizationHeader.Parsed parseApiKey() {
    return AuthorizationHeader.parse(apiKeyHeader, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** The secret-token path, matching token. */
  @Benchmark
  public AuthResult secretTokenMatch() {
    return secretToken.authenticate(tokenHeader);
  }

  /** The secret-token path, wrong token of the same length. */
  @Benchmark
  public AuthResult secretTokenMismatch() {
    return secretToken.authenticate(wrongTokenHeader);
  }

  /** An API key answered from the cache: the hot path. */
  @Benchmark
  public AuthResult apiKeyCacheHit() {
    return apiKeys.authenticate(apiKeyHeader).authorize(Privilege.EVENT_WRITE);
  }

  /** The floor: a bare Caffeine lookup plus a bare SHA-256 of the same bytes. */
  @Benchmark
  public void floorCaffeinePlusSha256(Blackhole bh) {
    sha256.reset();
    bh.consume(sha256.digest(apiKeyBytes));
    bh.consume(bareCache.getIfPresent(encodedKey));
  }
}
