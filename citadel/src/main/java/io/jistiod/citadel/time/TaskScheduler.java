package io.jistiod.citadel.time;

import java.time.Duration;

/**
 * Delayed execution, injected together with a {@link java.time.Clock} so that time-driven work
 * (root rotation checks, certificate renewal) is tested on a fake clock instead of with sleeps.
 */
@FunctionalInterface
public interface TaskScheduler {

  /** Runs {@code task} once after {@code delay}; the returned handle cancels it. */
  Cancellable schedule(Runnable task, Duration delay);

  /** A scheduled task that can be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    void cancel();
  }
}
