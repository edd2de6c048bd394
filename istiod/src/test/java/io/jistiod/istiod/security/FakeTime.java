package io.jistiod.istiod.security;

import io.jistiod.citadel.time.TaskScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A clock and a {@link TaskScheduler} that move only when the test says: tasks run, in due order,
 * on the test's thread inside {@link #advance}.
 */
final class FakeTime extends Clock implements TaskScheduler {
  private Instant now;
  private final List<Task> tasks = new ArrayList<>();
  private long sequence;

  public FakeTime(Instant start) {
    this.now = start;
  }

  private final class Task {
    final Instant due;
    final long seq = sequence++;
    final Runnable runnable;
    boolean cancelled;

    Task(Instant due, Runnable runnable) {
      this.due = due;
      this.runnable = runnable;
    }
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, Duration delay) {
    Task t = new Task(now.plus(delay), task);
    tasks.add(t);
    return () -> {
      synchronized (FakeTime.this) {
        t.cancelled = true;
      }
    };
  }

  /** How many tasks wait to run. */
  public synchronized int pending() {
    return (int) tasks.stream().filter(t -> !t.cancelled).count();
  }

  /** Moves the clock forward, running every task that falls due, in due order. */
  public void advance(Duration d) {
    Instant target;
    synchronized (this) {
      target = now.plus(d);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(t -> !t.cancelled && !t.due.isAfter(target))
                .min(Comparator.<Task, Instant>comparing(t -> t.due).thenComparingLong(t -> t.seq))
                .orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        if (next.due.isAfter(now)) {
          now = next.due;
        }
      }
      next.runnable.run();
    }
  }
}
