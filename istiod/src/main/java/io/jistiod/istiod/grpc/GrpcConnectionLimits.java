package io.jistiod.istiod.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a connection to a gRPC port (15010, 15012) may hold without doing anything. A connection
 * with no open call for {@code maxConnectionIdle} is sent GOAWAY and closed: an HTTP/2 preface with
 * nothing after it, or a TCP connection that sends nothing, no longer stays open forever. A proxy's
 * ADS stream is an open call, so a connected proxy is never idle and never cut. A TLS handshake
 * must end within {@link #HANDSHAKE_TIMEOUT}.
 */
public final class GrpcConnectionLimits {
  /**
   * Long enough for any client that connects in order to call (gRPC clients open their stream right
   * after connecting), short enough that idle connections cannot accumulate.
   */
  public static final Duration DEFAULT_MAX_CONNECTION_IDLE = Duration.ofMinutes(2);

  /** As Go gRPC servers' connection timeout is for the handshake, but tighter. */
  public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private GrpcConnectionLimits() {}

  /** Applies the limits to {@code builder}, and routes its connection log to one line each. */
  public static NettyServerBuilder apply(NettyServerBuilder builder, Duration maxConnectionIdle) {
    if (maxConnectionIdle.isNegative() || maxConnectionIdle.isZero()) {
      throw new IllegalArgumentException(
          "max connection idle: " + maxConnectionIdle + " (expected: > 0)");
    }
    GrpcConnectionLog.install();
    return builder
        .maxConnectionIdle(maxConnectionIdle.toNanos(), TimeUnit.NANOSECONDS)
        .handshakeTimeout(
            Math.min(HANDSHAKE_TIMEOUT.toNanos(), maxConnectionIdle.toNanos()),
            TimeUnit.NANOSECONDS);
  }
}
