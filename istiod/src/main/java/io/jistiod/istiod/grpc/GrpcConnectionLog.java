package io.jistiod.istiod.grpc;

import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line, not a stack trace, per malformed connection on the gRPC ports. grpc-netty-shaded
 * reports every connection that fails (garbage bytes, TLS on the plaintext port, a dropped
 * handshake) as "Transport failed" with the whole stack trace, at INFO, to the java.util.logging
 * logger below; nothing routes java.util.logging to our log, so its default console handler printed
 * some 20 lines each, a log flood anyone could trigger. Here that logger's records become one line
 * each through our log, at most {@link #LINES_PER_SECOND} a second; the rest are counted and the
 * count is told with the next line.
 */
public final class GrpcConnectionLog {
  /** grpc-java's {@code NettyServerTransport.connections}, shaded. */
  static final String LOGGER =
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections";

  static final int LINES_PER_SECOND = 5;

  private static final Logger log = LoggerFactory.getLogger("xds-connections");

  /** Held: java.util.logging keeps loggers weakly, and would forget the settings below. */
  private static final java.util.logging.Logger GRPC = java.util.logging.Logger.getLogger(LOGGER);

  private static final OneLine HANDLER = new OneLine();

  private GrpcConnectionLog() {}

  /** Routes the gRPC connection log through {@link OneLine}; idempotent. */
  public static synchronized void install() {
    for (Handler h : GRPC.getHandlers()) {
      if (h == HANDLER) {
        return;
      }
    }
    GRPC.setUseParentHandlers(false);
    GRPC.setLevel(Level.INFO); // FINE records (plain socket resets) are not worth a line
    GRPC.addHandler(HANDLER);
  }

  /** Lines written so far. */
  static long lines() {
    return HANDLER.written.get();
  }

  private static final class OneLine extends Handler {
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();
    private long windowStart;
    private int inWindow;

    @Override
    public void publish(LogRecord r) {
      if (r == null || r.getLevel().intValue() < Level.INFO.intValue()) {
        return;
      }
      if (!admit()) {
        suppressed.incrementAndGet();
        return;
      }
      long dropped = suppressed.getAndSet(0);
      written.incrementAndGet();
      log.info(
          "closed a malformed gRPC connection: {}{}",
          describe(r.getThrown(), r.getMessage()),
          dropped == 0 ? "" : " (and " + dropped + " more not logged)");
    }

    private synchronized boolean admit() {
      long now = System.nanoTime();
      if (now - windowStart > 1_000_000_000L) {
        windowStart = now;
        inWindow = 0;
      }
      return ++inWindow <= LINES_PER_SECOND;
    }

    private static String describe(Throwable t, String message) {
      if (t == null) {
        return String.valueOf(message);
      }
      // The innermost cause says what was wrong ("HTTP/2 client preface string missing", "not an
      // SSL/TLS record"); its first line is enough.
      Throwable root = t;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String m = String.valueOf(root.getMessage());
      int nl = m.indexOf('\n');
      if (nl >= 0) {
        m = m.substring(0, nl);
      }
      if (m.length() > 200) {
        m = m.substring(0, 200) + "...";
      }
      return root.getClass().getSimpleName() + ": " + m;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
