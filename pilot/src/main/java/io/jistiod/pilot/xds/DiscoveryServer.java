package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of Pilot's serving side: holds the current {@link PushContext}, the connected proxies,
 * and the workers that push to them.
 *
 * <p>A push ({@link #push}) builds the next context (for a full push) and queues every connection;
 * a bounded pool of workers drains the queue, so pushes to many proxies run with bounded
 * concurrency and a stalled proxy delays no one else.
 */
public final class DiscoveryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DiscoveryServer.class);

  private final GeneratorRegistry generators;
  private final PushContextFactory factory;
  private final XdsMetrics metrics;
  private final Map<String, ProxyConnection> connections = new ConcurrentHashMap<>();
  private final PushQueue queue = new PushQueue();
  private final AtomicLong connectionCounter = new AtomicLong();
  private final List<Thread> workers = new ArrayList<>();
  private volatile PushContext current;

  public DiscoveryServer(
      GeneratorRegistry generators, PushContextFactory factory, XdsMetrics metrics, int workers) {
    this.generators = Objects.requireNonNull(generators, "generators");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "xds-push-" + i);
      t.setDaemon(true);
      this.workers.add(t);
    }
  }

  /**
   * Builds the first push context from synced sources and starts serving. Until this is called, new
   * streams are refused with UNAVAILABLE rather than served an empty config.
   */
  public void start(long nowNanos) {
    current = factory.build(null, PushRequest.fullForAll("global", nowNanos));
    workers.forEach(Thread::start);
    log.info("xDS ready: push context {}", current.version());
  }

  public boolean isReady() {
    return current != null;
  }

  public PushContext current() {
    return current;
  }

  /**
   * Applies a debounced change: the next push context (only endpoints are rebuilt for an
   * endpoints-only change), then every connected proxy is queued.
   */
  public void push(PushRequest request) {
    if (current == null) {
      return;
    }
    request.reasons().forEach(metrics::pushTrigger);
    current = factory.build(current, request);
    for (ProxyConnection c : connections.values()) {
      queue.enqueue(c, request);
    }
  }

  Connection connect(Proxy proxy, StreamObserver<DiscoveryResponse> out) {
    return register(new Connection(nextId(proxy), proxy, out, this));
  }

  DeltaConnection connectDelta(Proxy proxy, StreamObserver<DeltaDiscoveryResponse> out) {
    return register(new DeltaConnection(nextId(proxy), proxy, out, this));
  }

  private String nextId(Proxy proxy) {
    return proxy.id() + "-" + connectionCounter.incrementAndGet();
  }

  private <C extends ProxyConnection> C register(C c) {
    connections.put(c.id(), c);
    metrics.connected();
    log.info(
        "ADS: new {} connection {} ({} {})",
        c instanceof DeltaConnection ? "delta" : "sotw",
        c.id(),
        c.proxy().type(),
        c.proxy().ipAddresses());
    return c;
  }

  void disconnect(ProxyConnection c) {
    if (connections.remove(c.id()) != null) {
      c.close();
      queue.remove(c);
      metrics.disconnected();
      log.info("ADS: {} disconnected", c.id());
    }
  }

  /** Connection id to watched type URL to names; for debug endpoints and tests. */
  public Map<String, Map<String, Set<String>>> connectionsSnapshot() {
    Map<String, Map<String, Set<String>>> m = new java.util.TreeMap<>();
    connections.forEach((id, c) -> m.put(id, c.watchedNames()));
    return m;
  }

  public int connectedCount() {
    return connections.size();
  }

  GeneratorRegistry generators() {
    return generators;
  }

  XdsMetrics metrics() {
    return metrics;
  }

  private void work() {
    try {
      while (true) {
        Map.Entry<ProxyConnection, PushRequest> next = queue.take();
        if (next == null) {
          return;
        }
        ProxyConnection c = next.getKey();
        try {
          c.push(current, next.getValue());
          metrics.convergence(Duration.ofNanos(System.nanoTime() - next.getValue().startNanos()));
        } catch (RuntimeException e) {
          log.error("push to {} failed", c.id(), e);
        } finally {
          queue.done(c);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    queue.shutdown();
    workers.forEach(Thread::interrupt);
  }
}
