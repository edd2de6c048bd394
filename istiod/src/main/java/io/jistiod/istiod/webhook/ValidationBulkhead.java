package io.jistiod.istiod.webhook;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How many validations run at once. Each may hold a 6 MiB body and the trees parsed from it (about
 * ten times the body in the worst case), so the count is what a quarter of the heap holds at that
 * size, at least one and at most two per processor (validation is CPU work; more would only wait).
 * A request that finds no permit waits briefly, then is refused instead of piling up.
 */
final class ValidationBulkhead {
  /** A 6 MiB body and what parsing it may take. */
  static final long BYTES_PER_VALIDATION = 10L * ValidationWebhookServer.MAX_BODY_BYTES;

  private final Semaphore permits;
  private final int size;

  ValidationBulkhead(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size: " + size + " (expected: >= 1)");
    }
    this.size = size;
    this.permits = new Semaphore(size, true);
  }

  /** The size for this JVM's heap and processors. */
  static int defaultSize() {
    return sizeFor(Runtime.getRuntime().maxMemory(), Runtime.getRuntime().availableProcessors());
  }

  static int sizeFor(long maxHeapBytes, int processors) {
    long byHeap = (maxHeapBytes / 4) / BYTES_PER_VALIDATION;
    return (int) Math.max(1, Math.min(byHeap, 2L * processors));
  }

  int size() {
    return size;
  }

  /**
   * True with a permit, which the caller must {@link #release()}; false after {@code waitNanos}.
   */
  boolean acquire(long waitNanos) {
    try {
      return permits.tryAcquire(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void release() {
    permits.release();
  }

  /** Validations running now. */
  int inUse() {
    return size - permits.availablePermits();
  }
}
