package dev.intakeauth.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.intakeauth.ApiKeyCredential;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestView;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import dev.intakeauth.testing.FakePrivilegeChecker;
import dev.intakeauth.testing.ManualClock;
import dev.intakeauth.testing.TestCredentials;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The binder wired as users wire it: one {@link IntakeAuthMetrics} is the listener of a real
 * {@link AccessControl}, its {@link CachingPrivilegeChecker} and its anonymous rate limiter. A
 * scripted sequence of requests goes through, and {@link SimpleMeterRegistry} shows exactly the
 * counts the script makes.
 */
class IntakeAuthMetricsRequestsTest {

  private final ManualClock clock = new ManualClock();
  private final IntakeAuthMetrics metrics = IntakeAuthMetrics.builder().timeSource(clock).build();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakePrivilegeChecker keys = new FakePrivilegeChecker();
  private final ApiKeyCredential writer = TestCredentials.randomApiKey();
  private final CachingPrivilegeChecker checker = CachingPrivilegeChecker.builder(keys).timeSource(clock).executor(Runnable::run)
      .expireAfterWrite(Duration.ofSeconds(60)).listener(metrics).build();
  private final AccessControl access = AccessControl.builder(
          Authenticator.builder().secretToken(TestCredentials.SECRET_TOKEN).apiKeys(checker).build())
      .anonymous(true)
      .rateLimiter(AnonymousRateLimiter.builder().eventsPerSecond(1).burstFactor(1).timeSource(clock).listener(metrics).build())
      .allowCredentialsOverPlainHttp(true)
      .listener(metrics)
      .build();

  private record Request(String method, String path, @Nullable String authorization) implements RequestView {
    @Override
    public List<String> headers(String name) {
      return "Authorization".equalsIgnoreCase(name) && authorization != null ? List.of(authorization) : List.of();
    }

    @Override
    public String remoteAddress() {
      return "192.0.2.7";
    }

    @Override
    public boolean secure() {
      return true;
    }
  }

  private Decision send(String method, String path, @Nullable String authorization) {
    return access.decide(new Request(method, path, authorization));
  }

  private double requests(String outcome, String method) {
    return registry.get("intake.auth.requests").tags("outcome", outcome, "method", method).functionCounter().count();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  @Test
  void aScriptedSequenceOfRequestsGivesExactCounts() {
    keys.grant(writer, Privilege.EVENT_WRITE);
    metrics.monitor(checker).bindTo(registry);
    String events = "/intake/v2/events";

    assertThat(send("POST", events, TestCredentials.bearer(TestCredentials.SECRET_TOKEN))).isInstanceOf(Decision.Proceed.class);
    assertThat(send("POST", events, TestCredentials.bearer("not-the-token"))).isInstanceOf(Decision.Deny.class);
    // The same key three times: one miss and one backend call, then two hits.
    for (int i = 0; i < 3; i++) {
      assertThat(send("POST", events, "ApiKey " + writer.encoded())).isInstanceOf(Decision.Proceed.class);
    }
    // The key lacks config_agent:read: authenticated by the cache, then refused by the route.
    assertThat(send("GET", "/config/v1/agents", "ApiKey " + writer.encoded())).isInstanceOf(Decision.Deny.class);
    ApiKeyCredential unknown = TestCredentials.randomApiKey();
    assertThat(send("POST", events, "ApiKey " + unknown.encoded())).isInstanceOf(Decision.Deny.class);
    assertThat(send("POST", events, "Basic dXNlcjpwYXNz")).isInstanceOf(Decision.Deny.class);
    assertThat(send("DELETE", events, null)).isInstanceOf(Decision.Deny.class);
    // Anonymous browser agents: one event a second, no burst: the second request is a 429.
    assertThat(send("POST", "/intake/v2/rum/events", null)).isInstanceOf(Decision.Proceed.class);
    assertThat(send("POST", "/intake/v2/rum/events", null)).isInstanceOf(Decision.Deny.class);
    assertThat(send("POST", "/assets/v1/sourcemaps", null)).isInstanceOf(Decision.Deny.class);

    assertThat(requests("authenticated", "secret_token")).isEqualTo(1);
    assertThat(requests("invalid_credentials", "secret_token")).isEqualTo(1);
    assertThat(requests("authenticated", "api_key")).isEqualTo(3);
    assertThat(requests("lacking_privilege", "api_key")).isEqualTo(1);
    assertThat(requests("invalid_credentials", "api_key")).isEqualTo(1);
    assertThat(requests("unknown_scheme", "unknown")).isEqualTo(1);
    assertThat(requests("method_not_allowed", "anonymous")).isEqualTo(1);
    assertThat(requests("authenticated", "anonymous")).isEqualTo(1);
    assertThat(requests("rate_limited", "anonymous")).isEqualTo(1);
    assertThat(requests("anonymous_not_permitted", "anonymous")).isEqualTo(1);
    double all = registry.get("intake.auth.requests").functionCounters().stream().mapToDouble(c -> c.count()).sum();
    assertThat(all).as("one count per request").isEqualTo(12);

    assertThat(counter("cache.gets", "result", "miss")).isEqualTo(2);
    assertThat(counter("cache.gets", "result", "hit")).isEqualTo(3);
    assertThat(registry.get("intake.auth.backend.duration").tags("result", "granted").functionTimer().count()).isEqualTo(1);
    assertThat(registry.get("intake.auth.backend.duration").tags("result", "unknown_key").functionTimer().count()).isEqualTo(1);
    assertThat(counter("intake.auth.anonymous.rate_limited")).isEqualTo(1);
    assertThat(counter("intake.auth.budget.refusals", "scope", "global")).isZero();
    assertThat(registry.get("cache.size").gauge().value()).isEqualTo(2);

    // Forgetting the key is an invalidation, and the next request misses and asks again.
    checker.invalidate(writer.id());
    assertThat(send("POST", events, "ApiKey " + writer.encoded())).isInstanceOf(Decision.Proceed.class);
    assertThat(counter("cache.evictions", "cause", "invalidated")).isEqualTo(1);
    assertThat(counter("cache.gets", "result", "miss")).isEqualTo(3);
    assertThat(requests("authenticated", "api_key")).isEqualTo(4);
    assertThat(keys.calls()).isEqualTo(3);
  }
}
