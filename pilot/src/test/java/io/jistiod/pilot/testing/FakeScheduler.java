package io.jistiod.pilot.testing;

import io.jistiod.pilot.push.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A {@link Scheduler} on a fake clock: tasks run only when the test advances time. */
public final class FakeScheduler implements Scheduler {
  private long now;
  private final List<Task> tasks = new ArrayList<>();
  private long sequence;

  private final class Task {
    final long due;
    final long seq = sequence++;
    final Runnable runnable;
    boolean cancelled;

    Task(long due, Runnable runnable) {
      this.due = due;
      this.runnable = runnable;
    }
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, Duration delay) {
    Task t = new Task(now + delay.toNanos(), task);
    tasks.add(t);
    return () -> t.cancelled = true;
  }

  /** Moves the clock forward, running every task that falls due, in due order. */
  public void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(t -> !t.cancelled && t.due <= target)
                .min(Comparator.<Task>comparingLong(t -> t.due).thenComparingLong(t -> t.seq))
                .orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due);
      }
      next.runnable.run();
    }
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public synchronized long pendingTasks() {
    return tasks.stream().filter(t -> !t.cancelled).count();
  }
}
