package io.jistiod.galley.validation;

import java.util.function.Supplier;

/**
 * A per-thread deadline for the validation of one object, checked cooperatively: validators call
 * {@link #check()} at their loop points (per host, per route, per match ...), and once the deadline
 * has passed the check throws {@link Exceeded}, which unwinds the whole validation to whoever set
 * the deadline. So a validation that runs out of time stops using the CPU at once instead of
 * running on in the background after its caller gave up.
 *
 * <p>Without a deadline (tests, {@code istiod validate}) {@link #check()} does nothing. A check
 * reads the clock only every {@value #CLOCK_EVERY} calls, so it can sit in tight loops.
 */
public final class Deadline {
  private static final int CLOCK_EVERY = 64;
  private static final ThreadLocal<State> CURRENT = new ThreadLocal<>();

  private Deadline() {}

  /** The deadline passed: the work was abandoned. */
  public static final class Exceeded extends RuntimeException {
    Exceeded() {
      super("validation deadline exceeded", null, false, false);
    }
  }

  private static final class State {
    final long deadlineNanos;
    int calls;

    State(long deadlineNanos) {
      this.deadlineNanos = deadlineNanos;
    }
  }

  /**
   * Runs {@code work} on this thread with a deadline in {@link System#nanoTime()} terms.
   *
   * @throws Exceeded if {@code work} checked after the deadline
   */
  public static <T> T within(long deadlineNanos, Supplier<T> work) {
    State outer = CURRENT.get();
    CURRENT.set(new State(deadlineNanos));
    try {
      return work.get();
    } finally {
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    }
  }

  /** Throws {@link Exceeded} if this thread's deadline has passed. */
  public static void check() {
    State s = CURRENT.get();
    if (s != null && ++s.calls % CLOCK_EVERY == 0) {
      check(s);
    }
  }

  private static void check(State s) {
    if (System.nanoTime() - s.deadlineNanos > 0) {
      throw new Exceeded();
    }
  }
}
