package io.jistiod.istiod.webhook;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * A controller's work queue of object names: a name queued twice runs once, every reconcile runs on
 * one worker (so writes never race), and a reconcile that is not done is retried after the delay
 * its failure count gives.
 */
final class ReconcileQueue {
  private final ScheduledExecutorService worker;
  private final Predicate<String> reconcile;
  private final IntFunction<Duration> retryDelay;
  private final Logger log;
  private final String what;
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new HashMap<>(); // worker thread only
  private volatile java.util.function.Consumer<String> onRetry = name -> {};

  /**
   * @param reconcile true when nothing is left to do for the name; false (or a throw) to retry
   * @param retryDelay the delay before retry number n (1-based)
   * @param what names the objects in log lines, e.g. "validating webhook"
   */
  ReconcileQueue(
      ScheduledExecutorService worker,
      Predicate<String> reconcile,
      IntFunction<Duration> retryDelay,
      Logger log,
      String what) {
    this.worker = worker;
    this.reconcile = reconcile;
    this.retryDelay = retryDelay;
    this.log = log;
    this.what = what;
  }

  /** Called on the worker before each retry is scheduled (a retry counter, say). */
  ReconcileQueue onRetry(java.util.function.Consumer<String> callback) {
    this.onRetry = callback;
    return this;
  }

  void enqueue(String name) {
    if (!queued.add(name)) {
      return;
    }
    try {
      worker.execute(() -> run(name));
    } catch (RejectedExecutionException e) {
      queued.remove(name); // shutting down
    }
  }

  private void run(String name) {
    queued.remove(name);
    boolean done;
    try {
      done = reconcile.test(name);
    } catch (RuntimeException e) {
      log.warn("{} {}: {}", what, name, e.toString());
      done = false;
    }
    if (done) {
      failures.remove(name);
      return;
    }
    onRetry.accept(name);
    int n = failures.merge(name, 1, Integer::sum);
    try {
      worker.schedule(() -> enqueue(name), retryDelay.apply(n).toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }
}
