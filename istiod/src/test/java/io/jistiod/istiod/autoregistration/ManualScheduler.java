package io.jistiod.istiod.autoregistration;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A clock the test moves and a scheduler that runs what is due when the test says so. */
final class ManualScheduler extends Clock implements WorkloadEntryController.Scheduler {
  private record Task(Instant due, long seq, Runnable run) {}

  private final List<Task> tasks = new ArrayList<>();
  private Instant now = Instant.parse("2026-01-02T03:04:05.123456789Z");
  private long seq;

  @Override
  public void schedule(Duration delay, Runnable task) {
    tasks.add(new Task(now.plus(delay), seq++, task));
  }

  /** Runs every task due now, including those they schedule for now. */
  void runDue() {
    while (true) {
      Task next =
          tasks.stream()
              .filter(t -> !t.due().isAfter(now))
              .min(Comparator.comparing(Task::due).thenComparingLong(Task::seq))
              .orElse(null);
      if (next == null) {
        return;
      }
      tasks.remove(next);
      next.run().run();
    }
  }

  /** Moves the clock forward and runs what became due. */
  void advance(Duration d) {
    now = now.plus(d);
    runDue();
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneOffset getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(java.time.ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
