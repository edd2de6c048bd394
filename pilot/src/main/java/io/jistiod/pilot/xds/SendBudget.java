package io.jistiod.pilot.xds;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bytes of responses handed to gRPC and not yet written to the network, across every stream.
 *
 * <p>gRPC serializes a response into (direct) buffers when it is handed over and keeps them until
 * the client's flow-control window lets them out, so during a push to many slow readers every
 * stream pins a whole response: at 1000 proxies that exhausted the JVM's direct memory (1.5 GiB in
 * a 2 GiB container) and failed pushes. istiod's Go sends block on flow control with the message on
 * its heap, unbounded. Here a writer waits (up to its deadline) until the bytes in flight fall
 * under the limit; a stream's bytes are released when gRPC reports it ready again (the response
 * left its buffers) or when it ends.
 *
 * <p>A writer waits as long as the budget moves: every release gives the waiters a new {@code
 * stall} period. Giving up at a fixed deadline instead let every stream of a 500-proxy connect wave
 * through after 30 s, past the budget at once, and direct memory ran out (5000 services: 1.5 GiB of
 * buffers, streams ended, clients reconnected, nothing converged). The bound is still soft: when
 * nothing was released for a whole {@code stall} (the holders are stuck readers, which their own
 * send timeout will end), a writer goes anyway, and a response larger than the whole budget is let
 * through alone.
 */
final class SendBudget {
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long QUEUED_RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long limit;
  private final ReentrantLock lock = new ReentrantLock();
  private long inFlight;
  private long releases;

  /**
   * Writers waiting for the budget, in arrival order, each with its own condition: only the first
   * in line can go, so a release wakes that one alone. (Waking every waiter on each release, with
   * some thirty push and request threads waiting during a large push, cost a twentieth of its CPU
   * in futex calls.)
   */
  private final ArrayDeque<Condition> waiting = new ArrayDeque<>();

  SendBudget(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("limit must be positive, got " + limitBytes);
    }
    this.limit = limitBytes;
  }

  /**
   * A quarter of the maximum heap, which is also the JVM's default limit of direct memory: what
   * gRPC's buffers may take beside the heap without a container's memory limit being crossed.
   */
  static SendBudget defaultForThisJvm() {
    return new SendBudget(Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 4));
  }

  /**
   * Takes {@code bytes} of the budget, waiting until they fit; a wait ends without them fitting
   * only when nothing was released for {@code stallNanos}, and then takes them anyway. Returns what
   * was taken, to be given back with {@link #release}.
   *
   * <p>Writers are served in arrival order: a writer that fits waits behind one that came first and
   * does not, so a stream of small responses cannot starve a large one. Only the first in line
   * gives up on a stall, and its stall is counted from when it became first, so stuck holders let
   * one writer past the budget per stall, not every waiter at once.
   */
  long acquire(long bytes, long stallNanos) throws InterruptedException {
    long n = Math.min(bytes, limit);
    lock.lock();
    try {
      if (waiting.isEmpty() && fits(n)) {
        inFlight += n;
        return n;
      }
      Condition me = lock.newCondition();
      waiting.addLast(me);
      try {
        // behind others: wait to become first (the one ahead signals when it leaves)
        while (waiting.peekFirst() != me) {
          me.awaitNanos(QUEUED_RECHECK_NANOS); // a bound, not a poll: the signal is what wakes it
        }
        long seen = releases;
        long giveUpAt = System.nanoTime() + stallNanos;
        while (!fits(n)) {
          if (releases != seen) {
            seen = releases; // the budget moves: a new stall
            giveUpAt = System.nanoTime() + stallNanos;
          }
          long left = giveUpAt - System.nanoTime();
          if (left <= 0) {
            break;
          }
          me.awaitNanos(Math.min(left, RECHECK_NANOS));
        }
        inFlight += n;
        return n;
      } finally {
        waiting.remove(me);
        Condition next = waiting.peekFirst();
        if (next != null) {
          next.signal(); // the next in line is first now
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean fits(long n) {
    return inFlight == 0 || inFlight + n <= limit;
  }

  void release(long bytes) {
    if (bytes <= 0) {
      return;
    }
    lock.lock();
    try {
      inFlight -= bytes;
      releases++;
      Condition first = waiting.peekFirst();
      if (first != null) {
        first.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  long inFlight() {
    lock.lock();
    try {
      return inFlight;
    } finally {
      lock.unlock();
    }
  }

  long limit() {
    return limit;
  }
}
