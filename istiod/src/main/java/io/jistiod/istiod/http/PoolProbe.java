package io.jistiod.istiod.http;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether a server's thread pool still runs work: a tiny job is queued on every {@link #tick()} and
 * the time it last ran is kept. A pool whose threads are all stuck, whose queue is full, or that
 * has stopped runs none, and {@link #responsive()} turns false until it does again.
 */
final class PoolProbe {
  private final Executor pool;
  private final long limitNanos;
  private final AtomicBoolean queued = new AtomicBoolean();
  private volatile long lastRunNanos = System.nanoTime();

  PoolProbe(Executor pool, Duration limit) {
    this.pool = pool;
    this.limitNanos = limit.toNanos();
  }

  void tick() {
    if (!queued.compareAndSet(false, true)) {
      return; // the last probe has not run yet
    }
    try {
      pool.execute(
          () -> {
            lastRunNanos = System.nanoTime();
            queued.set(false);
          });
    } catch (RejectedExecutionException e) {
      queued.set(false);
    }
  }

  boolean responsive() {
    return System.nanoTime() - lastRunNanos <= limitNanos;
  }
}
