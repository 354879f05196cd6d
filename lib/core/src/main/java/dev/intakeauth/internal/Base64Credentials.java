package dev.intakeauth.internal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The {@code base64(id:secret)} that HTTP Basic and Elasticsearch's {@code ApiKey} scheme both send. */
public final class Base64Credentials {

  private Base64Credentials() {}

  /**
   * Encodes a pair as standard, padded base64 of its UTF-8 bytes joined by {@code :}. The result
   * carries the secret: never log it.
   *
   * @param id a user name or an API key id
   * @param secret the password or the API key
   * @return {@code base64(id:secret)}
   */
  public static String encode(String id, String secret) {
    return Base64.getEncoder().encodeToString((id + ':' + secret).getBytes(StandardCharsets.UTF_8));
  }
}
