package dev.intakeauth.internal;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * A token bucket that refills continuously: {@code capacity} tokens per {@code period}, at most
 * {@code capacity} saved up. Time comes from a ticker so that tests never sleep.
 */
public final class TokenBucket {

  private final Ticker ticker;
  private final long capacity;
  private final long nanosPerToken;
  private long available;
  private long lastRefill;

  /**
   * Makes a full bucket.
   *
   * @param capacity tokens per period, and the most that can be saved up; positive
   * @param period the refill period
   * @param ticker the time source
   */
  public TokenBucket(long capacity, Duration period, Ticker ticker) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.ticker = ticker;
    this.capacity = capacity;
    this.nanosPerToken = Math.max(1, period.toNanos() / capacity);
    this.available = capacity;
    this.lastRefill = ticker.read();
  }

  /**
   * Takes a token if there is one.
   *
   * @return 0 if a token was taken, otherwise the nanoseconds until the next one
   */
  public synchronized long tryTake() {
    refill();
    if (available > 0) {
      available--;
      return 0;
    }
    long waited = ticker.read() - lastRefill;
    return Math.max(1, nanosPerToken - waited);
  }

  private void refill() {
    long now = ticker.read();
    long elapsed = now - lastRefill;
    if (elapsed < nanosPerToken) {
      return;
    }
    long tokens = elapsed / nanosPerToken;
    if (available + tokens >= capacity) {
      available = capacity;
      lastRefill = now;
    } else {
      available += tokens;
      lastRefill += tokens * nanosPerToken;
    }
  }
}
