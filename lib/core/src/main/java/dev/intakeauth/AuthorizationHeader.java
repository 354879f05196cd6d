package dev.intakeauth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Parses {@code Authorization} header values strictly and safely.
 *
 * <p>Every input, however hostile, yields one of the {@link Parsed} results; nothing here throws
 * for bad input. The rules:
 *
 * <ul>
 *   <li>no value, or only empty values: {@link Missing};
 *   <li>two or more values that differ: {@link Conflicting} (a 400: differing duplicates are a
 *       known way to slip one credential past a proxy and another past the server);
 *   <li>a value longer than the maximum: {@link Malformed}, and nothing of it is decoded;
 *   <li>the scheme is matched case-insensitively; one or more spaces separate it from the token;
 *       surrounding spaces and tabs are ignored;
 *   <li>{@code ApiKey} tokens are strict, padded, canonical standard base64 of {@code id:secret}
 *       with a non-empty id (the bytes before the first {@code :}) and a non-empty secret.
 * </ul>
 */
public final class AuthorizationHeader {

  /** The default maximum length of a header value, in characters: 1 KiB. */
  public static final int DEFAULT_MAX_LENGTH = 1024;

  private static final String EXPECTED =
      "expected 'Authorization: Bearer secret_token' or 'Authorization: ApiKey base64(API key ID:API key)'";

  /** Message for a missing or unusable header. */
  public static final String MISSING_MESSAGE =
      "authentication failed: missing or improperly formatted Authorization header: " + EXPECTED;

  /** Message for an {@code ApiKey} token that is not base64. */
  public static final String IMPROPERLY_ENCODED_MESSAGE =
      "authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)";

  /** Message for an {@code ApiKey} token whose decoded value is not {@code id:secret}. */
  public static final String IMPROPERLY_FORMATTED_MESSAGE =
      "authentication failed: improperly formatted ApiKey credentials: expected base64(ID:APIKey)";

  /** Message for a header value over the maximum length. */
  public static final String TOO_LONG_MESSAGE =
      "authentication failed: Authorization header exceeds the maximum length";

  /** Message for differing duplicate headers. */
  public static final String CONFLICTING_MESSAGE =
      "invalid request: multiple differing Authorization headers";

  private static final int MAX_ECHOED_SCHEME = 32;

  /** Where the token of a {@link #isPlainBearer plain} {@code Bearer} or {@code ApiKey} value starts. */
  static final int PLAIN_TOKEN_START = 7;

  private AuthorizationHeader() {}

  /** What a header parses to. */
  public sealed interface Parsed permits Missing, Present, Malformed, Conflicting {}

  /** No credential at all: the request may be anonymous. */
  public enum Missing implements Parsed {
    /** The only value. */
    INSTANCE
  }

  /**
   * A well-formed credential.
   *
   * @param credential the credential
   */
  public record Present(Credential credential) implements Parsed {
    /**
     * Checks for null.
     *
     * @param credential the credential
     */
    public Present {
      Objects.requireNonNull(credential, "credential");
    }
  }

  /**
   * A header that is present but unusable: a 401 that never falls back to anonymous.
   *
   * @param reason why
   * @param message the message for the client
   */
  public record Malformed(AuthResult.Unauthorized.Reason reason, String message) implements Parsed {}

  /**
   * Two or more differing values: a 400.
   *
   * @param message the message for the client
   */
  public record Conflicting(String message) implements Parsed {}

  /**
   * Parses one header value with the default maximum length.
   *
   * @param value the header value, or null when the header is absent
   * @return the result
   */
  public static Parsed parse(@Nullable String value) {
    return parseOne(value, DEFAULT_MAX_LENGTH);
  }

  /**
   * Parses all values of the {@code Authorization} header of one request.
   *
   * @param values every value the request carried, in order; empty when absent
   * @param maxLength the maximum length of a value, in characters
   * @return the result
   */
  public static Parsed parse(List<String> values, int maxLength) {
    int n = values.size();
    if (n == 0) {
      return Missing.INSTANCE;
    }
    String first = values.get(0);
    for (int i = 1; i < n; i++) {
      if (!first.equals(values.get(i))) {
        return new Conflicting(CONFLICTING_MESSAGE);
      }
    }
    return parseOne(first, maxLength);
  }

