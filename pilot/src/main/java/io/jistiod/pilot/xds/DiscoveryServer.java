package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.config.core.v3.ControlPlane;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * concurrency. Writes follow gRPC flow control: a proxy that stops reading holds one worker for at
 * most the send timeout, after which the write counts in {@code pilot_xds_write_timeout} and the
 * stream is closed (reliability.md XDS-20).
 */
public final class DiscoveryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DiscoveryServer.class);

  /**
   * How long a write waits for a stream that is not ready. Istio leaves {@code
   * PILOT_XDS_SEND_TIMEOUT} unset (no limit); a limit is what keeps a stalled proxy from holding a
   * push worker forever, and 30 s leaves a slow but live client time to drain a large response.
   */
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(30);

  private final GeneratorRegistry generators;
  private final PushContextFactory factory;
  private final XdsMetrics metrics;
  private final Map<String, ProxyConnection> connections = new ConcurrentHashMap<>();
  private volatile ControlPlane controlPlane;
  private final PushQueue queue = new PushQueue();
  private final AtomicLong connectionCounter = new AtomicLong();
  private final List<Thread> workers = new ArrayList<>();
  private final long sendTimeoutNanos;
  private final SendBudget sendBudget = SendBudget.defaultForThisJvm();
  private final DebugRequests debugRequests = new DebugRequests(this);
  private volatile PushContext current;

  public DiscoveryServer(
      GeneratorRegistry generators, PushContextFactory factory, XdsMetrics metrics, int workers) {
    this(generators, factory, metrics, workers, DEFAULT_SEND_TIMEOUT);
  }

  /**
   * @param workers pushes that may run at once
   * @param sendTimeout how long a write waits for a proxy that does not read ({@code
   *     PILOT_XDS_SEND_TIMEOUT}); positive
   */
  public DiscoveryServer(
      GeneratorRegistry generators,
      PushContextFactory factory,
      XdsMetrics metrics,
      int workers,
      Duration sendTimeout) {
    if (workers < 1) {
      throw new IllegalArgumentException("push workers must be at least 1, got " + workers);
    }
    if (sendTimeout == null || sendTimeout.isNegative() || sendTimeout.isZero()) {
      throw new IllegalArgumentException("xDS send timeout must be positive, got " + sendTimeout);
    }
    this.sendTimeoutNanos = sendTimeout.toNanos();
    identify("", "unknown", "");
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

  /**
   * Whether ztunnel proxies are served (istiod's {@code PILOT_ENABLE_AMBIENT}); off, a ztunnel's
   * stream is refused, as istiod refuses it.
   */
  public void serveZtunnel(boolean on) {
    this.ztunnel = on;
  }

  boolean servesZtunnel() {
    return ztunnel;
  }

  private volatile boolean ztunnel;

  public boolean isReady() {
    return current != null;
  }

  public PushContext current() {
    return current;
  }

  /**
   * Applies a debounced change: the next push context (rebuilt only for the kinds that changed),
   * then every connected proxy the change can affect is queued; each connection then regenerates
   * only the types whose dependencies changed.
   */
  public void push(PushRequest request) {
    if (current == null) {
      return;
    }
    request.reasons().forEach(metrics::pushTrigger);
    PushContext previous = current;
    current = factory.build(previous, request);
    logPush(request);
    ProxyDependencies dependencies = new ProxyDependencies(request, previous, current);
    int skipped = 0;
    Set<String> changedServices = request.servicesUpdated();
    for (ProxyConnection c : connections.values()) {
      if (!request.full() && servesChangedTargets(c.proxy(), changedServices, previous)) {
        // the proxy's own workload joined or left a service (istiod's ProxyUpdate): its inbound
        // listeners and clusters change, which an endpoints-only push would not send
        queue.enqueue(
            c,
            new PushRequest(true, request.configsUpdated(), Map.of(), request.startNanos(), false));
      } else if (dependencies.affects(c.proxy()) || watchesEndpointsOf(c, changedServices)) {
        queue.enqueue(c, request);
      } else {
        skipped++;
      }
    }
    if (skipped > 0) {
      log.debug("push {}: {} proxies not affected", current.version(), skipped);
    }
  }

  /** Whether the proxy's service targets among {@code hosts} differ between the two contexts. */
  private boolean servesChangedTargets(Proxy proxy, Set<String> hosts, PushContext previous) {
    if (hosts.isEmpty() || previous == null) {
      return false;
    }
    return !targetsOf(previous, proxy, hosts).equals(targetsOf(current, proxy, hosts));
  }

  private static List<PushContext.ServiceTarget> targetsOf(
      PushContext push, Proxy proxy, Set<String> hosts) {
    List<PushContext.ServiceTarget> out = new ArrayList<>();
    for (PushContext.ServiceTarget t : push.serviceTargets(proxy)) {
      if (hosts.contains(t.service().hostname())) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * Whether the proxy subscribed to the load assignment of a changed service: EDS answers any
   * cluster a proxy names, even one its scope hides, so such a subscription must be kept current.
   */
  private static boolean watchesEndpointsOf(ProxyConnection c, Set<String> hosts) {
    if (hosts.isEmpty()) {
      return false;
    }
    for (String name : c.watchedEndpoints()) {
      int bar = name.lastIndexOf('|');
      if (bar >= 0 && hosts.contains(name.substring(bar + 1))) {
        return true;
      }
    }
    return false;
  }

  /** As istiod logs a push: the first change by its typed key and how many more were merged. */
  private void logPush(PushRequest request) {
    if (!log.isDebugEnabled()) {
      return;
    }
    var keys = new java.util.TreeSet<>(request.configsUpdated());
    String first = keys.isEmpty() ? "all" : keys.first().toString();
    int more = Math.max(0, keys.size() - 1);
    log.debug(
        "Push {} for config {}{}: {} since first change, full={}",
        current.version(),
        first,
        more == 0 ? "" : " and " + more + " more configs",
        String.format(
            java.util.Locale.ROOT, "%.3fms", (System.nanoTime() - request.startNanos()) / 1e6),
        request.full());
  }

  /**
   * @param peer the stream's remote address, or null
   * @param identities the caller's authenticated identities ({@link XdsCaller#IDENTITIES}), or null
   *     on an unauthenticated port
   */
  Connection connect(
      Proxy proxy,
      boolean nodeHasLocality,
      java.net.SocketAddress peer,
      List<String> identities,
      StreamSender<DiscoveryResponse> out) {
    XdsCaller.Origin origin = XdsCaller.Origin.of(peer, identities, proxy);
    String id = nextId(proxy);
    begin(id, proxy, nodeHasLocality, origin);
    return register(new Connection(id, proxy, origin, out, this));
  }

  DeltaConnection connectDelta(
      Proxy proxy,
      boolean nodeHasLocality,
      java.net.SocketAddress peer,
      List<String> identities,
      StreamSender<DeltaDiscoveryResponse> out) {
    XdsCaller.Origin origin = XdsCaller.Origin.of(peer, identities, proxy);
    String id = nextId(proxy);
    begin(id, proxy, nodeHasLocality, origin);
    return register(new DeltaConnection(id, proxy, origin, out, this));
  }

  /**
   * Sets what happens around each stream (istiod's WorkloadEntry controller); before {@link
   * #start}.
   */
  public void lifecycle(StreamLifecycle lifecycle) {
    this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
  }

  private volatile StreamLifecycle lifecycle = StreamLifecycle.NONE;

  /**
   * Tells the lifecycle a stream opens, before it is registered or served: as istiod registers a VM
   * before computing its proxy state. A refusal propagates and the stream is never registered.
   */
  private void begin(String id, Proxy proxy, boolean nodeHasLocality, XdsCaller.Origin origin) {
    lifecycle.connected(
        new StreamLifecycle.Stream(
            id, proxy, nodeHasLocality, origin.connectedAt(), origin.identity()));
  }

  void healthReported(String connectionId, boolean healthy, String message) {
    lifecycle.healthReported(connectionId, healthy, message);
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
      lifecycle.disconnected(c.id());
    }
  }

  /**
   * Writes one response of {@code c}, waiting for flow control at most the send timeout. Returns
   * whether it was sent. On a timeout the stream is ended with DEADLINE_EXCEEDED and the connection
   * is dropped, as istiod ends a stream whose send timed out.
   */
  <R> boolean send(ProxyConnection c, StreamSender<R> out, R response, String typeUrl) {
    switch (out.send(response, sendTimeoutNanos)) {
      case SENT:
        return true;
      case TIMED_OUT:
        metrics.writeTimeout();
        metrics.sendError(typeUrl); // Istio counts a send that ends in DEADLINE_EXCEEDED as senderr
        log.info("Timeout writing {}: {}", c.id(), TypeUrls.shortName(typeUrl));
        out.fail(Status.DEADLINE_EXCEEDED.withDescription("timeout sending"));
        disconnect(c);
        return false;
      default:
        disconnect(c);
        return false;
    }
  }

  /**
   * The proxy with istiod's choice of locality: the registries' (a Kubernetes pod's locality label
   * or node topology), else topology labels in its node metadata, else the locality its node sent.
   */
  Proxy localize(Proxy reported) {
    Locality l = factory.workloadLocality(reported).orElse(null);
    if (l == null) {
      l = labelLocality(reported.metadata().labels());
    }
    return l == null ? reported : reported.withLocality(l);
  }

  private static Locality labelLocality(Map<String, String> labels) {
    if (labels.containsKey(Locality.REGION_LABEL)
        || labels.containsKey(Locality.ZONE_LABEL)
        || labels.containsKey(Locality.SUBZONE_LABEL)) {
      return new Locality(
          labels.get(Locality.REGION_LABEL),
          labels.get(Locality.ZONE_LABEL),
          labels.get(Locality.SUBZONE_LABEL));
    }
    String override = labels.get(Locality.LOCALITY_LABEL);
    if (override == null) {
      override = labels.get(Locality.LEGACY_LOCALITY_LABEL);
    }
    return override == null ? null : Locality.parse(override);
  }

  /**
   * Names this control plane in the responses to {@code istio.io/debug/syncz}, as istiod's
   * IstioControlPlaneInstance JSON: istioctl shows the ID (the pod name) per proxy.
   *
   * @param id the instance (istiod's {@code POD_NAME})
   * @param version the Istio version implemented
   * @param revision this build
   */
  public void identify(String id, String version, String revision) {
    Map<String, Object> info = new java.util.LinkedHashMap<>();
    info.put("version", version);
    info.put("revision", revision);
    info.put("golang_version", "");
    info.put("status", "Clean");
    info.put("tag", version);
    Map<String, Object> instance = new java.util.LinkedHashMap<>();
    instance.put("Component", "istiod");
    instance.put("ID", id);
    instance.put("Info", info);
    try {
      controlPlane =
          ControlPlane.newBuilder().setIdentifier(JSON.writeValueAsString(instance)).build();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("control plane identity " + instance, e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  ControlPlane controlPlane() {
    return controlPlane;
  }

  DebugRequests debugRequests() {
    return debugRequests;
  }

  /**
   * Serves the debug type {@code istio.io/debug} (istioctl x internal-debug) from istiod's HTTP
   * debug endpoints: {@code handler} maps a path under {@code /debug/} with its query to the body.
   * Callers outside {@code systemNamespace} get only the per-proxy paths.
   */
  public void serveHttpDebug(
      String systemNamespace, java.util.function.Function<String, String> handler) {
    debugRequests.serveHttpDebug(systemNamespace, handler);
  }

  Map<String, ProxyConnection> connectionsById() {
    return java.util.Collections.unmodifiableMap(connections);
  }

  /** The connection of a proxy id, as istiod finds it: the first by id that contains it. */
  Optional<ProxyConnection> connectionFor(String proxyId) {
    for (Map.Entry<String, ProxyConnection> e : new java.util.TreeMap<>(connections).entrySet()) {
      if (e.getKey().contains(proxyId)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /**
   * The raw resources of {@code types} (type URLs) the proxy connected as {@code proxyId} should
   * hold, or empty if no connection here has that id.
   */
  public Optional<io.envoyproxy.envoy.admin.v3.ConfigDump> configDumpOfTypes(
      String proxyId, List<String> types) {
    return connectionFor(proxyId).map(c -> ConfigDumps.ofTypes(c, current(), generators, types));
  }

  /**
   * The Envoy config dump of the proxy connected as {@code proxyId} (istiod's {@code
   * /debug/config_dump?proxyID=}), or empty if no connection here has that id.
   */
  public Optional<io.envoyproxy.envoy.admin.v3.ConfigDump> configDump(
      String proxyId, boolean includeEndpoints) {
    return connectionFor(proxyId)
        .map(c -> ConfigDumps.of(c, current(), generators, includeEndpoints));
  }

  /** One connected client as debug endpoints show it. */
  public record ClientInfo(
      String connectionId,
      Proxy proxy,
      XdsCaller.Origin origin,
      Map<String, Set<String>> watched) {}

  /** Every connected client, by connection id. */
  public List<ClientInfo> clients() {
    List<ClientInfo> out = new ArrayList<>();
    new java.util.TreeMap<>(connections)
        .forEach((id, c) -> out.add(new ClientInfo(id, c.proxy(), c.origin(), c.watchedNames())));
    return out;
  }

  /** One connected client and its per-type sync state; read without any connection's lock. */
  public record ClientState(
      String connectionId,
      Proxy proxy,
      XdsCaller.Origin origin,
      List<SyncStatus.TypeState> types) {}

  /** Every connected client with its sync state, by connection id; never waits for a push. */
  public List<ClientState> clientStates() {
    List<ClientState> out = new ArrayList<>();
    new java.util.TreeMap<>(connections)
        .forEach((id, c) -> out.add(new ClientState(id, c.proxy(), c.origin(), c.syncStates())));
    return out;
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

  /** Connections with a push waiting or running: zero once every push has been written. */
  public int pushesInFlight() {
    return queue.size();
  }

  /** Connections with a push waiting or running; for tests. */
  int queuedCount() {
    return queue.size();
  }

  /** Response bytes in flight to every stream, bounded (see {@link SendBudget}). */
  SendBudget sendBudget() {
    return sendBudget;
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
        } catch (OutOfMemoryError e) {
          // A worker must outlive a failed push, or pushes stop for everyone once all have died.
          // What ran out is most likely direct memory for one response: drop that stream only.
          log.error("push to {} failed: {}; ending its stream", c.id(), e.getMessage());
          c.fail(Status.RESOURCE_EXHAUSTED.withDescription("out of memory pushing"));
          disconnect(c);
        } finally {
          queue.done(c);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Ends every stream with {@code status}, so its client reconnects (to another replica, once this
   * one has stopped taking streams); for a graceful shutdown.
   *
   * @return how many streams were ended
   */
  public int disconnectAll(Status status) {
    int n = 0;
    for (ProxyConnection c : new ArrayList<>(connections.values())) {
      c.fail(status);
      disconnect(c);
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    queue.shutdown();
    workers.forEach(Thread::interrupt);
  }
}
