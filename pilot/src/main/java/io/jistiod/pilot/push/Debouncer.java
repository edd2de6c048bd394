package io.jistiod.pilot.push;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges bursts of changes into one push, as istiod does: a push fires once no change has arrived
 * for {@code quiet} (PILOT_DEBOUNCE_AFTER, 100 ms), or once the oldest merged change is {@code max}
 * old (PILOT_DEBOUNCE_MAX, 10 s), so constant churn still pushes. Only one push runs at a time;
 * changes arriving meanwhile are merged into the next one.
 *
 * <p>Threads: {@link #enqueue} from any thread; the push runs on the scheduler's thread.
 */
public final class Debouncer {
  private static final Logger log = LoggerFactory.getLogger(Debouncer.class);

  private final Duration quiet;
  private final Duration max;
  private final Scheduler scheduler;
  private final Consumer<PushRequest> push;

  // a mutable accumulator: merging immutable requests pairwise copied every key at each event, and
  // istiod's start (thousands of informer events in one burst) was quadratic
  private PushRequest.Merger pending;
  private long firstEventNanos;
  private long lastEventNanos;
  private Scheduler.Cancellable timer;
  private boolean pushing;
  private int pushCounter;
  private int debouncedEvents;

  public Debouncer(Duration quiet, Duration max, Scheduler scheduler, Consumer<PushRequest> push) {
    this.quiet = Objects.requireNonNull(quiet, "quiet");
    this.max = Objects.requireNonNull(max, "max");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.push = Objects.requireNonNull(push, "push");
  }

  /** Adds a change to the current batch. */
  public synchronized void enqueue(PushRequest request) {
    long now = scheduler.nanoTime();
    lastEventNanos = now;
    debouncedEvents++;
    if (pending == null) {
      pending = new PushRequest.Merger();
      firstEventNanos = now;
    }
    pending.add(request);
    if (!pushing) {
      rearm(now);
    }
  }

  private void rearm(long now) {
    if (timer != null) {
      timer.cancel();
    }
    long due = Math.min(lastEventNanos + quiet.toNanos(), firstEventNanos + max.toNanos());
    timer = scheduler.schedule(this::onTimer, Duration.ofNanos(Math.max(0, due - now)));
  }

  /** The line istiod logs for each debounced push, with typed keys. */
  private void logPush(PushRequest request, long now) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String what;
    if (request.configsUpdated().isEmpty()) {
      what = "reason " + reasons(request);
    } else {
      var keys = new java.util.TreeSet<>(request.configsUpdated());
      what = "config " + keys.first();
      if (keys.size() > 1) {
        what += " and " + (keys.size() - 1) + " more configs";
      }
    }
    log.info(
        "Push debounce stable[{}] {} for {}: {} since last change, {} since last push, full={}",
        pushCounter,
        debouncedEvents,
        what,
        duration(now - lastEventNanos),
        duration(now - firstEventNanos),
        request.full());
  }

  private static String reasons(PushRequest request) {
    var sorted = new java.util.TreeMap<>(request.reasons());
    if (sorted.isEmpty()) {
      return "unknown";
    }
    var first = sorted.firstEntry();
    String out = first.getKey() + ":" + first.getValue();
    return sorted.size() == 1 ? out : out + " and " + (sorted.size() - 1) + " more reasons";
  }

  /** A duration as Go prints one: {@code 100.5ms}, {@code 1.25s}. */
  static String duration(long nanos) {
    java.math.BigDecimal value =
        nanos >= 1_000_000_000L
            ? java.math.BigDecimal.valueOf(nanos, 9)
            : java.math.BigDecimal.valueOf(nanos, 6);
    String unit = nanos >= 1_000_000_000L ? "s" : "ms";
    return value.stripTrailingZeros().toPlainString() + unit;
  }

  private void onTimer() {
    PushRequest toPush;
    synchronized (this) {
      timer = null;
      if (pending == null || pushing) {
        return;
      }
      long now = scheduler.nanoTime();
      boolean settled = now - lastEventNanos >= quiet.toNanos();
      boolean tooOld = now - firstEventNanos >= max.toNanos();
      if (!settled && !tooOld) {
        rearm(now);
        return;
      }
      toPush = pending.build();
      pending = null;
      pushing = true;
      pushCounter++;
      logPush(toPush, now);
      debouncedEvents = 0;
    }
    try {
      push.accept(toPush);
    } catch (RuntimeException e) {
      log.error("push failed", e);
    } finally {
      synchronized (this) {
        pushing = false;
        if (pending != null) {
          rearm(scheduler.nanoTime());
        }
      }
    }
  }
}
