package dev.intakeauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.internal.ConstantTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SecretTokensTest {

  /** A value the full parser reads (leading white space), never the in-place comparison. */
  private static String fullParserValue(String token) {
    return "  Bearer " + token;
  }

  @Test
  void everyConfiguredTokenIsAcceptedWithTheSameAnswerObject() {
    Authenticator auth = Authenticator.builder().secretTokens(List.of("old-token", "new-token")).build();
    AuthResult byOld = auth.authenticate("Bearer old-token");
    AuthResult byNew = auth.authenticate("Bearer new-token");
    assertThat(byOld).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(byNew).as("the same object, so nothing downstream can tell which token matched").isSameAs(byOld);
    assertThat(auth.authenticate(fullParserValue("old-token"))).isSameAs(byOld);
    assertThat(auth.authenticate(fullParserValue("new-token"))).isSameAs(byOld);
    assertThat(byOld.toString()).isEqualTo(byNew.toString()).doesNotContain("old-token").doesNotContain("new-token");
    AuthResult wrong = auth.authenticate("Bearer other-token");
    assertThat(wrong).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate(fullParserValue("other-token"))).isEqualTo(wrong);
    assertThat(auth.toString()).contains("secretToken=set").doesNotContain("token-");
  }

  @Test
  void aPrefixOfATokenIsNotATokenAndEqualTokensAreHarmless() {
    Authenticator auth = Authenticator.builder().secretTokens(List.of("abc", "abcdef", "abc")).build();
    for (String value : List.of("abc", "abcdef")) {
      assertThat(auth.authenticate("Bearer " + value)).as(value).isInstanceOf(AuthResult.Authenticated.class);
      assertThat(auth.authenticate(fullParserValue(value))).as(value).isInstanceOf(AuthResult.Authenticated.class);
    }
    for (String value : List.of("ab", "abcd", "abcde", "abcdefg", "bcdef")) {
      assertThat(auth.authenticate("Bearer " + value)).as(value).isInstanceOf(AuthResult.Unauthorized.class);
      assertThat(auth.authenticate(fullParserValue(value))).as(value).isInstanceOf(AuthResult.Unauthorized.class);
    }
  }

  @Test
  void emptyAndBlankTokensAreRefusedWhenConfigured() {
    assertThatThrownBy(() -> Authenticator.builder().secretTokens(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Authenticator.builder().secretTokens(List.of("t", " "))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Authenticator.builder().secretTokens(List.of("t", ""))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SecretTokens.of()).isInstanceOf(IllegalArgumentException.class);
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> SecretTokens.of(withNull)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Authenticator.builder().secretTokens((SecretTokens) null).apiKeys(null).build().secretTokenEnabled()).isFalse();
  }

  @Test
  void aRefusedReplacementKeepsTheLastSet() {
    SecretTokens tokens = SecretTokens.of("first");
    Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
    assertThatThrownBy(() -> tokens.replace(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens.replace(List.of("\t"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(auth.authenticate("Bearer first")).isInstanceOf(AuthResult.Authenticated.class);
    tokens.replace(List.of("second", "third"));
    assertThat(auth.authenticate("Bearer first")).isInstanceOf(AuthResult.Unauthorized.class);
    assertThat(auth.authenticate("Bearer second")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(auth.authenticate(fullParserValue("third"))).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(tokens.size()).isEqualTo(2);
    assertThat(tokens.toString()).isEqualTo("SecretTokens[2 tokens]");
  }

  @Test
  void aLongerCredentialLimitPadsTheSharedSetForEveryAuthenticator() {
    SecretTokens tokens = SecretTokens.of("t");
    Authenticator small = Authenticator.builder().secretTokens(tokens).maxCredentialLength(16).build();
    Authenticator large = Authenticator.builder().secretTokens(tokens).maxCredentialLength(4096).build();
    String longValue = "Bearer " + "x".repeat(3000);
    assertThat(large.authenticate(longValue)).isInstanceOf(AuthResult.Unauthorized.class);
    tokens.replace(List.of("x".repeat(3000)));
    assertThat(large.authenticate(longValue)).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(small.authenticate(longValue)).isInstanceOf(AuthResult.Unauthorized.class);
  }

  /**
   * No early exit: the comparison goes on to every configured token after a match. A second token
   * too short for the presented text (which a real set never has) makes a comparison that reaches it
   * fail, so the failure shows it was reached.
   */
  @Test
  void everyTokenIsComparedEvenAfterAMatch() {
    int[][] padded = {ConstantTime.padded("match", 16), new int[2]};
    int[] lengths = {5, 2};
    assertThatThrownBy(() -> ConstantTime.visibleTokenMatchBit(padded, lengths, "Bearer match", 7))
        .isInstanceOf(ArrayIndexOutOfBoundsException.class);
    char[][] tokens = {"match".toCharArray(), null};
    assertThatThrownBy(() -> ConstantTime.anyEqualsBit(tokens, "match", 0, 5)).isInstanceOf(NullPointerException.class);
  }

  /** Several tokens of various lengths, some a prefix of another, some equal. */
  @Provide
  Arbitrary<List<String>> tokenSets() {
    Arbitrary<String> token = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(40);
    Arbitrary<List<String>> independent = token.list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<List<String>> prefixed = Combinators.combine(token, Arbitraries.integers().between(1, 40))
        .as((t, cut) -> List.of(t, t.substring(0, Math.min(cut, t.length()))));
    Arbitrary<List<String>> equal = token.map(t -> List.of(t, t));
    return Arbitraries.oneOf(independent, prefixed, equal);
  }

  @Property(tries = 1000)
  void acceptsExactlyTheConfiguredTokensWithOneAnswer(
      @ForAll("tokenSets") List<String> configured,
      @ForAll("tokenSets") List<String> others) {
    Authenticator auth = Authenticator.builder().secretTokens(configured).build();
    AuthResult match = auth.authenticate("Bearer " + configured.get(0));
    assertThat(match).isInstanceOf(AuthResult.Authenticated.class);
    List<String> presented = new ArrayList<>(configured);
    presented.addAll(others);
    for (String token : others) {
      presented.add(token.substring(0, token.length() - 1) + "x");
      presented.add(token + configured.get(0));
    }
    for (String token : presented) {
      if (token.isEmpty()) {
        continue;
      }
      boolean expected = configured.contains(token);
      for (String value : List.of("Bearer " + token, fullParserValue(token))) {
        AuthResult result = auth.authenticate(value);
        if (expected) {
          assertThat(result).as(value).isSameAs(match);
        } else {
          assertThat(result).as(value).isInstanceOf(AuthResult.Unauthorized.class);
        }
      }
    }
  }

  @Property(tries = 300)
  void theFileFormatReadsBackTheTokens(@ForAll("tokenSets") List<String> tokens) {
    String text = "# rotation\n\n" + String.join("\n", tokens.stream().filter(t -> !t.startsWith("#")).map(t -> "  " + t + "\t").toList()) + "\n";
    List<String> kept = tokens.stream().filter(t -> !t.startsWith("#")).toList();
    if (kept.isEmpty()) {
      assertThatThrownBy(() -> SecretTokens.parse(text, "tokens", 1024)).hasMessageContaining("no token");
    } else {
      assertThat(SecretTokens.parse(text, "tokens", 1024)).isEqualTo(kept);
    }
  }

  @Test
  void theFileFormatRefusesWhatAHeaderCannotCarryWithoutQuotingIt() {
    assertThatThrownBy(() -> SecretTokens.parse("good\nsecret\u0000part\n", "tokens", 1024))
        .hasMessage("tokens:2: the token holds a control or format character at column 7, which a header cannot carry");
    assertThatThrownBy(() -> SecretTokens.parse("secret part", "tokens", 1024))
        .hasMessageStartingWith("tokens:1: the token holds white space").hasMessageNotContaining("secret");
    assertThatThrownBy(() -> SecretTokens.parse("a\n" + "s".repeat(1018), "tokens", 1024))
        .hasMessageStartingWith("tokens:2: the token is 1018 characters long").hasMessageContaining("could never match");
    assertThat(SecretTokens.parse("s".repeat(1017), "tokens", 1024)).hasSize(1);
    assertThatThrownBy(() -> SecretTokens.parse("# only a comment\n\n", "tokens", 1024)).hasMessageContaining("no token");
  }

  /**
   * A token with a character outside visible ASCII cannot be sent reliably: a servlet container
   * reads header bytes as ISO-8859-1 and gRPC refuses them, so a file holding only such a token would
   * lock every agent out. It is refused, by column, without quoting it.
   */
  @Test
  void theFileFormatRefusesATokenBeyondAsciiThatAgentsCouldNeverSend() {
    assertThatThrownBy(() -> SecretTokens.parse("new-t\u00f6ken\n", "tokens", 1024))
        .hasMessageStartingWith("tokens:1: the token holds a character that is not ASCII at column 6")
        .hasMessageNotContaining("new-t");
    assertThatThrownBy(() -> SecretTokens.parse("# rotation\nold\ntoken\u20ac\n", "tokens", 1024))
        .hasMessageStartingWith("tokens:3: the token holds a character that is not ASCII at column 6");
    assertThat(SecretTokens.parse("!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~", "tokens", 1024)).hasSize(1);
  }

  /** A replacement that no authenticator using the set could ever match would lock every agent out. */
  @Test
  void aReplacementTooLongForEveryAuthenticatorUsingTheSetIsRefused() {
    SecretTokens tokens = SecretTokens.of("old");
    Authenticator auth = Authenticator.builder().secretTokens(tokens).maxCredentialLength(64).build();
    assertThatThrownBy(() -> tokens.replace(List.of("ok", "n".repeat(58))))
        .hasMessageContaining("could never match").hasMessageNotContaining("nnnn");
    assertThat(auth.authenticate("Bearer old")).isInstanceOf(AuthResult.Authenticated.class);
    tokens.replace(List.of("n".repeat(57)));
    assertThat(auth.authenticate("Bearer " + "n".repeat(57))).isInstanceOf(AuthResult.Authenticated.class);
  }

  /** Requests that authenticate while the set is replaced see the old set or the new one, never neither. */
  @Test
  void concurrentRequestsNeverSeeAHalfReplacedSet() throws Exception {
    SecretTokens tokens = SecretTokens.of("common", "old");
    Authenticator auth = Authenticator.builder().secretTokens(tokens).build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> failure = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(2);
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      Thread t = new Thread(() -> {
        started.countDown();
        while (!stop.get()) {
          boolean common = auth.authenticate("Bearer common") instanceof AuthResult.Authenticated;
          boolean viaParser = auth.authenticate(fullParserValue("common")) instanceof AuthResult.Authenticated;
          boolean stranger = auth.authenticate("Bearer stranger") instanceof AuthResult.Authenticated;
          if (!common || !viaParser || stranger) {
            failure.compareAndSet(null, "common=" + common + " viaParser=" + viaParser + " stranger=" + stranger);
          }
        }
      });
      readers.add(t);
      t.start();
    }
    started.await();
    for (int i = 0; i < 20_000; i++) {
      tokens.replace(i % 2 == 0 ? List.of("new", "common") : List.of("common", "old", "older"));
    }
    stop.set(true);
    for (Thread t : readers) {
      t.join();
    }
    assertThat(failure.get()).isNull();
  }
}
