package dev.intakeauth.anonymous;

import dev.intakeauth.AuthListener;
import dev.intakeauth.AuthResult;
import dev.intakeauth.TimeSource;
import dev.intakeauth.internal.ListenerGuard;
import dev.intakeauth.internal.Require;
import dev.intakeauth.internal.Retry;
import dev.intakeauth.internal.TokenBucket;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-client rate limiting of anonymous requests: each client may send {@link Builder#eventsPerSecond}
 * events a second with a burst of {@link Builder#burstFactor} (3) times that, and at most
 * {@link Builder#maxClients} clients are tracked, least recently seen evicted first.
 *
 * <p>A client is a group of addresses ({@link #clientGroup}): an IPv4 address,
 * or an IPv6 network of {@link Builder#ipv6PrefixLength} bits (default /64, since one host commonly
 * holds a whole /64 and can send from any address in it).
 *
 * <p>Cycling through addresses buys nothing:
 *
 * <ul>
 *   <li>A new client that finds the table full evicts the least recently seen client but does not get
 *       its bucket, which has usually refilled while it sat unused. The newcomer's own bucket starts
 *       empty and fills at the normal rate from then on; until it first pays for a request itself, its
 *       requests are charged to one overflow bucket shared by every client admitted past the table's size. So an
 *       address seen once and evicted before it is seen again never gets more than its share of that
 *       one overflow bucket, however many such addresses there are, while a real client that keeps
 *       coming back soon has a bucket of its own again.
 *   <li>A request for more events than a bucket can ever hold (the burst) is refused outright, never
 *       charged only the burst; its {@code Retry-After} is the time a bucket takes to fill, and the
 *       client must send fewer events at once.
 *   <li>An optional {@link Builder#globalEventsPerSecond global ceiling} bounds all anonymous events
 *       together, whatever the number of clients (a burst of one second's worth).
 * </ul>
 *
 * <p>Each refusal is reported to {@link AuthListener#onAnonymousRateLimited} when a
 * {@link Builder#listener listener} is set (the limiter an {@code AccessControl} builds for itself
 * reports to that access control's listener).
 *
 * <pre>{@code
 * AnonymousRateLimiter limiter = AnonymousRateLimiter.builder().eventsPerSecond(300).maxClients(1000).build();
 * AuthResult.RateLimited limited = limiter.tryAcquire(clientIp, 1);
 * if (limited != null) { respond 429 with Retry-After }
 * }</pre>
 */
public final class AnonymousRateLimiter {

  private final TimeSource time;
  private final long burst;
  private final long eventsPerSecond;
  private final int maxClients;
  private final int ipv6PrefixLength;
  private final long globalEventsPerSecond;
  private final Map<String, Client> clients;
  private final TokenBucket overflow;
  private final @Nullable TokenBucket global;
  private final @Nullable AuthListener listener;

  /** A tracked client's bucket, and whether it arrived past the table's size. */
  private record Client(TokenBucket bucket, boolean pastCapacity) {}

  private AnonymousRateLimiter(Builder b) {
    this.time = b.time;
    this.eventsPerSecond = b.eventsPerSecond;
    this.burst = (long) b.eventsPerSecond * b.burstFactor;
    this.maxClients = b.maxClients;
    this.ipv6PrefixLength = b.ipv6PrefixLength;
    this.globalEventsPerSecond = b.globalEventsPerSecond;
    this.listener = ListenerGuard.guard(b.listener);
    this.clients = new LinkedHashMap<>(16, 0.75f, true);
    this.overflow = bucket(burst);
    this.global = b.globalEventsPerSecond > 0
        ? new TokenBucket(b.globalEventsPerSecond, b.globalEventsPerSecond, Duration.ofSeconds(1), time::nanoTime)
        : null;
  }

  private TokenBucket bucket(long initial) {
    return new TokenBucket(burst, eventsPerSecond, Duration.ofSeconds(1), time::nanoTime, initial);
  }

  /**
   * Starts a builder with APM Server's defaults: 300 events a second, burst 3x, 1000 clients, and
   * ours: IPv6 grouped by /64, no global ceiling.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The client a request is counted against: the address itself for IPv4, its network of
   * {@link Builder#ipv6PrefixLength} bits for IPv6. Per-client state elsewhere (the API-key budget's
   * per-client share) is keyed the same way, so that rotating addresses within one network gains
   * nothing there either.
   *
   * @param clientIp the client's address, as a {@link ClientAddressResolver} gives it
   * @return the group
   */
  public String clientGroup(String clientIp) {
    return ClientAddressResolver.clientGroup(clientIp, ipv6PrefixLength);
  }

  /**
   * Takes {@code events} from this client's budget (and from the global ceiling, when set).
   *
   * @param clientIp the client's address, as resolved by {@link ClientAddressResolver}; it is
   *     grouped as {@link #clientGroup} says
   * @param events how many events the request carries; 1 for the request itself
   * @return null when allowed, otherwise the 429 answer with its retry hint
   */
  public AuthResult.@Nullable RateLimited tryAcquire(String clientIp, int events) {
    long n = Math.max(1, events);
    if (n > burst || (global != null && n > global.capacity())) {
      // Never allowed at any time: the hint is how long a bucket takes to fill.
      return limited(global != null && n > global.capacity() ? global.nanosToFill() : overflow.nanosToFill());
    }
    String key = clientGroup(clientIp);
    long wait;
    synchronized (clients) {
      Client client = clients.get(key);
      if (client == null) {
        client = admit();
        clients.put(key, client);
      }
      TokenBucket charged = client.bucket();
      wait = charged.tryTake(n);
      if (wait == 0 && client.pastCapacity()) {
        // Its own bucket pays now: from here on it is an ordinary client, the overflow no longer its fallback.
        clients.put(key, new Client(client.bucket(), false));
      } else if (wait != 0 && client.pastCapacity()) {
        long fromOverflow = overflow.tryTake(n);
        if (fromOverflow == 0) {
          charged = overflow;
        }
        wait = Math.min(wait, fromOverflow);
      }
      if (wait == 0 && global != null) {
        wait = global.tryTake(n);
        if (wait != 0) {
          charged.giveBack(n);
        }
      }
    }
    return wait == 0 ? null : limited(wait);
  }

  /** A bucket for a client seen for the first time (or again, after it was evicted). */
  private Client admit() {
    if (clients.size() < maxClients) {
      return new Client(bucket(burst), false);
    }
    // The least recently seen client leaves, and its (usually refilled) bucket with it.
    Iterator<Client> eldest = clients.values().iterator();
    eldest.next();
    eldest.remove();
    return new Client(bucket(0), true);
  }

  /** A refusal, reported outside the lock. */
  private AuthResult.RateLimited limited(long waitNanos) {
    if (listener != null) {
      listener.onAnonymousRateLimited();
    }
    return new AuthResult.RateLimited(Duration.ofSeconds(Retry.wholeSeconds(Duration.ofNanos(waitNanos))));
  }

  /**
   * How many clients are tracked now.
   *
   * @return at most {@link Builder#maxClients}
   */
  public int trackedClients() {
    synchronized (clients) {
      return clients.size();
    }
  }

  @Override
  public String toString() {
    return "AnonymousRateLimiter[" + eventsPerSecond + " events/s, burst " + burst + ", " + maxClients + " clients, IPv6 /"
        + ipv6PrefixLength + (global != null ? ", at most " + globalEventsPerSecond + " events/s in all" : "") + "]";
  }

  /** Configures an {@link AnonymousRateLimiter}. */
  public static final class Builder {
    private int eventsPerSecond = 300;
    private int burstFactor = 3;
    private int maxClients = 1000;
    private int ipv6PrefixLength = 64;
    private int globalEventsPerSecond;
    private TimeSource time = TimeSource.system();
    private @Nullable AuthListener listener;

    private Builder() {}

    /**
     * Events a second per client ({@code rate_limit.event_limit}). Default 300.
     *
     * @param limit a positive number
     * @return this builder
     */
    public Builder eventsPerSecond(int limit) {
      this.eventsPerSecond = Require.positive(limit, "eventsPerSecond");
      return this;
    }

    /**
     * The burst, as a multiple of {@link #eventsPerSecond}. Default 3. It is also the most events one
     * request may ask for at once.
     *
     * @param factor a positive number
     * @return this builder
     */
    public Builder burstFactor(int factor) {
      this.burstFactor = Require.positive(factor, "burstFactor");
      return this;
    }

    /**
     * Clients tracked at once ({@code rate_limit.ip_limit}). Default 1000. Past this many, new
     * clients start with an empty bucket and share one overflow bucket until theirs fills.
     *
     * @param max a positive number
     * @return this builder
     */
    public Builder maxClients(int max) {
      this.maxClients = Require.positive(max, "maxClients");
      return this;
    }

    /**
     * How many leading bits of an IPv6 address make one client. Default 64; 128 counts each address
     * alone. IPv4 addresses (and IPv4-mapped IPv6 ones) are always one client each.
     *
     * @param bits from 1 to 128
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder ipv6PrefixLength(int bits) {
      this.ipv6PrefixLength = ClientAddressResolver.checkIpv6Prefix(bits);
      return this;
    }

    /**
     * A ceiling on all anonymous events a second, whatever the number of clients, with a burst of one
     * second's worth; a request for more events than that is refused. Default 0: no ceiling.
     *
     * @param limit events a second, or 0 for none
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder globalEventsPerSecond(int limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("globalEventsPerSecond must be 0 (off) or positive, got " + limit);
      }
      this.globalEventsPerSecond = limit;
      return this;
    }

    /**
     * The time source. Default {@link TimeSource#system()}.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Where each refusal is reported, to {@link AuthListener#onAnonymousRateLimited} (default none).
     * A listener that throws is logged at most once a minute and changes no answer.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
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
