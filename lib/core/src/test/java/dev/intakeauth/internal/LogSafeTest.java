package dev.intakeauth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogSafeTest {

  @Test
  void controlAndLineBreakingCharactersAreEscaped() {
    assertThat(LogSafe.text("a\nb\u001b[31m\u0085\u2028c\u007f")).isEqualTo("a\\u000ab\\u001b[31m\\u0085\\u2028c\\u007f");
  }

  @Test
  void textIsCutAtSixtyFourCharactersUnlessTheCallerSaysOtherwise() {
    String text = "x".repeat(400);
    assertThat(LogSafe.text(text)).isEqualTo("x".repeat(64) + "...");
    assertThat(LogSafe.text(text, 300)).isEqualTo("x".repeat(300) + "...");
    assertThat(LogSafe.text("short", 300)).isEqualTo("short");
    assertThat(LogSafe.text("x".repeat(300), 300)).isEqualTo("x".repeat(300));
  }
}
