package dev.intakeauth;

import dev.intakeauth.internal.Require;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.intakeauth.internal.TokenBucket;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-client-IP rate limiting of anonymous requests: each address may send
 * {@link Builder#eventsPerSecond} events a second with a burst of three times that, and at most
 * {@link Builder#maxClients} addresses are tracked, least recently seen evicted first.
 *
 * <p>When the table is full, a new address takes over the evicted address's bucket as it is, spent
 * tokens and all, rather than a fresh one: cycling through addresses buys nothing.
 *
 * <pre>{@code
 * AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(300).maxClients(1000).build();
 * AuthResult.RateLimited limited = limiter.tryAcquire(clientIp, 1);
 * if (limited != null) { respond 429 with Retry-After }
 * }</pre>
 */
public final class AnonymousRateLimiter {

  private final Ticker ticker;
  private final long burst;
  private final long eventsPerSecond;
  private final int maxClients;
  private final Map<String, TokenBucket> buckets;

  private AnonymousRateLimiter(Builder b) {
    this.ticker = b.ticker;
    this.eventsPerSecond = b.eventsPerSecond;
    this.burst = (long) b.eventsPerSecond * b.burstFactor;
    this.maxClients = b.maxClients;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true);
  }

  /**
   * Starts a builder with APM Server's defaults: 300 events a second, burst 3x, 1000 addresses.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Takes {@code events} from this address's budget.
   *
   * @param clientIp the client's address, as resolved by {@link ClientAddressResolver}
   * @param events how many events the request carries; 1 for the request itself
   * @return null when allowed, otherwise the 429 answer with its retry hint
   */
  public AuthResult.@Nullable RateLimited tryAcquire(String clientIp, int events) {
    long wait;
    synchronized (buckets) {
      TokenBucket bucket = buckets.get(clientIp);
      if (bucket == null) {
        if (buckets.size() >= maxClients) {
          // The least recently seen address leaves, and the newcomer inherits its bucket as it is.
          Iterator<TokenBucket> eldest = buckets.values().iterator();
          bucket = eldest.next();
          eldest.remove();
        } else {
          bucket = new TokenBucket(burst, eventsPerSecond, Duration.ofSeconds(1), ticker);
        }
        buckets.put(clientIp, bucket);
      }
      wait = bucket.tryTake(Math.max(1, events));
    }
    if (wait == 0) {
      return null;
    }
    long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
    return new AuthResult.RateLimited(Duration.ofSeconds(seconds));
  }

  /**
   * How many addresses are tracked now.
   *
   * @return at most {@link Builder#maxClients}
   */
  public int trackedClients() {
    synchronized (buckets) {
      return buckets.size();
    }
  }

  @Override
  public String toString() {
    return "AnonymousRateLimiter[" + eventsPerSecond + " events/s, burst " + burst + ", " + maxClients + " clients]";
  }

  /** Configures an {@link AnonymousRateLimiter}. */
  public static final class Builder {
    private int eventsPerSecond = 300;
    private int burstFactor = 3;
    private int maxClients = 1000;
    private Ticker ticker = Ticker.systemTicker();

    private Builder() {}

    /**
     * Events a second per address ({@code rate_limit.event_limit}). Default 300.
     *
     * @param limit a positive number
     * @return this builder
     */
    public Builder eventsPerSecond(int limit) {
      this.eventsPerSecond = Require.positive(limit, "eventsPerSecond");
      return this;
    }

    /**
     * The burst, as a multiple of {@link #eventsPerSecond}. Default 3.
     *
     * @param factor a positive number
     * @return this builder
     */
    public Builder burstFactor(int factor) {
      this.burstFactor = Require.positive(factor, "burstFactor");
      return this;
    }

    /**
     * Addresses tracked at once ({@code rate_limit.ip_limit}). Default 1000.
     *
     * @param max a positive number
     * @return this builder
     */
    public Builder maxClients(int max) {
      this.maxClients = Require.positive(max, "maxClients");
      return this;
    }

    /**
     * The time source. Default the system ticker.
     *
     * @param ticker the time source
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Builds the limiter.
     *
     * @return a thread-safe limiter
     */
    public AnonymousRateLimiter build() {
      return new AnonymousRateLimiter(this);
    }
  }
}
