package io.jistiod.istiod.security;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/**
 * The gRPC server on 15012: TLS 1.2 or 1.3 with istiod's serving certificate (swappable, see {@link
 * ServingKeyManager}), client certificates optional and verified against the mesh roots when given,
 * and gRPC settings as istiod's (4 MiB messages, 30 s keepalive, pings from clients tolerated every
 * 15 s).
 *
 * <p>Calls run on a pool of their own: authentication may block on a TokenReview, and must neither
 * stall the transport threads nor the plaintext server.
 */
public final class SecureGrpcServer implements AutoCloseable {
  /** Enough for a burst of CSRs each waiting on a TokenReview, without unbounded threads. */
  static final int CALL_THREADS = 64;

  private final Server server;
  private final ExecutorService executor;

  private SecureGrpcServer(Server server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds and starts the server.
   *
   * @throws IOException when the address cannot be bound, with the OS's reason
   */
  public static SecureGrpcServer start(
      InetSocketAddress address,
      ServingKeyManager keys,
      MeshTrustManager trust,
      List<ServerServiceDefinition> services)
      throws IOException {
    SslContext tls = sslContext(keys, trust);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            CALL_THREADS,
            r -> {
              Thread t = new Thread(r, "grpc-15012-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    NettyServerBuilder builder =
        io.jistiod.istiod.grpc.GrpcConnectionLimits.apply(
                NettyServerBuilder.forAddress(address),
                io.jistiod.istiod.grpc.GrpcConnectionLimits.DEFAULT_MAX_CONNECTION_IDLE)
            .sslContext(tls)
            .executor(executor)
            .maxInboundMessageSize(4 * 1024 * 1024)
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .permitKeepAliveTime(15, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true);
    services.forEach(builder::addService);
    try {
      return new SecureGrpcServer(builder.build().start(), executor);
    } catch (IOException e) {
      executor.shutdownNow();
      throw e;
    }
  }

  static SslContext sslContext(ServingKeyManager keys, MeshTrustManager trust) throws SSLException {
    return GrpcSslContexts.configure(
            SslContextBuilder.forServer(keys)
                .trustManager(trust)
                .clientAuth(ClientAuth.OPTIONAL)
                .protocols("TLSv1.3", "TLSv1.2"))
        .build();
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }

  /** The root cause's message: gRPC's bind error wraps the OS's ("Address already in use"). */
  static String bindReason(IOException e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String reason = t.getMessage() == null ? t.toString() : t.getMessage();
    return reason.toLowerCase(Locale.ROOT).contains("in use") ? "address already in use" : reason;
  }
}
