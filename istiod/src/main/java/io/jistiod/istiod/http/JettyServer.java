package io.jistiod.istiod.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One Jetty server on one address, with the {@link ServerLimits} applied: a bounded pool and queue
 * (one acceptor and one selector thread apart from the handler threads), idle and header timeouts,
 * header size limits, and a handler that answers 500 to anything thrown. {@link #healthy()} says
 * whether it is started and its pool still runs work, for readiness.
 */
public final class JettyServer implements AutoCloseable {
  private final String name;
  private final Server server;
  private final ServerConnector connector;
  private final SlowRequestCutter cutter;
  private final PoolProbe probe;
  private final ScheduledExecutorService watchdog;
  private final long tickMillis;

  private JettyServer(
      String name,
      InetSocketAddress address,
      ServerLimits limits,
      Handler handler,
      SslContextFactory.Server tls)
      throws IOException {
    this.name = name;
    QueuedThreadPool pool =
        new QueuedThreadPool(
            limits.maxThreads(),
            Math.min(4, limits.maxThreads()),
            60_000,
            0, // no reserved threads: every thread is one of maxThreads, counted
            new BlockingArrayQueue<>(
                limits.queueCapacity(), limits.queueCapacity(), limits.queueCapacity()),
            null);
    pool.setName(name);
    pool.setDaemon(true);
    server = new Server(pool);
    server.setStopTimeout(2_000);

    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxRequestHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ConnectionFactory[] factories;
    if (tls == null) {
      factories = new ConnectionFactory[] {new HttpConnectionFactory(http)};
    } else {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // The certificate is not Jetty's to match: the key manager picks it per handshake.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
      ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
      alpn.setDefaultProtocol("http/1.1");
      factories =
          new ConnectionFactory[] {
            new SslConnectionFactory(tls, alpn.getProtocol()),
            alpn,
            h2,
            new HttpConnectionFactory(http)
          };
    }
    connector = new ServerConnector(server, 1, 1, factories);
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    connector.setAcceptQueueSize(256);
    connector.setAcceptedTcpNoDelay(true);
    server.addConnector(connector);
    server.setHandler(new SafeHandler(name, handler));

    // Four checks per header limit (at most 250 ms apart): a slow client is cut within 1.25x.
    tickMillis = Math.max(20, Math.min(250, limits.requestHeaderTimeout().toMillis() / 4));
    cutter = new SlowRequestCutter(name, connector, limits.requestHeaderTimeout());
    probe = new PoolProbe(pool, limits.unresponsiveAfter());
    watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, name + "-watchdog");
              t.setDaemon(true);
              return t;
            });
    // Bind now: a port in use fails at startup with the OS's reason.
    connector.open();
  }

  /** Plain HTTP/1.1 on {@code address}, bound now, served from {@link #start()}. */
  public static JettyServer plain(
      String name, InetSocketAddress address, ServerLimits limits, Handler handler)
      throws IOException {
    return new JettyServer(name, address, limits, handler, null);
  }

  /**
   * HTTPS on {@code address} (HTTP/2 or HTTP/1.1 by ALPN), TLS 1.2 and 1.3 with {@code
   * cipherSuites} where the JDK has them; the certificate is the one {@code tls}'s key manager
   * picks at each handshake.
   */
  public static JettyServer tls(
      String name,
      InetSocketAddress address,
      ServerLimits limits,
      Handler handler,
      SSLContext tls,
      List<String> cipherSuites)
      throws IOException {
    SslContextFactory.Server f = new SslContextFactory.Server();
    f.setSslContext(tls);
    f.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    f.setIncludeCipherSuites(cipherSuites.toArray(String[]::new));
    f.setRenegotiationAllowed(false);
    f.setNeedClientAuth(false);
    f.setSniRequired(false);
    return new JettyServer(name, address, limits, handler, f);
  }

  public void start() throws IOException {
    try {
      server.start();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(name + ": cannot start: " + e.getMessage(), e);
    }
    watchdog.scheduleWithFixedDelay(this::watch, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
  }

  private void watch() {
    try {
      cutter.check();
      probe.tick();
    } catch (RuntimeException e) {
      // the next tick tries again; a watchdog that dies would leave slow clients uncut
    }
  }

  /** Started, not stopping, and its pool has run work recently. */
  public boolean healthy() {
    return server.isStarted() && !server.isStopping() && probe.responsive();
  }

  public int port() {
    return connector.getLocalPort();
  }

  /** Connections cut for slow handshakes or headers so far. */
  public long slowConnectionsCut() {
    return cutter.cut();
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    try {
      server.stop();
    } catch (Exception e) {
      // stopping: nothing left to serve either way
    }
  }
}
