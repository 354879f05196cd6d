package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.anonymous.AnonymousRateLimiter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The anonymous rate limiter against a client that asks for too much at once or changes address. */
class AnonymousRateLimiterTest {

  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();

  private AnonymousRateLimiter.Builder limiter() {
    return AnonymousRateLimiter.builder().timeSource(clock);
  }

  @Test
  void aRequestForMoreEventsThanTheBurstIsRefusedNotChargedOnlyTheBurst() {
    // APM Server's defaults: 300 events/s, burst 900.
    AnonymousRateLimiter limiter = limiter().build();
    long accepted = 0;
    for (int second = 0; second < 60; second++) {
      for (int request = 0; request < 4; request++) {
        AuthResult.RateLimited limited = limiter.tryAcquire("192.0.2.1", 500_000);
        if (limited == null) {
          accepted += 500_000;
        } else {
          assertThat(limited.retryAfter()).as("the time a bucket takes to fill").isEqualTo(Duration.ofSeconds(3));
        }
      }
      clock.advance(Duration.ofNanos(1000 * MS));
    }
    assertThat(accepted).isZero();
    // Refusing it cost the client nothing: a whole burst is still there.
    assertThat(limiter.tryAcquire("192.0.2.1", 900)).isNull();
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNotNull();
  }

