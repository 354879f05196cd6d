package dev.intakeauth.internal;

/** Makes client-controlled text safe to put into a log line: bounded, no control characters. */
public final class LogSafe {

  private static final int MAX = 64;

  private LogSafe() {}

  /**
   * Escapes control characters and truncates.
   *
   * @param s text from a client, such as an API key id
   * @return printable text of bounded length
   */
  public static String text(String s) {
    return text(s, MAX);
  }

  /**
   * Escapes control characters and truncates to a length of the caller's choosing.
   *
   * @param s text from a client or a server, such as the reason of an error answer
   * @param max how many characters to keep
   * @return the first {@code max} characters, control characters escaped, then {@code ...} when cut
   */
  public static String text(String s, int max) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 8);
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      if (c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (s.length() > max) {
      out.append("...");
    }
    return out.toString();
  }
}
