package io.jistiod.istiod.http;

import java.time.Duration;

/**
 * What one HTTP server may spend: handler threads, queued jobs, and how long a client may take.
 *
 * @param maxThreads the pool's size, acceptor and selector threads included (two of them); the rest
 *     run handlers, so a handler that blocks never stops accepting or reading
 * @param queueCapacity jobs waiting for a thread; past it a new job is refused (its connection
 *     closed) instead of piling up in memory
 * @param idleTimeout a connection with no traffic for this long is closed
 * @param requestHeaderTimeout a TLS handshake or a request's headers must be complete within this;
 *     a client that trickles them (slowloris) is cut
 * @param maxRequestHeaderBytes the request line and headers together; larger is a 431
 * @param unresponsiveAfter the server is reported not healthy when its pool has not run a probe job
 *     for this long (every handler thread stuck, or the pool stopped)
 */
public record ServerLimits(
    int maxThreads,
    int queueCapacity,
    Duration idleTimeout,
    Duration requestHeaderTimeout,
    int maxRequestHeaderBytes,
    Duration unresponsiveAfter) {

  /** 8080 and 15014: readiness, metrics and debug pages; few clients, small requests. */
  public static final ServerLimits ENDPOINTS =
      new ServerLimits(
          10,
          64,
          Duration.ofSeconds(30),
          Duration.ofSeconds(10),
          16 * 1024,
          Duration.ofSeconds(10));

  /**
   * 15017: the API server's admission calls. The pool bounds the request bodies held at once (6 MiB
   * each at most); 16 threads leave 14 for handlers, about 84 MiB of bodies in the worst case.
   */
  public static final ServerLimits WEBHOOK =
      new ServerLimits(
          16,
          256,
          Duration.ofSeconds(30),
          Duration.ofSeconds(10),
          32 * 1024,
          Duration.ofSeconds(10));

  public ServerLimits {
    if (maxThreads < 4) {
      throw new IllegalArgumentException("maxThreads: " + maxThreads + " (expected: >= 4)");
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: >= 1)");
    }
    for (Duration d : new Duration[] {idleTimeout, requestHeaderTimeout, unresponsiveAfter}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts must be > 0, got " + d);
      }
    }
  }

  public ServerLimits withRequestHeaderTimeout(Duration d) {
    return new ServerLimits(
        maxThreads, queueCapacity, idleTimeout, d, maxRequestHeaderBytes, unresponsiveAfter);
  }

  public ServerLimits withIdleTimeout(Duration d) {
    return new ServerLimits(
        maxThreads,
        queueCapacity,
        d,
        requestHeaderTimeout,
        maxRequestHeaderBytes,
        unresponsiveAfter);
  }
}
