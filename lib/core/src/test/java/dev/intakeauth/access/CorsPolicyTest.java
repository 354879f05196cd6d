package dev.intakeauth.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CorsPolicyTest {

  private final CorsPolicy globs = CorsPolicy.of(List.of("https://*.good.example", "http://localhost:????", "https://exact.example"), List.of());

  @Test
  void globsMatchWholeOriginsCaseInsensitively() {
    assertThat(globs.allows("https://shop.good.example")).isTrue();
    assertThat(globs.allows("HTTPS://Shop.Good.Example")).isTrue();
    assertThat(globs.allows("https://a.b.good.example")).isTrue();
    assertThat(globs.allows("http://localhost:4200")).isTrue();
    assertThat(globs.allows("http://localhost:42000")).isFalse();
    assertThat(globs.allows("https://exact.example")).isTrue();
    assertThat(globs.allows("https://exact.example:443")).isFalse();
  }

  @Test
  void originGlobIsAnchoredSoAQueryPathOrSuffixCannotSmuggleAnAllowedHost() {
    for (String o : List.of("https://evil.example?x=.good.example", "https://evil.example/.good.example", "https://evil.example#.good.example",
        "https://shop.good.example.evil.example", "https://user@shop.good.example", "https://shop.good.example/", "xhttps://exact.example",
        "https://exact.example.evil", " https://exact.example", "https://exact.example ", "https://exact.example%2f@evil.example")) {
      assertThat(globs.allows(o)).as(o).isFalse();
    }
  }

  @Test
  void anOriginWithLineBreaksOrControlCharactersIsNeverAllowedSoNeverEchoed() {
    CorsPolicy any = CorsPolicy.anyOrigin();
    for (String o : List.of("https://a.example\r\nSet-Cookie: x=1", "https://a.example\nX: y", "https://a.example\r", "https://a.ex\u0000ample",
        "https://a.example\u0085", "https://\u212Aelvin.example", "https://a.example\t", "", "*")) {
      assertThat(any.allows(o)).as(o).isFalse();
      assertThat(globs.allows(o)).as(o).isFalse();
    }
    assertThat(any.allows("https://a.example")).isTrue();
    assertThat(any.allows("http://[::1]:8080")).isTrue();
  }

  @Test
  void aLongCraftedOriginAgainstAManyStarGlobCostsLinearTimeNotACore() {
    // Unauthenticated and free (preflights spend no token): a backtracking matcher spends seconds to
    // hours on one such Origin, depending on the stars in the operator's pattern.
    CorsPolicy stars = CorsPolicy.of(List.of("https://*.*.*.*.*.good.example", "*a*a*a*a*a*a*a*a*b"), List.of());
    StringBuilder dots = new StringBuilder("https://");
    while (dots.length() < 2040) {
      dots.append("a.");
    }
    String manyDots = dots.append("bad").toString();
    String manyAs = "https://" + "a".repeat(2030) + ".example";
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (int i = 0; i < 100; i++) {
        assertThat(stars.allows(manyDots)).isFalse();
        assertThat(stars.allows(manyAs)).isFalse();
      }
    });
    assertThat(stars.allows("https://a.b.c.d.e.good.example")).isTrue();
    assertThat(stars.allows("https://a.b.c.d.good.example")).isFalse();
    assertThat(stars.allows("https://" + "a".repeat(20) + "b")).isTrue();
  }

  @Test
  void globStarsAndQuestionMarksKeepTheirMeaning() {
    CorsPolicy p = CorsPolicy.of(List.of("https://?.example", "http://*", "https://*x*.test"), List.of());
    assertThat(p.allows("https://a.example")).isTrue();
    assertThat(p.allows("https://ab.example")).isFalse();
    assertThat(p.allows("https://.example")).isFalse();
    assertThat(p.allows("http://anything.at.all:8080")).isTrue();
    assertThat(p.allows("https://x.test")).isTrue();
    assertThat(p.allows("https://axbxc.test")).isTrue();
    assertThat(p.allows("https://abc.test")).isFalse();
    assertThat(p.allows("https://x.test.evil")).isFalse();
  }

  @Test
  void nullOriginIsRefusedUnlessThePatternAllowsIt() {
    assertThat(globs.allows("null")).isFalse();
    assertThat(CorsPolicy.of(List.of("*ull"), List.of()).allows("null")).as("a glob never matches the opaque origin").isFalse();
    assertThat(CorsPolicy.of(List.of("null"), List.of()).allows("null")).isTrue();
    assertThat(CorsPolicy.anyOrigin().allows("null")).as("APM Server's default lets every origin in").isTrue();
    assertThat(CorsPolicy.of(List.of(), List.of()).allows("https://a.example")).isFalse();
  }

  @Test
  void extraHeadersFollowTheDefaultsAndMustBeHeaderNames() {
    assertThat(CorsPolicy.of(List.of("*"), List.of("X-Tenant", "content-type")).allowHeaders()).isEqualTo("Content-Type, Content-Encoding, Accept, X-Tenant");
    assertThatThrownBy(() -> CorsPolicy.of(List.of("*"), List.of("X-A\r\nSet-Cookie: x"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CorsPolicy.of(List.of("https://a b"), List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CorsPolicy.of(List.of("https://b\u00fccher.example"), List.of())).hasMessageContaining("punycode");
  }
}
