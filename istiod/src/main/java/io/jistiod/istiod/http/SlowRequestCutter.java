package io.jistiod.istiod.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngineResult;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts connections whose TLS handshake or request headers take longer than a limit. Jetty's idle
 * timeout only sees silence; a slowloris that sends one byte every few seconds is never idle, so
 * without this it would hold its connection forever. Request bodies are bounded by the handlers
 * (the webhook's request deadline). HTTP/2 connections are left to Jetty's own stream limits.
 *
 * <p>Called periodically; a connection is cut when it was seen in the same unfinished state (same
 * number of requests received) on every check for longer than the limit.
 */
final class SlowRequestCutter {
  private static final Logger log = LoggerFactory.getLogger(SlowRequestCutter.class);

  private final String server;
  private final ServerConnector connector;
  private final long limitNanos;
  private final Map<EndPoint, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong cut = new AtomicLong();

  private record Pending(long sinceNanos, long messagesIn) {}

  SlowRequestCutter(String server, ServerConnector connector, Duration limit) {
    this.server = server;
    this.connector = connector;
    this.limitNanos = limit.toNanos();
  }

  /** Connections cut so far. */
  long cut() {
    return cut.get();
  }

  void check() {
    long now = System.nanoTime();
    var open = connector.getConnectedEndPoints();
    pending.keySet().retainAll(open);
    for (EndPoint endPoint : open) {
      Connection outer = endPoint.getConnection();
      Connection inner = outer;
      boolean unfinished = false;
      if (outer instanceof SslConnection tls) {
        unfinished =
            tls.getSSLEngine().getHandshakeStatus()
                != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
        inner = tls.getSslEndPoint().getConnection();
      }
      if (inner instanceof HttpConnection http) {
        var parser = http.getParser();
        unfinished |= parser.inHeaderState() && !parser.isStart();
      }
      long messages = inner == null ? 0 : inner.getMessagesIn();
      if (!unfinished) {
        pending.remove(endPoint);
        continue;
      }
      Pending p = pending.get(endPoint);
      if (p == null || p.messagesIn() != messages) {
        pending.put(endPoint, new Pending(now, messages));
      } else if (now - p.sinceNanos() > limitNanos) {
        pending.remove(endPoint);
        cut.incrementAndGet();
        // debug: under a slowloris attack a line per connection would flood the log
        log.debug(
            "{}: closing connection from {}: handshake or request headers not complete within {}"
                + " ms",
            server,
            endPoint.getRemoteSocketAddress(),
            limitNanos / 1_000_000);
        endPoint.close(new TimeoutException("request headers too slow"));
      }
    }
  }
}
