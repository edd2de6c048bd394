package io.jistiod.pilot.push;

import java.time.Duration;

/**
 * Time and delayed execution, injected so that time-driven logic (debounce) is tested on a fake
 * clock instead of with sleeps.
 */
public interface Scheduler {

  /** Monotonic time in nanoseconds. */
  long nanoTime();

  /** Runs {@code task} once after {@code delay}; the returned handle cancels it. */
  Cancellable schedule(Runnable task, Duration delay);

  /** A scheduled task that can be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    void cancel();
  }
}
