package dev.intakeauth.benchmarks;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.AuthorizationHeader;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The full {@code Authorization} parser on both schemes, valid and malformed, beside the JDK's base64
 * decoding of the same token (the floor for an {@code ApiKey} value). The request hot paths skip this
 * parser for plain values (see {@link SecretTokenBenchmark} and {@link ApiKeyBenchmark}); it is what
 * every other value, and every first sight of a key, goes through.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class HeaderParsingBenchmark {

  private final String apiKeyToken = ApiKeyCredential.of("VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw").encoded();
  private final List<String> bearer = List.of("Bearer a-secret-token-of-32-characters!");
  private final List<String> apiKey = List.of("ApiKey " + apiKeyToken);
  private final List<String> apiKeyNotBase64 = List.of("ApiKey " + apiKeyToken.replace('V', '%'));
  private final List<String> apiKeyNoColon = List.of("ApiKey " + Base64.getEncoder().encodeToString("VuaCfGcBCdbkQm-e5aOx".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  private final List<String> unknownScheme = List.of("Basic dXNlcjpwYXNzd29yZA==");
  private final List<String> noToken = List.of("Bearer");
  private final List<String> tooLong = List.of("Bearer " + "x".repeat(2000));

  /** A valid {@code Bearer} value. */
  @Benchmark
  public AuthorizationHeader.Parsed bearerValid() {
    return AuthorizationHeader.parse(bearer, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** A valid {@code ApiKey} value (base64 of a 20-character id and a 22-character secret). */
  @Benchmark
  public AuthorizationHeader.Parsed apiKeyValid() {
    return AuthorizationHeader.parse(apiKey, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** An {@code ApiKey} value that is not base64. */
  @Benchmark
  public AuthorizationHeader.Parsed apiKeyNotBase64() {
    return AuthorizationHeader.parse(apiKeyNotBase64, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** An {@code ApiKey} value that decodes to something without {@code :}. */
  @Benchmark
  public AuthorizationHeader.Parsed apiKeyNoColon() {
    return AuthorizationHeader.parse(apiKeyNoColon, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** A scheme the library does not know. */
  @Benchmark
  public AuthorizationHeader.Parsed unknownScheme() {
    return AuthorizationHeader.parse(unknownScheme, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** A scheme with no token. */
  @Benchmark
  public AuthorizationHeader.Parsed noToken() {
    return AuthorizationHeader.parse(noToken, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** A value over the maximum length: refused before anything is decoded. */
  @Benchmark
  public AuthorizationHeader.Parsed tooLong() {
    return AuthorizationHeader.parse(tooLong, AuthorizationHeader.DEFAULT_MAX_LENGTH);
  }

  /** The floor for a valid {@code ApiKey} value: the JDK's base64 decoding of its token. */
  @Benchmark
  public byte[] floorJdkBase64Decode() {
    return Base64.getDecoder().decode(apiKeyToken);
  }
}
