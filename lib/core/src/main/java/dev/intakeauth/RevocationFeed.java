package dev.intakeauth;

import dev.intakeauth.internal.ListenerGuard;
import dev.intakeauth.internal.LogSafe;
import dev.intakeauth.internal.Require;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evicts revoked API keys from a {@link CachingPrivilegeChecker} within seconds, on every instance:
 * every {@link Builder#period} (default 5 s) it takes the key ids the cache holds
 * ({@link CachingPrivilegeChecker#cachedKeyIds()}), asks a {@link RevocationSource} which of them are
 * invalidated or expired, and {@linkplain CachingPrivilegeChecker#invalidateAll(java.util.Collection) invalidates}
 * those at once. With the feed on, the cache lifetime can be long (minutes), which cuts the backend's
 * traffic too: one small request per period per instance, whatever the number of agents.
 *
 * <ul>
 *   <li>Rounds never overlap, and each has a {@link Builder#deadline}. A cache without API keys asks
 *       nothing. Large caches are asked about in chunks ({@link Builder#chunkSize}, default 1,000 ids
 *       per request).
 *   <li>Only ids with a granted answer are asked about: once a revoked key's answer is evicted, the
 *       next lookup caches "unknown key" for it, and that id leaves the questions by itself.
 *   <li>When the source fails, the round is reported as failed through
 *       {@link AuthListener#onRevocationCheck} and {@link #health()}, and one warning is logged per
 *       streak of failures. Nothing else changes: cached answers are neither dropped nor kept longer,
 *       so the cache lifetime is the safety net.
 * </ul>
 *
 * <pre>{@code
 * CachingPrivilegeChecker apiKeys = ElasticsearchPrivilegeChecker.create(es).cached(b -> b.expireAfterWrite(Duration.ofMinutes(10)));
 * RevocationFeed feed = RevocationFeed.builder(apiKeys, ElasticsearchRevocationSource.create(serverConnection))
 *     .period(Duration.ofSeconds(5))
 *     .build()
 *     .start();
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops it; it does not close the checker or the source.
 */
public final class RevocationFeed implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RevocationFeed.class);

  private final CachingPrivilegeChecker checker;
  private final RevocationSource source;
  private final Duration period;
  private final Duration deadline;
  private final int chunkSize;
  private final TimeSource time;
  /** Null when nobody listens, so that nothing is spent on it. */
  private final @Nullable AuthListener listener;
  private final @Nullable ScheduledExecutorService givenScheduler;
  /** How many rounds each revoked id has been evicted in; ids evicted twice are not asked about again. */
  private final ReentrantLock roundLock = new ReentrantLock();
  private volatile @Nullable Instant lastSuccess;
  private volatile int consecutiveFailures;
  private @Nullable ScheduledExecutorService ownScheduler;
  private @Nullable ScheduledFuture<?> task;
  private volatile boolean closed;

  private RevocationFeed(Builder b) {
    this.checker = b.checker;
    this.source = b.source;
    this.period = b.period;
    this.deadline = b.deadline != null ? b.deadline : min(period, Duration.ofSeconds(3));
    this.chunkSize = b.chunkSize;
    this.time = b.time;
    this.listener = ListenerGuard.guard(b.listener);
    this.givenScheduler = b.scheduler;
  }

  /**
   * Starts a builder.
   *
   * @param checker the cache to keep clean
   * @param source who tells which keys are revoked
   * @return a builder with the defaults
   */
  public static Builder builder(CachingPrivilegeChecker checker, RevocationSource source) {
    return new Builder(checker, source);
  }

  /**
   * Runs a round every {@link Builder#period}, the first one a period from now, on the scheduler the
   * builder was given or else on one daemon thread of its own. Calling it again does nothing.
   *
   * @return this feed
   * @throws IllegalStateException if the feed was closed
   */
  public synchronized RevocationFeed start() {
    if (closed) {
      throw new IllegalStateException("the revocation feed was closed");
    }
    if (task == null) {
      ScheduledExecutorService scheduler = givenScheduler;
      if (scheduler == null) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "intake-auth-revocation-feed");
          t.setDaemon(true);
          return t;
        });
        ownScheduler = scheduler;
      }
      long nanos = period.toNanos();
      // At a fixed rate, a late round starts as soon as the one before it ends, never alongside it.
      task = scheduler.scheduleAtFixedRate(this::scheduledRound, nanos, nanos, TimeUnit.NANOSECONDS);
    }
    return this;
  }

  private void scheduledRound() {
    try {
      checkNow();
    } catch (RuntimeException e) {
      // A failed round must not end the schedule.
      LOG.warn("Revocation feed: round failed: {}", e.getClass().getSimpleName());
    }
  }

  /**
   * Runs one round now, on the calling thread, and waits for it (at most the deadline); if a round is
   * running already, waits for it to end first. For tests, and for a caller that knows keys were
   * just revoked.
   *
   * @return what the round did
   */
  public Round checkNow() {
    roundLock.lock();
    try {
      return round();
    } finally {
      roundLock.unlock();
    }
  }

  private Round round() {
    long started = time.nanoTime();
    long deadlineAt = System.nanoTime() + deadline.toNanos();
    List<String> ids = new ArrayList<>(checker.cachedKeyIds());
    int revoked = 0;
    String failure = null;
    for (int from = 0; from < ids.size() && failure == null; from += chunkSize) {
      Set<String> chunk = new LinkedHashSet<>(ids.subList(from, Math.min(ids.size(), from + chunkSize)));
      Set<String> answer;
      try {
        answer = ask(chunk, deadlineAt);
      } catch (SourceFailure e) {
        failure = e.getMessage();
        break;
      }
      List<String> found = new ArrayList<>();
      for (String id : answer) {
        // Only ids it was asked about: a source that answers more must not evict other keys.
        if (id != null && chunk.contains(id)) {
          found.add(id);
        }
      }
      // One pass over the cache for the whole chunk, not one per key.
      checker.invalidateAll(found);
      revoked += found.size();
    }
    long duration = time.nanoTime() - started;
    Round result = new Round(failure == null, ids.size(), revoked, Duration.ofNanos(Math.max(0, duration)));
    settle(result, failure);
    return result;
  }

  private Set<String> ask(Set<String> chunk, long deadlineAt) throws SourceFailure {
    CompletableFuture<Set<String>> answer;
    try {
      answer = Objects.requireNonNull(source.revoked(Set.copyOf(chunk)), "the source returned no future");
    } catch (RuntimeException e) {
      throw new SourceFailure(describe(e));
    }
    try {
      Set<String> ids = answer.get(Math.max(0, deadlineAt - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (ids == null) {
        throw new SourceFailure("the source answered null");
      }
      return ids;
    } catch (TimeoutException e) {
      answer.cancel(true);
      throw new SourceFailure("no answer within " + deadline);
    } catch (ExecutionException e) {
      throw new SourceFailure(describe(e.getCause() != null ? e.getCause() : e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answer.cancel(true);
      throw new SourceFailure("interrupted");
    } catch (java.util.concurrent.CancellationException e) {
      throw new SourceFailure("the source cancelled the request");
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : LogSafe.text(message, 300);
  }

  private void settle(Round round, @Nullable String failure) {
    if (failure != null && closed) {
      // A round cut short by close() says nothing about the source.
      return;
    }
    if (failure == null) {
      int failedBefore = consecutiveFailures;
      consecutiveFailures = 0;
      lastSuccess = time.instant();
      if (failedBefore > 0) {
        LOG.info("Revocation feed: the source answers again, after {} failed round(s)", failedBefore);
      }
    } else {
      int failures = ++consecutiveFailures;
      if (failures == 1) {
        LOG.warn("Revocation feed: the source did not answer ({}); revoked keys stay cached until their cache lifetime ends."
            + " Retrying every {}; this is logged again only after it has answered.", failure, period);
      }
    }
    if (listener != null) {
      listener.onRevocationCheck(round.succeeded(), round.keyIdsChecked(), round.revoked(), round.duration().toNanos());
    }
  }

  /**
   * How the feed is doing, for health checks.
   *
   * @return a snapshot
   */
  public Health health() {
    boolean running;
    synchronized (this) {
      running = task != null && !closed;
    }
    return new Health(lastSuccess, consecutiveFailures, running);
  }

  /** Stops the schedule and, if the feed made its own, the scheduler thread. A running round ends on its own. */
  @Override
  public synchronized void close() {
    closed = true;
    if (task != null) {
      task.cancel(false);
    }
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "RevocationFeed[period=" + period + ", source=" + source + "]";
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** A failed question to the source, with a message fit for the log. */
  private static final class SourceFailure extends Exception {
    private static final long serialVersionUID = 1L;

    SourceFailure(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What one round did.
   *
   * @param succeeded whether the source answered every question of the round (a round without
   *     cached key ids succeeds without asking)
   * @param keyIdsChecked how many cached key ids were asked about
   * @param revoked how many of them were found revoked, and evicted
   * @param duration how long the round took, by the feed's time source
   */
  public record Round(boolean succeeded, int keyIdsChecked, int revoked, Duration duration) {}

  /**
   * A snapshot of the feed's state, for health checks.
   *
   * @param lastSuccess when a round last succeeded, or null if none has
   * @param consecutiveFailures how many rounds in a row have failed; 0 when the last one succeeded
   * @param running whether rounds are scheduled (started and not closed)
   */
  public record Health(@Nullable Instant lastSuccess, int consecutiveFailures, boolean running) {}

  /** Configures a {@link RevocationFeed}. Every setting has a default. */
  public static final class Builder {
    private final CachingPrivilegeChecker checker;
    private final RevocationSource source;
    private Duration period = Duration.ofSeconds(5);
    private @Nullable Duration deadline;
    private int chunkSize = 1_000;
    private TimeSource time = TimeSource.system();
    private AuthListener listener = AuthListener.NONE;
    private @Nullable ScheduledExecutorService scheduler;

    private Builder(CachingPrivilegeChecker checker, RevocationSource source) {
      this.checker = Objects.requireNonNull(checker, "checker");
      this.source = Objects.requireNonNull(source, "source");
    }

    /**
     * How often a round runs. Default 5 s. A revoked key is refused on this instance within about
     * one period plus one round trip.
     *
     * @param period a positive duration
     * @return this builder
     */
    public Builder period(Duration period) {
      this.period = Require.positive(period, "period");
      return this;
    }

    /**
     * How long one round may take, all its requests included; a round past it fails. Default the
     * period or 3 s, whichever is shorter.
     *
     * @param deadline a positive duration
     * @return this builder
     */
    public Builder deadline(Duration deadline) {
      this.deadline = Require.positive(deadline, "deadline");
      return this;
    }

    /**
     * The most key ids asked about in one request. Default 1,000.
     *
     * @param ids a positive number
     * @return this builder
     */
    public Builder chunkSize(int ids) {
      this.chunkSize = Require.positive(ids, "chunkSize");
      return this;
    }

    /**
     * The time source for round durations and the instant of the last success. Default
     * {@link TimeSource#system()}. The schedule and the deadline always run on real time.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder timeSource(TimeSource time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Who hears about each round ({@link AuthListener#onRevocationCheck}). Default none.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(AuthListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Runs the rounds on this scheduler instead of a daemon thread of the feed's own. The feed never
     * shuts it down.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the feed; {@link RevocationFeed#start()} starts it.
     *
     * @return the feed, not yet started
     */
    public RevocationFeed build() {
      return new RevocationFeed(this);
    }
  }
}