  /**
   * Parses one header value.
   *
   * @param value the header value, or null when absent
   * @param maxLength the maximum length, in characters
   * @return the result
   */
  public static Parsed parseOne(@Nullable String value, int maxLength) {
    if (value == null) {
      return Missing.INSTANCE;
    }
    if (value.length() > maxLength) {
      return new Malformed(AuthResult.Unauthorized.Reason.TOO_LONG, TOO_LONG_MESSAGE);
    }
    int start = 0;
    int end = value.length();
    while (start < end && isOws(value.charAt(start))) {
      start++;
    }
    while (end > start && isOws(value.charAt(end - 1))) {
      end--;
    }
    if (start == end) {
      return Missing.INSTANCE;
    }
    int space = value.indexOf(' ', start);
    if (space < 0 || space >= end) {
      return malformedHeader();
    }
    int tokenStart = space;
    while (value.charAt(tokenStart) == ' ') {
      tokenStart++;
    }
    for (int i = tokenStart; i < end; i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        return malformedHeader();
      }
    }
    int schemeLength = space - start;
    if (value.regionMatches(true, start, "Bearer", 0, schemeLength) && schemeLength == 6) {
      return new Present(new BearerToken(value.substring(tokenStart, end)));
    }
    if (value.regionMatches(true, start, "ApiKey", 0, schemeLength) && schemeLength == 6) {
      return parseApiKey(value.substring(tokenStart, end));
    }
    return unknownScheme(value, start, space);
  }

  /**
   * Whether a value has the common form {@code Bearer <token>}: the scheme in any case, one space,
   * then visible characters only, nothing around them, within the maximum length. For such a value
   * {@link #parseOne} returns a {@code Bearer} credential of {@code value.substring(7)}; knowing that,
   * the secret-token check compares in place and allocates nothing. Any other value goes through
   * {@link #parseOne}.
   *
   * @param value the header value
   * @param maxLength the maximum length, in characters
   * @return true for a plain {@code Bearer} value
   */
  static boolean isPlainBearer(String value, int maxLength) {
    int n = value.length();
    if (n <= PLAIN_TOKEN_START || n > maxLength || !value.regionMatches(true, 0, "Bearer ", 0, PLAIN_TOKEN_START)) {
      return false;
    }
    for (int i = PLAIN_TOKEN_START; i < n; i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a value has the form {@code ApiKey <token>}: the scheme in any case, one space, then
   * base64 characters only, within the maximum length. Such a value is a valid credential of
   * {@code value.substring(7)} exactly when the full parser says so; the hot path looks its digest up
   * in the cache, where only parsed credentials are, and leaves everything else to {@link #parseOne}.
   *
   * @param value the header value
   * @param maxLength the maximum length, in characters
   * @return true for a plain {@code ApiKey} value
   */
  static boolean isPlainApiKey(String value, int maxLength) {
    int n = value.length();
    if (n <= PLAIN_TOKEN_START || n > maxLength || !value.regionMatches(true, 0, "ApiKey ", 0, PLAIN_TOKEN_START)) {
      return false;
    }
    for (int i = PLAIN_TOKEN_START; i < n; i++) {
      char c = value.charAt(i);
      boolean base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
      if (!base64) {
        return false;
      }
    }
    return true;
  }

  private static Parsed parseApiKey(String token) {
    if ((token.length() & 3) != 0) {
      return new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, IMPROPERLY_ENCODED_MESSAGE);
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, IMPROPERLY_ENCODED_MESSAGE);
    }
    try {
      if (!hasZeroPadBits(token)) {
        return new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, IMPROPERLY_ENCODED_MESSAGE);
      }
      int colon = -1;
      for (int i = 0; i < decoded.length; i++) {
        if (decoded[i] == ':') {
          colon = i;
          break;
        }
      }
      if (colon <= 0 || colon == decoded.length - 1) {
        return new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_FORMATTED, IMPROPERLY_FORMATTED_MESSAGE);
      }
      String id = new String(decoded, 0, colon, StandardCharsets.UTF_8);
      return new Present(ApiKeyCredential.decoded(id, token, colon + 1));
    } finally {
      java.util.Arrays.fill(decoded, (byte) 0);
    }
  }

  /**
   * The decoder ignores set bits after the last whole byte, so "QQ==" and "QR==" both decode to "A";
   * only the canonical form, with those bits zero, is accepted.
   */
  private static boolean hasZeroPadBits(String token) {
    int n = token.length();
    int pad = n >= 2 && token.charAt(n - 2) == '=' ? 2 : n >= 1 && token.charAt(n - 1) == '=' ? 1 : 0;
    if (pad == 0) {
      return true;
    }
    char last = token.charAt(n - 1 - pad);
    int value;
    if (last >= 'A' && last <= 'Z') {
      value = last - 'A';
    } else if (last >= 'a' && last <= 'z') {
      value = last - 'a' + 26;
    } else if (last >= '0' && last <= '9') {
      value = last - '0' + 52;
    } else {
      value = last == '+' ? 62 : 63;
    }
    return (value & (pad == 1 ? 0x3 : 0xF)) == 0;
  }

  private static Parsed unknownScheme(String value, int start, int end) {
    int length = end - start;
    if (length > MAX_ECHOED_SCHEME) {
      return malformedHeader();
    }
    for (int i = start; i < end; i++) {
      if (!isTchar(value.charAt(i))) {
        return malformedHeader();
      }
    }
    return new Malformed(
        AuthResult.Unauthorized.Reason.UNKNOWN_SCHEME,
        "authentication failed: unknown Authentication header " + value.substring(start, end) + ": " + EXPECTED);
  }

  private static Malformed malformedHeader() {
    return new Malformed(AuthResult.Unauthorized.Reason.MALFORMED_HEADER, MISSING_MESSAGE);
  }

  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** RFC 9110 token characters: the only ones a scheme may have, and so the only ones echoed back. */
  private static boolean isTchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