  @Test
  void aRequestForMoreEventsThanTheGlobalCeilingHoldsIsRefused() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(300).globalEventsPerSecond(100).build();
    AuthResult.RateLimited limited = limiter.tryAcquire("192.0.2.1", 101);
    assertThat(limited).isNotNull();
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(limiter.tryAcquire("192.0.2.1", 100)).isNull();
  }

  @Test
  void tenThousandAddressesFromOneSlash64GetNoMoreThanOneClientsRate() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(10).maxClients(1000).build();
    long accepted = 0;
    // 10,000 addresses a second for 10 s, every one from 2001:db8:1:2::/64.
    for (int i = 0; i < 100_000; i++) {
      String address = String.format("2001:db8:1:2:%x:%x:%x:%x", i >>> 24 & 0xff, i >>> 16 & 0xff, i >>> 8 & 0xff, i & 0xff);
      if (limiter.tryAcquire(address, 1) == null) {
        accepted++;
      }
      clock.advance(Duration.ofNanos(100_000L));
    }
    // One client: a burst of 30, then 10 a second for 10 s.
    assertThat(accepted).isBetween(100L, 30L + 10 * 10);
    assertThat(limiter.trackedClients()).isEqualTo(1);
    // Another /64 is another client.
    assertThat(limiter.tryAcquire("2001:db8:1:3::1", 30)).isNull();
  }

  @Test
  void aPrefixOf128CountsEachIpv6AddressAlone() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(1).ipv6PrefixLength(128).build();
    assertThat(limiter.tryAcquire("2001:db8::1", 3)).isNull();
    assertThat(limiter.tryAcquire("2001:db8::2", 3)).isNull();
    assertThat(limiter.tryAcquire("2001:db8::1", 1)).isNotNull();
    assertThatThrownBy(() -> limiter().ipv6PrefixLength(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter().ipv6PrefixLength(129)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anIpv4MappedAddressIsTheSameClientAsTheIpv4One() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(1).build();
    assertThat(limiter.tryAcquire("192.0.2.1", 3)).isNull();
    assertThat(limiter.tryAcquire("::ffff:192.0.2.1", 1)).isNotNull();
    assertThat(limiter.tryAcquire("::ffff:c000:201", 1)).isNotNull();
  }

  @Test
  void rotatingIpv4AddressesPastTheTableSizeGetNoRefillAdvantage() {
    int maxClients = 10;
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(10).maxClients(maxClients).build();
    long accepted = 0;
    // 60,000 addresses, one new one every millisecond for a minute, each asking for 5 events.
    for (int i = 0; i < 60_000; i++) {
      String address = "198.51." + (i >>> 8 & 0xff) + "." + (i & 0xff);
      String rotated = (i >>> 16) + "." + address.substring(address.indexOf('.') + 1);
      if (limiter.tryAcquire(rotated, 5) == null) {
        accepted += 5;
      }
      clock.advance(Duration.ofNanos(MS));
    }
    // The first ten fill the table with fresh buckets (30 each); everyone after that shares one
    // overflow bucket: 30 + 10/s. Handing each newcomer the evicted, refilled bucket gave 10 x 10/s.
    long oneClient = 30 + 10 * 60;
    assertThat(accepted).isLessThanOrEqualTo(maxClients * 30L + oneClient);
    assertThat(accepted).isGreaterThanOrEqualTo(oneClient - 5);
    assertThat(limiter.trackedClients()).isEqualTo(maxClients);
  }

  @Test
  void aClientAdmittedPastTheTableSizeEarnsItsOwnBucketByComingBack() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(10).maxClients(2).build();
    assertThat(limiter.tryAcquire("192.0.2.1", 30)).isNull();
    assertThat(limiter.tryAcquire("192.0.2.2", 30)).isNull();
    // The table is full: the newcomer's own bucket is empty, the shared overflow pays for it.
    assertThat(limiter.tryAcquire("192.0.2.3", 30)).isNull();
    AuthResult.RateLimited spent = limiter.tryAcquire("192.0.2.4", 1);
    assertThat(spent).as("the overflow is shared by every newcomer").isNotNull();
    assertThat(spent.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    // 192.0.2.4 comes back 3 s later, still tracked: its own bucket has filled.
    clock.advance(Duration.ofNanos(3000 * MS));
    assertThat(limiter.tryAcquire("192.0.2.4", 30)).isNull();
    // From then on it is an ordinary client: the overflow (full again) is no second bucket for it.
    assertThat(limiter.tryAcquire("192.0.2.4", 1)).isNotNull();
    assertThat(limiter.tryAcquire("192.0.2.5", 30)).as("the overflow is still there for newcomers").isNull();
  }

  @Test
  void theGlobalCeilingHoldsWhateverTheNumberOfClients() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(300).maxClients(100_000).globalEventsPerSecond(100).build();
    long accepted = 0;
    // 50,000 different clients over 10 s, 2 events each.
    for (int i = 0; i < 50_000; i++) {
      if (limiter.tryAcquire("10." + (i >>> 16) + "." + (i >>> 8 & 0xff) + "." + (i & 0xff), 2) == null) {
        accepted += 2;
      }
      clock.advance(Duration.ofNanos(200_000L));
    }
    assertThat(accepted).isBetween(1000L, 100L + 100 * 10);
  }

  @Test
  void aRequestTheGlobalCeilingRefusesCostsTheClientNothing() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(10).globalEventsPerSecond(20).build();
    assertThat(limiter.tryAcquire("192.0.2.1", 20)).isNull();
    AuthResult.RateLimited limited = limiter.tryAcquire("192.0.2.2", 20);
    assertThat(limited).isNotNull();
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    clock.advance(Duration.ofNanos(1000 * MS));
    assertThat(limiter.tryAcquire("192.0.2.2", 20)).as("192.0.2.2's own burst of 30 is untouched").isNull();
    assertThatThrownBy(() -> limiter().globalEventsPerSecond(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(limiter.toString()).contains("20 events/s in all", "/64");
  }

  @Test
  void eachRefusalIsReportedToTheListenerAndNothingElse() {
    AtomicInteger refused = new AtomicInteger();
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(2).burstFactor(1).globalEventsPerSecond(3).listener(new AuthListener() {
      @Override
      public void onAnonymousRateLimited() {
        refused.incrementAndGet();
      }
    }).build();
    int answeredNo = 0;
    for (String client : new String[] {"192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.2"}) {
      answeredNo += limiter.tryAcquire(client, 1) == null ? 0 : 1;
    }
    answeredNo += limiter.tryAcquire("192.0.2.3", 3) == null ? 0 : 1; // more than its bucket holds: refused outright
    assertThat(answeredNo).as("one over the client's limit, one over the global ceiling, one too big").isEqualTo(3);
    assertThat(refused).hasValue(answeredNo);

    clock.advance(Duration.ofSeconds(1));
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNull();
    assertThat(refused).as("an allowed request is not reported").hasValue(3);
  }

  @Test
  void aListenerThatThrowsChangesNoAnswer() {
    AnonymousRateLimiter limiter = limiter().eventsPerSecond(1).burstFactor(1).listener(new AuthListener() {
      @Override
      public void onAnonymousRateLimited() {
        throw new IllegalStateException("broken listener");
      }
    }).build();
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isNull();
    assertThat(limiter.tryAcquire("192.0.2.1", 1)).isEqualTo(new AuthResult.RateLimited(Duration.ofSeconds(1)));
  }
}
