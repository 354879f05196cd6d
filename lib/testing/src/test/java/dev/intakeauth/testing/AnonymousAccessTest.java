package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.AuthResult;
import dev.intakeauth.anonymous.AnonymousPolicy;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.anonymous.ClientAddressResolver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AnonymousAccessTest {

  private final ManualClock clock = new ManualClock();

  @Test
  void defaultPolicyAllowsTheRumAgentsForAnyService() {
    AnonymousPolicy policy = AnonymousPolicy.defaults();
    assertThat(policy.authorizeEvent("shop", "rum-js")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(policy.authorizeEvent(null, "js-base")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(policy.authorizeEvent("shop", "java"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for agent \"java\""));
    assertThat(policy.authorizeEvent("shop", "RUM-JS")).as("case-sensitive").isInstanceOf(AuthResult.Forbidden.class);
    assertThat(policy.authorizeEvent("shop", null))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for agent \"\""));
  }

  @Test
  void serviceAllowList() {
    AnonymousPolicy policy = AnonymousPolicy.builder().allowServices(Set.of("frontend")).allowAgents(Set.of()).build();
    assertThat(policy.authorizeEvent("frontend", "anything")).isInstanceOf(AuthResult.Authenticated.class);
    assertThat(policy.authorizeEvent("backend", "rum-js"))
        .isEqualTo(new AuthResult.Forbidden("unauthorized: anonymous access not permitted for service \"backend\""));
    assertThat(policy.authorizeEvent("front\nend", "rum-js").toString()).doesNotContain("\n");
  }

  @Test
  void rateLimitAllowsTheBurstThenRefusesWithRetryAfterAndRecovers() {
    AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(10).timeSource(clock).build();
    for (int i = 0; i < 30; i++) {
      assertThat(limiter.tryAcquire("192.0.2.1", 1)).as("burst is 3x the rate").isNull();
    }
    AuthResult.RateLimited limited = limiter.tryAcquire("192.0.2.1", 1);
    assertThat(limited).isNotNull();
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.message()).isEqualTo("too many requests: rate limit exceeded");
    assertThat(limiter.tryAcquire("192.0.2.2", 1)).as("other addresses have their own budget").isNull();
    clock.advance(Duration.ofNanos(Duration.ofMillis(100).toNanos()));
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNull();
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNotNull();
    clock.advance(Duration.ofNanos(Duration.ofSeconds(3).toNanos()));
    assertThat(limiter.tryAcquire("192.0.2.1", 30)).isNull();
  }

  private static Function<String, List<String>> headers(Map<String, List<String>> map) {
    return name -> map.getOrDefault(name, List.of());
  }

  @Test
  void forwardingHeadersAreIgnoredFromUntrustedConnections() {
    ClientAddressResolver resolver = ClientAddressResolver.trusting(List.of("10.0.0.0/8"));
    var spoofed = headers(Map.of("X-Forwarded-For", List.of("1.2.3.4"), "X-Real-IP", List.of("5.6.7.8"), "Forwarded", List.of("for=9.9.9.9")));
    assertThat(resolver.resolve("203.0.113.9", spoofed)).isEqualTo("203.0.113.9");
    assertThat(ClientAddressResolver.direct().resolve("10.1.1.1", spoofed)).isEqualTo("10.1.1.1");
  }

  @Test
  void trustedProxyRangesAreValidated() {
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("10.0.0.0/33"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientAddressResolver.trusting(List.of("proxy.local"))).isInstanceOf(IllegalArgumentException.class);
    ClientAddressResolver single = ClientAddressResolver.trusting(List.of("192.168.1.1", "fd00::/8"));
    var h = headers(Map.of("X-Forwarded-For", List.of("7.7.7.7")));
    assertThat(single.resolve("192.168.1.1", h)).isEqualTo("7.7.7.7");
    assertThat(single.resolve("192.168.1.2", h)).isEqualTo("192.168.1.2");
    assertThat(single.resolve("fd12::1", h)).isEqualTo("7.7.7.7");
  }
}
