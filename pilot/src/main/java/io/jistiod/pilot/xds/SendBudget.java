package io.jistiod.pilot.xds;

import java.util.concurrent.TimeUnit;

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
 * <p>The bound is soft: a writer whose deadline passes sends anyway (the send timeout, not this
 * budget, is what ends streams), and a response larger than the whole budget is let through alone.
 */
final class SendBudget {
  private static final long RECHECK_MILLIS = 50;

  private final long limit;
  private long inFlight;

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
   * Takes {@code bytes} of the budget, waiting until they fit or {@code deadlineNanos} ({@link
   * System#nanoTime()} base) passes; then takes them anyway. Returns what was taken, to be given
   * back with {@link #release}.
   */
  long acquire(long bytes, long deadlineNanos) throws InterruptedException {
    long n = Math.min(bytes, limit);
    synchronized (this) {
      while (inFlight > 0 && inFlight + n > limit) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), RECHECK_MILLIS)));
      }
      inFlight += n;
    }
    return n;
  }

  synchronized void release(long bytes) {
    if (bytes > 0) {
      inFlight -= bytes;
      notifyAll();
    }
  }

  synchronized long inFlight() {
    return inFlight;
  }

  long limit() {
    return limit;
  }
}
