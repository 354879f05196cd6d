package dev.intakeauth.benchmarks;

import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
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
 * The secret-token check per request ({@code Authenticator.authenticate} on a {@code Bearer} value),
 * matching and mismatching, short and long tokens, with one configured token or two (a rotation:
 * every presented token is compared with both), beside the JDK's constant-time
 * {@code MessageDigest.isEqual} on ready-made byte arrays of the same lengths (the floor for a
 * constant-time comparison that starts from bytes).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class SecretTokenBenchmark {

  /** Token length in characters: from 16 (short) to 128 (long). */
  @Param({"16", "32", "64", "128"})
  public int length;

  /** How many tokens are configured: 1, or 2 during a rotation. */
  @Param({"1", "2"})
  public int tokens;

  private Authenticator authenticator;
  private List<String> match;
  private List<String> matchSecond;
  private List<String> mismatchFirst;
  private List<String> mismatchLast;
  private byte[] tokenBytes;
  private byte[] wrongBytes;

  /** Builds a token of the chosen length and wrong tokens of the same length. */
  @Setup
  public void setUp() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append((char) ('a' + (i * 7) % 26));
    }
    String token = sb.toString();
    // The second token differs from the first in every place, so neither is near the other.
    String second = token.toUpperCase(java.util.Locale.ROOT);
    authenticator = Authenticator.builder().secretTokens(tokens == 1 ? List.of(token) : List.of(token, second)).build();
    match = List.of("Bearer " + token);
    matchSecond = List.of("Bearer " + (tokens == 1 ? token : second));
    mismatchFirst = List.of("Bearer " + "#" + token.substring(1));
    mismatchLast = List.of("Bearer " + token.substring(0, length - 1) + "#");
    if (!(authenticator.authenticate(match) instanceof AuthResult.Authenticated)
        || !(authenticator.authenticate(matchSecond) instanceof AuthResult.Authenticated)
        || authenticator.authenticate(mismatchFirst) instanceof AuthResult.Authenticated
        || authenticator.authenticate(mismatchLast) instanceof AuthResult.Authenticated) {
      throw new IllegalStateException("the benchmark's tokens do not behave as intended");
    }
    tokenBytes = token.getBytes(StandardCharsets.UTF_8);
    wrongBytes = ("#" + token.substring(1)).getBytes(StandardCharsets.UTF_8);
  }

  /** The right token. */
  @Benchmark
  public AuthResult match() {
    return authenticator.authenticate(match);
  }

  /** The second configured token (the first when only one is configured). */
  @Benchmark
  public AuthResult matchSecond() {
    return authenticator.authenticate(matchSecond);
  }

  /** A wrong token of the same length, differing in the first character. */
  @Benchmark
  public AuthResult mismatchFirstChar() {
    return authenticator.authenticate(mismatchFirst);
  }

  /** A wrong token of the same length, differing in the last character. */
  @Benchmark
  public AuthResult mismatchLastChar() {
    return authenticator.authenticate(mismatchLast);
  }

  /** The floor: {@code MessageDigest.isEqual} of ready-made byte arrays of the token's length. */
  @Benchmark
  public boolean floorMessageDigestIsEqual() {
    return MessageDigest.isEqual(tokenBytes, wrongBytes);
  }
}
