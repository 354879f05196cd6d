package dev.intakeauth;

import dev.intakeauth.internal.BoundedTextFile;
import dev.intakeauth.internal.ConstantTime;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The secret tokens an {@link Authenticator} accepts as {@code Authorization: Bearer <token>}, one or
 * several at once (during a rotation, the old token and the new one), replaceable while the server
 * runs. Thread-safe: {@link #replace} swaps the whole set atomically, and a request sees either the
 * set before or the set after, never a mix.
 *
 * <p>A presented token is compared with every configured token, each in constant time, with no early
 * exit, and the answers are combined with bit operations: the answer, its cost and everything
 * reported about it are the same whichever token matched. The work grows with the number of tokens,
 * which is configuration, not a secret of the request.
 *
 * <p>The set is never empty: {@link #of} and {@link #replace} refuse an empty set, a null and a blank
 * token, and a refused {@code replace} keeps the last set. So a reload can neither turn secret
 * tokens off (which would open the door in a deployment without API keys) nor lock every agent out;
 * turning secret tokens off takes a restart without them.
 *
 * <pre>{@code
 * SecretTokens tokens = SecretTokens.of(oldToken, newToken);
 * Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
 * // once every agent has the new token:
 * tokens.replace(List.of(newToken));
 * }</pre>
 *
 * <p>The token file {@link #load} and {@link #parse} read is UTF-8 text with one token a line;
 * white space around a token is ignored, and so are blank lines and lines that start with {@code #}
 * (a token cannot start with {@code #}). A token is visible ASCII, what every agent can send.
 */
public final class SecretTokens {

  /** What a Bearer value adds to its token: {@code "Bearer "}. */
  private static final int SCHEME_LENGTH = "Bearer ".length();

  /**
   * The current set. Immutable once published; the request path makes one volatile read of it and
   * takes no lock.
   */
  private volatile Snapshot current;
  /** The length the fast path's padded copies cover; grows as authenticators with longer limits use this set. */
  private int padLength = AuthorizationHeader.DEFAULT_MAX_LENGTH;
  /**
   * The largest maximum credential length of the authenticators that use this set, 0 before the
   * first: a replacement token longer than that could match nowhere, and is refused rather than
   * locking agents out.
   */
  private int longestLimit;

  private SecretTokens(List<String> tokens) {
    this.current = new Snapshot(tokens, padLength);
  }

  /**
   * A set of tokens.
   *
   * @param tokens the tokens; at least one, none null or blank
   * @return the set
   * @throws IllegalArgumentException if there is no token, or one is blank
   */
  public static SecretTokens of(String... tokens) {
    return of(List.of(tokens));
  }

  /**
   * A set of tokens.
   *
   * @param tokens the tokens; at least one, none null or blank
   * @return the set
   * @throws IllegalArgumentException if there is no token, or one is blank
   */
  public static SecretTokens of(Collection<String> tokens) {
    return new SecretTokens(checked(tokens));
  }

  /**
   * Reads a token file (see the class description), of at most 1 MiB, accepting Bearer values of up to {@link AuthorizationHeader#DEFAULT_MAX_LENGTH} characters.
   *
   * @param file the token file
   * @return the set
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is too large, not UTF-8 text, has no token or a line that
   *     is not a token; the message names the file and the line, and quotes no content
   */
  public static SecretTokens load(Path file) throws IOException {
    String source = file.toString();
    return of(parse(BoundedTextFile.read(file, BoundedTextFile.MAX_BYTES, source), source, AuthorizationHeader.DEFAULT_MAX_LENGTH));
  }

  /**
   * Parses the text of a token file (see the class description).
   *
   * @param text the whole file
   * @param source the name put before the line number in errors, such as the file's path
   * @param maxCredentialLength the authenticator's longest accepted {@code Authorization} value; a
   *     token that would make {@code Bearer <token>} longer could never match, and is refused
   * @return the tokens, in file order; at least one
   * @throws IllegalArgumentException if there is no token, or a line holds control characters, inner
   *     white space, a character beyond ASCII or too long a token, as {@code source:line: problem}, never quoting the line
   */
  public static List<String> parse(String text, String source, int maxCredentialLength) {
    List<String> tokens = new ArrayList<>();
    List<String> lines = (text.startsWith("\uFEFF") ? text.substring(1) : text).lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String problem = problem(line, maxCredentialLength);
      if (problem != null) {
        throw new IllegalArgumentException(source + ":" + (i + 1) + ": " + problem);
      }
      tokens.add(line);
    }
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException(source + ": no token (only blank lines and comments); secret tokens cannot be turned off by a reload");
    }
    return List.copyOf(tokens);
  }

  private static @Nullable String problem(String token, int maxCredentialLength) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
        return "the token holds a control or format character at column " + (i + 1) + ", which a header cannot carry";
      }
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return "the token holds white space at column " + (i + 1) + ", which a Bearer token cannot carry";
      }
      if (c > 0x7e) {
        // Servlet containers read header bytes as ISO-8859-1 and gRPC refuses them: such a token
        // would not match what agents send, and a file of only such tokens would lock every agent out.
        return "the token holds a character that is not ASCII at column " + (i + 1) + ", which agents cannot send reliably in a header";
      }
    }
    if (SCHEME_LENGTH + token.length() > maxCredentialLength) {
      return "the token is " + token.length() + " characters long; \"Bearer <token>\" would be longer than the "
          + maxCredentialLength + " characters an Authorization value may have, so it could never match";
    }
    return null;
  }

  /**
   * Swaps the whole set for another, atomically: a request compares with the old set or with the new
   * one, never with a mix. A refused set leaves the current one in place.
   *
   * @param tokens the new tokens; at least one, none null or blank
   * @throws IllegalArgumentException if there is no token, or one is blank, or one is too long for
   *     {@code Bearer <token>} to fit the maximum credential length of any authenticator that uses
   *     this set (it could never match)
   */
  public void replace(Collection<String> tokens) {
    List<String> checked = checked(tokens);
    synchronized (this) {
      for (String token : checked) {
        if (longestLimit > 0 && SCHEME_LENGTH + token.length() > longestLimit) {
          throw new IllegalArgumentException("a token is " + token.length() + " characters long; \"Bearer <token>\" would be longer than the "
              + longestLimit + " characters the authenticators using these tokens accept, so it could never match");
        }
      }
      current = new Snapshot(checked, padLength);
    }
  }

  /**
   * How many tokens are configured now. Says nothing about any token.
   *
   * @return at least 1
   */
  public int size() {
    return current.tokens.length;
  }

  /** The current set, for one request. */
  Snapshot snapshot() {
    return current;
  }

  /**
   * Called by each authenticator that uses this set, with its maximum credential length: makes the
   * fast path's copies cover Bearer values of up to {@code length} characters, and makes
   * {@link #replace} refuse tokens that could fit in no authenticator's.
   */
  synchronized void padTo(int length) {
    longestLimit = Math.max(longestLimit, length);
    if (length > padLength) {
      padLength = length;
      current = new Snapshot(current.tokenList(), padLength);
    }
  }

  private static List<String> checked(Collection<String> tokens) {
    Objects.requireNonNull(tokens, "tokens");
    List<String> copy = new ArrayList<>(tokens.size());
    for (String token : tokens) {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("a secret token must not be null or blank");
      }
      copy.add(token);
    }
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("at least one secret token is needed; secret tokens are turned off by configuring none");
    }
    return List.copyOf(copy);
  }

  @Override
  public String toString() {
    int n = size();
    return "SecretTokens[" + n + (n == 1 ? " token]" : " tokens]");
  }

  /** One immutable set of tokens, in the forms both comparisons read. */
  static final class Snapshot {
    /** The tokens, for the full parser's path. */
    final char[][] tokens;
    /** The tokens padded for the fast path ({@link ConstantTime#padded}). */
    final int[][] padded;
    /** The tokens' lengths. */
    final int[] lengths;

    Snapshot(List<String> tokens, int padLength) {
      int n = tokens.size();
      this.tokens = new char[n][];
      this.padded = new int[n][];
      this.lengths = new int[n];
      for (int i = 0; i < n; i++) {
        String token = tokens.get(i);
        this.tokens[i] = token.toCharArray();
        this.padded[i] = ConstantTime.padded(token, padLength);
        this.lengths[i] = token.length();
      }
    }

    List<String> tokenList() {
      List<String> list = new ArrayList<>(tokens.length);
      for (char[] token : tokens) {
        list.add(new String(token));
      }
      return list;
    }
  }
}
