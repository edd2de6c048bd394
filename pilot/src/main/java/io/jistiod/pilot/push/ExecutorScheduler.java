package io.jistiod.pilot.push;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The real {@link Scheduler}: wall time and a {@link ScheduledExecutorService}. */
public final class ExecutorScheduler implements Scheduler {
  private final ScheduledExecutorService executor;

  public ExecutorScheduler(ScheduledExecutorService executor) {
    this.executor = executor;
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }
}
