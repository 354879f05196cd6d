package dev.intakeauth.testing;

import dev.intakeauth.ApiKeyCredential;
import java.security.SecureRandom;
import java.util.Base64;

/** Ready-made credentials and {@code Authorization} header values for tests. */
public final class TestCredentials {

  /** A secret token for tests. */
  public static final String SECRET_TOKEN = "test-secret-token";

  /** An API key for tests: id {@code test-key-id}. */
  public static final ApiKeyCredential API_KEY = ApiKeyCredential.of("test-key-id", "test-key-secret");

  /** Another API key with the same id and a different secret. */
  public static final ApiKeyCredential API_KEY_WRONG_SECRET = ApiKeyCredential.of("test-key-id", "wrong-secret");

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestCredentials() {}

  /**
   * An {@code Authorization} value for a secret token.
   *
   * @param token the token
   * @return {@code Bearer <token>}
   */
  public static String bearer(String token) {
    return "Bearer " + token;
  }

  /**
   * An {@code Authorization} value for an API key.
   *
   * @param id the key id
   * @param secret the key secret
   * @return {@code ApiKey <base64(id:secret)>}
   */
  public static String apiKey(String id, String secret) {
    return ApiKeyCredential.of(id, secret).authorizationValue();
  }

  /**
   * A fresh API key with a random id and secret.
   *
   * @return a credential no other call returns
   */
  public static ApiKeyCredential randomApiKey() {
    return ApiKeyCredential.of(random(15), random(16));
  }

  private static String random(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }
}
