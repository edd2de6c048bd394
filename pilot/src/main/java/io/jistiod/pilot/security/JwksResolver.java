package io.jistiod.pilot.security;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod's JWKS resolver: fetches the key sets of RequestAuthentication {@code jwksUri}s (or finds
 * them by the issuer's OpenID discovery document), caches them by issuer and URI, refreshes them
 * periodically and asks for a push when a key set changes.
 *
 * <p>Unlike istiod, which fetches a key set it has never seen inside the push (blocking it up to
 * the rule's timeout), a push here never waits: an unknown key set is fetched in the background and
 * the push inlines the JWKS that rejects every token (istiod's own fallback for a failed fetch);
 * the fetch, once done, triggers the push that carries the real keys.
 */
public final class JwksResolver implements JwksSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JwksResolver.class);

  /** istiod's defaults: entries unused or not refreshed for a week are dropped. */
  public static final Duration EVICTION = Duration.ofDays(7);

  /** istiod's {@code PILOT_JWT_PUB_KEY_REFRESH_INTERVAL} default. */
  public static final Duration REFRESH_INTERVAL = Duration.ofMinutes(20);

  /** After a failed refresh, retry this soon, doubling on each further failure up to an hour. */
  public static final Duration REFRESH_INTERVAL_ON_FAILURE = Duration.ofMinutes(1);

  private static final Duration MAX_REFRESH_INTERVAL_ON_FAILURE = Duration.ofMinutes(60);

  private record Key(String issuer, String jwksUri) {}

  /** One cached key set; {@code keys} null until a fetch has succeeded. */
  private static final class Entry {
    volatile String keys;
    volatile Instant lastRefreshed;
    volatile Instant lastUsed;
    volatile Duration timeout;
    volatile String lastError;
    final Set<String> requestedBy = ConcurrentHashMap.newKeySet();
    final CompletableFuture<Void> firstFetch = new CompletableFuture<>();

    Entry(Instant now, Duration timeout) {
      this.lastRefreshed = now;
      this.lastUsed = now;
      this.timeout = timeout;
    }
  }

  private final Map<Key, Entry> cache = new ConcurrentHashMap<>();
  private final JwksFetcher fetcher;
  private final ScheduledExecutorService executor;
  private final Runnable onChange;
  private final Clock clock;
  private final Duration refreshInterval;
  private final Duration refreshIntervalOnFailure;
  private Duration currentInterval;
  private ScheduledFuture<?> nextRefresh;
  private boolean lastRefreshFailed;
  private boolean closed;

  /**
   * @param executor runs fetches and the refresh job; it must have at least one thread
   * @param onChange called (on the executor) when a fetched key set differs from the cached one: a
   *     full push, so proxies get the new keys
   */
  public JwksResolver(
      JwksFetcher fetcher,
      ScheduledExecutorService executor,
      Runnable onChange,
      Clock clock,
      Duration refreshInterval,
      Duration refreshIntervalOnFailure) {
    this.fetcher = fetcher;
    this.executor = executor;
    this.onChange = onChange;
    this.clock = clock;
    this.refreshInterval = refreshInterval;
    this.refreshIntervalOnFailure = refreshIntervalOnFailure;
    this.currentInterval = refreshInterval;
    synchronized (this) {
      schedule(refreshInterval);
    }
  }

  @Override
  public Optional<String> jwks(
      String issuer, String jwksUri, Duration timeout, String requestedBy) {
    return Optional.ofNullable(entry(issuer, jwksUri, timeout, requestedBy).keys);
  }

  /**
   * Why the key set cannot be fetched, for an admission warning: starts the fetch if the key set is
   * new and waits at most {@code wait} for its first outcome.
   *
   * @return the last fetch error; empty once fetched, or while the first fetch is still running
   */
  public Optional<String> fetchProblem(
      String issuer, String jwksUri, Duration timeout, String requestedBy, Duration wait) {
    Entry e = entry(issuer, jwksUri, timeout, requestedBy);
    try {
      e.firstFetch.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException ex) {
      return Optional.empty();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
    return e.keys == null ? Optional.ofNullable(e.lastError) : Optional.empty();
  }

  private Entry entry(String issuer, String jwksUri, Duration timeout, String requestedBy) {
    Instant now = clock.instant();
    Key key = new Key(issuer, jwksUri);
    Entry fresh = new Entry(now, timeout);
    Entry e = cache.putIfAbsent(key, fresh);
    if (e == null) {
      e = fresh;
      e.requestedBy.add(requestedBy);
      Entry missing = e;
      try {
        executor.execute(() -> fetchMissing(key, missing));
      } catch (RejectedExecutionException closing) {
        // istiod is stopping: this push gets the rejecting JWKS, as for any key set not yet
        // fetched.
        missing.firstFetch.complete(null);
      }
      return e;
    }
    e.lastUsed = now;
    e.timeout = timeout;
    e.requestedBy.add(requestedBy);
    return e;
  }

  /** The first fetch of a key set a push asked for: success pushes again with the real keys. */
  private void fetchMissing(Key key, Entry e) {
    Outcome o;
    try {
      o = fetchInto(key, e);
    } finally {
      e.firstFetch.complete(null);
    }
    if (o == Outcome.CHANGED) {
      onChange.run();
    } else if (o == Outcome.FAILED) {
      // Tokens of this issuer are rejected meanwhile: retry soon, not at the next 20 min refresh.
      synchronized (this) {
        if (nextRefresh != null
            && nextRefresh.getDelay(TimeUnit.MILLISECONDS) > refreshIntervalOnFailure.toMillis()
            && nextRefresh.cancel(false)) {
          schedule(refreshIntervalOnFailure);
        }
      }
    }
  }

  private enum Outcome {
    CHANGED,
    UNCHANGED,
    FAILED
  }

  /** Fetches one key set into its entry; a failure keeps what the entry had. */
  private Outcome fetchInto(Key key, Entry e) {
    JwksFetcher.Result r = fetcher.fetch(key.issuer(), key.jwksUri(), e.timeout);
    e.lastError = r.error();
    if (r.error() != null) {
      log.warn(
          "cannot fetch the JWKS of issuer \"{}\" from {} (for {}): {}; {}",
          key.issuer(),
          key.jwksUri().isEmpty() ? "its OpenID discovery document" : key.jwksUri(),
          String.join(", ", new java.util.TreeSet<>(e.requestedBy)),
          r.error(),
          e.keys == null
              ? "tokens of this issuer are rejected until it can be fetched"
              : "keeping the key set fetched before");
      return Outcome.FAILED;
    }
    e.lastRefreshed = clock.instant();
    String old = e.keys;
    e.keys = r.keys();
    boolean changed = old == null || JwksComparison.differ(old, r.keys());
    if (changed) {
      log.info("fetched the JWKS of issuer \"{}\" ({})", key.issuer(), key.jwksUri());
    }
    return changed ? Outcome.CHANGED : Outcome.UNCHANGED;
  }

  /** istiod's refresh job: drop stale entries, refetch the rest, push once if any changed. */
  void refreshAll() {
    Instant now = clock.instant();
    boolean changed = false;
    boolean failed = false;
    for (var entry : new ArrayList<>(cache.entrySet())) {
      Entry e = entry.getValue();
      if (Duration.between(e.lastUsed, now).compareTo(EVICTION) >= 0
          || Duration.between(e.lastRefreshed, now).compareTo(EVICTION) >= 0) {
        log.info("dropped the cached JWKS of issuer \"{}\"", entry.getKey().issuer());
        cache.remove(entry.getKey());
        continue;
      }
      Outcome o = fetchInto(entry.getKey(), e);
      changed |= o == Outcome.CHANGED;
      failed |= o == Outcome.FAILED;
    }
    if (changed) {
      onChange.run();
    }
    synchronized (this) {
      if (failed) {
        currentInterval =
            lastRefreshFailed
                ? min(currentInterval.multipliedBy(2), MAX_REFRESH_INTERVAL_ON_FAILURE)
                : refreshIntervalOnFailure;
      } else {
        currentInterval = refreshInterval;
      }
      lastRefreshFailed = failed;
      schedule(currentInterval);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private void schedule(Duration delay) {
    if (closed) {
      return;
    }
    nextRefresh =
        executor.schedule(
            () -> {
              try {
                refreshAll();
              } catch (RuntimeException e) {
                log.error("JWKS refresh failed", e);
                synchronized (this) {
                  schedule(refreshIntervalOnFailure);
                }
              }
            },
            delay.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /**
   * The resolver istiod runs: its own daemon thread for fetches and refreshes, the refresh interval
   * from {@code PILOT_JWT_PUB_KEY_REFRESH_INTERVAL}; closing it stops the thread.
   *
   * @param refreshInterval istiod's {@code PILOT_JWT_PUB_KEY_REFRESH_INTERVAL} ({@link
   *     #REFRESH_INTERVAL} when unset)
   * @param onChange asks for a full push
   */
  public static JwksResolver start(
      MeterRegistry metrics, Duration refreshInterval, Runnable onChange) {
    ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jwks-resolver");
              t.setDaemon(true);
              return t;
            });
    JwksResolver r =
        new JwksResolver(
            new JwksFetcher(JwksFetcher.defaultClient(), metrics),
            thread,
            onChange,
            Clock.systemUTC(),
            refreshInterval,
            REFRESH_INTERVAL_ON_FAILURE);
    r.ownedExecutor = thread;
    return r;
  }

  private volatile ScheduledExecutorService ownedExecutor;

  /**
   * istiod's {@code PILOT_JWT_ENABLE_REMOTE_JWKS} ({@code istiod}/{@code false}, the default, is
   * the mode implemented here): Envoy-side fetching ({@code hybrid}/{@code true}, {@code envoy}) is
   * not, which a log line says plainly; keys are still fetched by istiod, so nothing is let
   * through.
   */
  public static void warnUnsupportedFetchMode(String mode) {
    if (mode == null) {
      return;
    }
    switch (mode) {
      case "hybrid", "true", "envoy" ->
          log.warn(
              "PILOT_JWT_ENABLE_REMOTE_JWKS={}: Envoy-side JWKS fetching (remote_jwks) is not"
                  + " implemented; istiod fetches every jwksUri itself and inlines the keys, as in"
                  + " mode \"istiod\"",
              mode);
      default -> {}
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (nextRefresh != null) {
      nextRefresh.cancel(false);
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }
}
