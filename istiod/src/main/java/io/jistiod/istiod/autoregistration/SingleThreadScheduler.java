package io.jistiod.istiod.autoregistration;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's background steps on one daemon thread: steps never run concurrently, so writes
 * for one entry happen in the order they were decided.
 */
public final class SingleThreadScheduler
    implements WorkloadEntryController.Scheduler, AutoCloseable {
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "workload-entry-controller");
            t.setDaemon(true);
            return t;
          });

  @Override
  public void schedule(Duration delay, Runnable task) {
    if (!executor.isShutdown()) {
      executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
