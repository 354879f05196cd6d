package dev.intakeauth;

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
 *   <li>the scheme is matched case-insensitively, in ASCII only; one or more spaces separate it from the token;
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
  private static final String IMPROPERLY_ENCODED_MESSAGE =
      "authentication failed: improperly encoded ApiKey credentials: expected base64(ID:APIKey)";

  /** Message for an {@code ApiKey} token whose decoded value is not {@code id:secret}. */
  private static final String IMPROPERLY_FORMATTED_MESSAGE =
      "authentication failed: improperly formatted ApiKey credentials: expected base64(ID:APIKey)";

  /** Message for a header value over the maximum length. */
  private static final String TOO_LONG_MESSAGE =
      "authentication failed: Authorization header exceeds the maximum length";

  /** Message for differing duplicate headers. */
  private static final String CONFLICTING_MESSAGE =
      "invalid request: multiple differing Authorization headers";

  private static final int MAX_ECHOED_SCHEME = 32;

  /**
   * 0 for each base64 character and {@code =}, 1 for every other Latin-1 character: one load per
   * character, with no branch; cheaper than arithmetic on bit masks (see benchmarks/RESULTS.md).
   */
  private static final byte[] NOT_BASE64_OR_PAD = new byte[256];

  static {
    java.util.Arrays.fill(NOT_BASE64_OR_PAD, (byte) 1);
    for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".toCharArray()) {
      NOT_BASE64_OR_PAD[c] = 0;
    }
  }

  /** Where the token of a value in {@linkplain #fastPathForm fast-path form} starts: after {@code Bearer } or {@code ApiKey }. */
  static final int FAST_PATH_TOKEN_START = 7;

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
    return parseValue(first, maxLength);
  }

  /**
   * Parses one header value.
   *
   * @param value the header value, or null when absent
   * @param maxLength the maximum length, in characters
   * @return the result
   */
  public static Parsed parseValue(@Nullable String value, int maxLength) {
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
    if (schemeLength == 6 && isScheme(value, start, "bearer")) {
      return new Present(new BearerToken(value.substring(tokenStart, end)));
    }
    if (schemeLength == 6 && isScheme(value, start, "apikey")) {
      String token = value.substring(tokenStart, end);
      return isBase64Text(token) ? parseApiKey(token) : improperlyEncoded();
    }
    return unknownScheme(value, start, space);
  }

  /** How the request path may read a header value in place, without the full parser. */
  enum FastPathForm {
    /** Not in fast-path form: the full parser decides. */
    NONE,
    /** {@code Bearer } and a token. */
    BEARER,
    /** {@code ApiKey } and a token. */
    API_KEY
  }

  /**
   * The form of a value the request path may answer in place: within the maximum length, exactly
   * {@code Bearer } or {@code ApiKey } (the scheme in any case, one space, nothing before it) and at
   * least one more character. The caller then checks the token's characters with
   * {@code ConstantTime.visibleTokenEqualsBit} or {@link #copyFastPathApiKeyToken}; for a value that passes, {@link #parseValue} makes a credential of exactly
   * {@code value.substring(FAST_PATH_TOKEN_START)} (or, for an {@code ApiKey} token that does not
   * decode to {@code id:secret}, the refusal {@link #parseCheckedApiKey} gives too). Anything else
   * goes through {@link #parseValue}.
   *
   * @param value the header value
   * @param maxLength the maximum length, in characters
   * @return the form
   */
  static FastPathForm fastPathForm(String value, int maxLength) {
    int n = value.length();
    if (n <= FAST_PATH_TOKEN_START || n > maxLength || value.charAt(FAST_PATH_TOKEN_START - 1) != ' ') {
      return FastPathForm.NONE;
    }
    // The first letter picks the one scheme worth comparing.
    int first = value.charAt(0) | 0x20;
    if (first == 'b' && isScheme(value, 0, "bearer")) {
      return FastPathForm.BEARER;
    }
    if (first == 'a' && isScheme(value, 0, "apikey")) {
      return FastPathForm.API_KEY;
    }
    return FastPathForm.NONE;
  }

  /**
   * Whether {@code value} has this scheme at {@code start}, ASCII letters in any case and nothing
   * else. Not {@code regionMatches(true, ...)}: its Unicode case folding takes the Kelvin sign
   * (U+212A) for {@code k} and the dotless {@code ı} (U+0131) for {@code i}, so {@code Api\u212Aey}
   * would be an API key to us and an unknown scheme to every proxy and log filter in front.
   *
   * @param value the header value
   * @param start where the scheme starts; the value has at least {@code lowerCase.length()} more characters
   * @param lowerCase the scheme, ASCII lower-case letters only
   */
  private static boolean isScheme(String value, int start, String lowerCase) {
    for (int i = 0; i < lowerCase.length(); i++) {
      // For a letter, c | 0x20 equals it only for its two ASCII cases; every non-ASCII c stays >= 0x80.
      if ((value.charAt(start + i) | 0x20) != lowerCase.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the token of an {@link FastPathForm#API_KEY} value has base64 characters only; in the
   * same pass, the characters are written to {@code ascii} as bytes (meaningful only when the answer
   * is true), ready to be hashed. Such a token is a valid credential exactly when
   * {@link #parseCheckedApiKey} says so. A character beyond Latin-1, whose low byte may look like
   * base64, is refused, not truncated.
   *
   * @param value the header value, in fast-path form
   * @param ascii where the bytes go; at least {@code value.length() - FAST_PATH_TOKEN_START} long
   * @return true if every character of the token is base64 or {@code =}
   */
  static boolean copyFastPathApiKeyToken(String value, byte[] ascii) {
    // Without a branch per character, so the time does not depend on which characters the token has.
    int bad = 0;
    int n = value.length();
    for (int i = FAST_PATH_TOKEN_START, j = 0; i < n; i++, j++) {
      char c = value.charAt(i);
      bad |= notBase64OrPad(c);
      ascii[j] = (byte) c;
    }
    return bad == 0;
  }

  /**
   * The credential of an {@link FastPathForm#API_KEY} value whose token's characters were found to
   * be base64 by {@link #copyFastPathApiKeyToken}: decoded once, its characters not scanned again. The same answer as {@link #parseValue} for that value.
   *
   * @param value the header value, in fast-path form, its token's characters checked
   * @return {@link Present} with the credential, or {@link Malformed}
   */
  static Parsed parseCheckedApiKey(String value) {
    return parseApiKey(value.substring(FAST_PATH_TOKEN_START));
  }

  /** 0 for a base64 character or {@code =}, anything else for other characters; no branch. */
  private static int notBase64OrPad(char c) {
    return NOT_BASE64_OR_PAD[c & 0xff] | (c >>> 8);
  }

  /** The header's answer for a token whose characters are all base64 or {@code =}, by the credential's rules. */
  private static Parsed parseApiKey(String token) {
    Object decoded = ApiKeyCredential.decode(token);
    if (decoded instanceof ApiKeyCredential credential) {
      return new Present(credential);
    }
    return decoded == ApiKeyCredential.DecodeFailure.NOT_CANONICAL_BASE64
        ? improperlyEncoded()
        : new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_FORMATTED, IMPROPERLY_FORMATTED_MESSAGE);
  }

  private static boolean isBase64Text(String token) {
    for (int i = 0; i < token.length(); i++) {
      if (notBase64OrPad(token.charAt(i)) != 0) {
        return false;
      }
    }
    return true;
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

  private static Malformed improperlyEncoded() {
    return new Malformed(AuthResult.Unauthorized.Reason.IMPROPERLY_ENCODED, IMPROPERLY_ENCODED_MESSAGE);
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
