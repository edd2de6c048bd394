package io.jistiod.pilot.xds;

import java.util.function.LongSupplier;

/**
 * Limits how fast new ADS streams are admitted, as istiod does (PILOT_MAX_REQUESTS_PER_SECOND): a
 * token bucket with a burst of one second's worth; a stream that would wait longer than the allowed
 * wait is refused (RESOURCE_EXHAUSTED) and the client retries with backoff. This keeps a reconnect
 * storm (all proxies at once after a restart) from starving pushes.
 */
final class StreamRateLimiter {
  private final double perSecond;
  private final LongSupplier nanoTime;
  private double tokens;
  private long last;

  StreamRateLimiter(double perSecond, LongSupplier nanoTime) {
    if (perSecond <= 0) {
      throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: > 0)");
    }
    this.perSecond = perSecond;
    this.nanoTime = nanoTime;
    this.tokens = perSecond;
    this.last = nanoTime.getAsLong();
  }

  /** istiod's default: min(15 + 5 x cores, 100) streams a second. */
  static double defaultRate() {
    return Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100);
  }

  /**
   * Takes a token, reserving one ahead if the bucket is empty. Returns how long the caller must
   * wait before proceeding, or -1 (and reserves nothing) if that would exceed {@code maxWaitNanos}.
   */
  synchronized long reserve(long maxWaitNanos) {
    long now = nanoTime.getAsLong();
    tokens = Math.min(perSecond, tokens + (now - last) / 1e9 * perSecond);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    long wait = (long) ((1 - tokens) / perSecond * 1e9);
    if (wait > maxWaitNanos) {
      return -1;
    }
    tokens -= 1;
    return wait;
  }
}
