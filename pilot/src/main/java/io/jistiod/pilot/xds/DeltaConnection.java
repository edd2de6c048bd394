package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One incremental (delta) ADS stream, the mode Envoy sidecars and gateways use by default.
 *
 * <p>Per type it tracks what the client holds (name to version), so a push sends only resources
 * whose content changed and names the ones that went away in {@code removed_resources}. A
 * reconnecting client's {@code initial_resource_versions} seed that map, so it is sent only the
 * difference. Subscribe and unsubscribe are honoured whatever the nonce, as the xDS spec asks; only
 * ACK/NACK bookkeeping looks at the nonce.
 *
 * <p>Same threading as {@link Connection}: requests and pushes share this object's lock.
 */
final class DeltaConnection implements ProxyConnection {
  private static final Logger log = LoggerFactory.getLogger(DeltaConnection.class);

  /** Per-type subscription and client state. */
  private static final class Watch {
    final String typeUrl;
    boolean wildcard;
    final Set<String> names = new HashSet<>();

    /** What the client holds: name to version. */
    final Map<String, String> clientVersions = new HashMap<>();

    /** Subscribed names already reported as absent, so absence is reported once. */
    final Set<String> reportedAbsent = new HashSet<>();

    String nonceSent;
    String nonceAcked;
    String lastError;
    long lastSentMillis;

    Watch(String typeUrl) {
      this.typeUrl = typeUrl;
    }

    SyncStatus.TypeState state() {
      return new SyncStatus.TypeState(typeUrl, nonceSent, nonceAcked, lastError, lastSentMillis);
    }
  }

  private final String id;

  /** The proxy as its node describes it. */
  private final Proxy reported;

  /** As generators see it: the registry's locality applied (refreshed every push). */
  private volatile Proxy proxy;

  private final StreamSender<DeltaDiscoveryResponse> out;
  private final DiscoveryServer server;
  private final Map<String, Watch> watches = new LinkedHashMap<>();
  private volatile boolean closed;

  /** The subscribed EDS names, readable without this connection's lock. */
  private volatile Set<String> endpointNames = Set.of();

  /** Per watched type, what was sent and acknowledged; readable without the lock. */
  private volatile List<SyncStatus.TypeState> syncStates = List.of();

  private final XdsCaller.Origin origin;

  DeltaConnection(
      String id,
      Proxy proxy,
      XdsCaller.Origin origin,
      StreamSender<DeltaDiscoveryResponse> out,
      DiscoveryServer server) {
    this.id = id;
    this.origin = origin;
    this.reported = proxy;
    this.proxy = server.localize(proxy);
    this.out = out;
    this.server = server;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public XdsCaller.Origin origin() {
    return origin;
  }

  @Override
  public Proxy proxy() {
    return proxy;
  }

  synchronized void onRequest(DeltaDiscoveryRequest request) {
    try {
      handle(request);
    } finally {
      // copied only when the request changed them: an ACK of a sidecar watching 2000 load
      // assignments copied all 2000 names
      if (TypeUrls.ENDPOINT.equals(request.getTypeUrl())
          && (request.getResourceNamesSubscribeCount() > 0
              || request.getResourceNamesUnsubscribeCount() > 0)) {
        Watch eds = watches.get(TypeUrls.ENDPOINT);
        endpointNames = eds == null ? Set.of() : Set.copyOf(eds.names);
      }
      publishSyncStates();
    }
  }

  private void publishSyncStates() {
    List<SyncStatus.TypeState> states = new ArrayList<>(watches.size());
    for (Watch w : watches.values()) {
      states.add(w.state());
    }
    syncStates = List.copyOf(states);
  }

  @Override
  public List<SyncStatus.TypeState> syncStates() {
    return syncStates;
  }

  private void answerDebug(String type, List<String> names) {
    DeltaDiscoveryResponse.Builder response =
        DeltaDiscoveryResponse.newBuilder()
            .setTypeUrl(type)
            .setSystemVersionInfo(server.current().version())
            .setNonce(UUID.randomUUID().toString())
            .setControlPlane(server.controlPlane());
    try {
      response.addAllResources(server.debugRequests().answer(type, names, origin.identity()));
    } catch (io.grpc.StatusRuntimeException e) {
      closed = true;
      out.fail(e.getStatus());
      return;
    }
    if (!server.send(this, out, response.build(), type)) {
      closed = true;
    }
  }

  private void handle(DeltaDiscoveryRequest request) {
    if (closed) {
      return;
    }
    String type = request.getTypeUrl();
    if (TypeUrls.HEALTH.equals(type)) {
      server.healthReported(
          id, !request.hasErrorDetail(), request.getErrorDetail().getMessage()); // no answer
      return;
    }
    if (DebugRequests.isDebugType(type)) {
      // answered every time, and never watched, as istiod
      answerDebug(type, request.getResourceNamesSubscribeList());
      return;
    }
    Watch w = watches.get(type);
    boolean newWatch = w == null;
    if (newWatch) {
      w = new Watch(type);
      watches.put(type, w);
      // Legacy wildcard: the first request of a wildcard-capable type with no names.
      w.wildcard = TypeUrls.isWildcardType(type) && request.getResourceNamesSubscribeCount() == 0;
      for (Map.Entry<String, String> held : request.getInitialResourceVersionsMap().entrySet()) {
        w.clientVersions.put(SubscribedNames.of(held.getKey()), held.getValue());
      }
    }
    if (!request.getResponseNonce().isEmpty()) {
      if (request.getResponseNonce().equals(w.nonceSent)) {
        if (request.hasErrorDetail()) {
          server.metrics().rejected(type);
          w.lastError = request.getErrorDetail().getMessage();
          log.warn("{}: {} rejected: {}", id, TypeUrls.shortName(type), w.lastError);
        } else {
          w.lastError = null;
          w.nonceAcked = w.nonceSent;
        }
      } else {
        server.metrics().expiredNonce(type);
      }
    }
    boolean wildcardAdded = false;
    Set<String> subscribed = new HashSet<>();
    for (String requested : request.getResourceNamesSubscribeList()) {
      String name = SubscribedNames.of(requested);
      if (name.equals("*")) {
        wildcardAdded |= !w.wildcard;
        w.wildcard = true;
        continue;
      }
      w.names.add(name);
      subscribed.add(name);
      // A (re)subscription is always answered with the resource, even if unchanged.
      if (!request.getInitialResourceVersionsMap().containsKey(name)) {
        w.clientVersions.remove(name);
      }
      w.reportedAbsent.remove(name);
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if (name.equals("*")) {
        w.wildcard = false;
        continue;
      }
      w.names.remove(name);
      w.clientVersions.remove(name); // the client drops it
      w.reportedAbsent.remove(name);
    }
    if (newWatch || wildcardAdded || (w.wildcard && !subscribed.isEmpty())) {
      send(w, server.current(), newWatch);
    } else if (!subscribed.isEmpty()) {
      // only what was (re)subscribed: a push keeps the rest current, so a sidecar that learns two
      // new clusters and subscribes to their endpoints does not make its other 2000 be rebuilt
      send(w, server.current(), Set.of(), false, subscribed);
    }
  }

  @Override
  public synchronized void push(PushContext push, PushRequest request) {
    if (closed) {
      return;
    }
    proxy = server.localize(reported);
    List<Watch> types = new ArrayList<>(watches.values());
    types.sort(Comparator.comparingInt(t -> TypeUrls.pushRank(t.typeUrl)));
    // Clusters sent again in this push: Envoy warms an updated cluster on its endpoints, so their
    // load assignments go out again even if unchanged. Only theirs: an untouched cluster keeps its
    // endpoints, so a push that changes two clusters does not resend thousands of assignments.
    Set<String> clustersResent = Set.of();
    for (Watch w : types) {
      boolean endpoints = TypeUrls.ENDPOINT.equals(w.typeUrl);
      Set<String> warm = endpoints ? warming(w, clustersResent) : Set.of();
      boolean needed = needsPush(w, push, request);
      if (!needed && warm.isEmpty()) {
        continue; // nothing this type depends on changed
      }
      Set<String> only = null;
      if (!needed) {
        only = warm;
      } else if (endpoints && !w.wildcard && PushFilter.edsOnlyChangedServices(request)) {
        // istiod's partial EDS: only the load assignments of the services that changed
        only = new HashSet<>(clustersOf(w, request.servicesUpdated()));
        only.addAll(warm);
      }
      Set<String> sent = send(w, push, warm, false, only);
      if (TypeUrls.CLUSTER.equals(w.typeUrl)) {
        clustersResent = sent;
      }
    }
    publishSyncStates();
  }

  /** The subscribed load assignments of {@code clusters} (EDS names are cluster names). */
  private static Set<String> warming(Watch w, Set<String> clusters) {
    if (clusters.isEmpty()) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    for (String c : clusters) {
      if (w.wildcard || w.names.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  private boolean needsPush(Watch w, PushContext push, PushRequest request) {
    if (!PushFilter.needsPush(w.typeUrl, proxy, request, push.sidecarFor(proxy).isPresent())) {
      return false;
    }
    if (TypeUrls.SECRET.equals(w.typeUrl)) {
      for (String name : w.names) {
        if (PushFilter.secretRelevant(name, proxy.configNamespace(), request)) {
          return true;
        }
      }
      return false;
    }
    return true;
  }

  /** The subscribed EDS clusters ({@code outbound|port|subset|host}) of the given hosts. */
  private static Set<String> clustersOf(Watch w, Set<String> hosts) {
    Set<String> out = new HashSet<>();
    for (String name : w.names) {
      int bar = name.lastIndexOf('|');
      if (bar >= 0 && hosts.contains(name.substring(bar + 1))) {
        out.add(name);
      }
    }
    return out;
  }

  private void send(Watch w, PushContext push, boolean always) {
    send(w, push, Set.of(), always, null);
  }

  /**
   * Sends what the client lacks: changed or new resources, and removals. Returns the names of the
   * resources sent (empty if no response went out).
   *
   * @param resend names to send even if unchanged (endpoints of clusters just sent again)
   * @param always respond even if there is nothing to send (the first answer of a watch)
   * @param only the subscribed names to regenerate, the others being known unchanged; null: all
   */
  private Set<String> send(
      Watch w, PushContext push, Set<String> resend, boolean always, Set<String> only) {
    if (closed) {
      return Set.of();
    }
    long started = System.nanoTime();
    Optional<XdsGenerator> generator = server.generators().find(proxy, w.typeUrl);
    if (generator.isEmpty()) {
      return Set.of();
    }
    if (!w.wildcard && w.names.isEmpty() && w.clientVersions.isEmpty() && !always) {
      return Set.of();
    }
    if (only != null && only.isEmpty()) {
      return Set.of();
    }
    Set<String> requested = only != null ? only : w.wildcard ? Set.of() : Set.copyOf(w.names);
    List<XdsResource> generated;
    try {
      generated = generator.get().generate(proxy, push, requested);
    } catch (RuntimeException e) {
      log.error("{}: generating {} failed; keeping what the proxy has", id, w.typeUrl, e);
      server.metrics().internalError();
      return Set.of();
    }
    Map<String, XdsResource> current = new LinkedHashMap<>();
    // On-demand workload API (istiod's requiresResourceNamesModification): a name looked up, such
    // as a service VIP, answers with resources of other names (the service and its workloads); the
    // client is subscribed to those from now on, and the name it asked for is their alias, not a
    // resource that does not exist.
    boolean expands = !w.wildcard && TypeUrls.ADDRESS.equals(w.typeUrl);
    Set<String> aliased = new HashSet<>();
    for (XdsResource r : generated) {
      boolean wanted =
          only != null ? only.contains(r.name()) : w.wildcard || w.names.contains(r.name());
      if (!wanted && expands) {
        w.names.add(r.name());
        wanted = true;
      }
      if (wanted) {
        current.put(r.name(), r);
        if (!w.wildcard) {
          aliased.addAll(r.aliases());
        }
      }
    }
    DeltaDiscoveryResponse.Builder response =
        DeltaDiscoveryResponse.newBuilder().setTypeUrl(w.typeUrl);
    Map<String, String> sentVersions = new HashMap<>();
    for (XdsResource r : current.values()) {
      String version = r.version();
      if (resend.contains(r.name()) || !version.equals(w.clientVersions.get(r.name()))) {
        Resource.Builder res =
            Resource.newBuilder().setName(r.name()).setVersion(version).setResource(r.body());
        if (!w.wildcard) {
          res.addAllAliases(r.aliases()); // as istiod: aliases only for names asked for
        }
        response.addResources(res);
        sentVersions.put(r.name(), version);
      }
    }
    Set<String> removed = new TreeSet<>();
    for (String name : w.clientVersions.keySet()) {
      if (!current.containsKey(name) && (only == null || only.contains(name))) {
        removed.add(name);
      }
    }
    for (String name : only != null ? only : w.names) {
      if (!current.containsKey(name)
          && !aliased.contains(name)
          && !w.reportedAbsent.contains(name)) {
        removed.add(name); // subscribed but does not exist: say so (xDS "resource does not exist")
      }
    }
    response.addAllRemovedResources(removed);
    if (response.getResourcesCount() == 0 && removed.isEmpty() && !always) {
      return Set.of();
    }
    String nonce = UUID.randomUUID().toString();
    response.setNonce(nonce).setSystemVersionInfo(push.version());
    var built = response.build();
    if (!server.send(this, out, built, w.typeUrl)) {
      closed = true;
      return Set.of();
    }
    w.nonceSent = nonce;
    w.lastSentMillis = System.currentTimeMillis();
    w.clientVersions.putAll(sentVersions);
    for (String name : removed) {
      w.clientVersions.remove(name);
      if (w.names.contains(name)) {
        w.reportedAbsent.add(name);
      }
    }
    server
        .metrics()
        .pushed(
            w.typeUrl,
            java.time.Duration.ofNanos(System.nanoTime() - started),
            built.getSerializedSize());
    return sentVersions.keySet();
  }

  /** Stops serving the stream; not synchronized, as {@link Connection#close} explains. */
  @Override
  public Set<String> watchedEndpoints() {
    return endpointNames;
  }

  @Override
  public void close() {
    closed = true;
    out.abandon();
  }

  @Override
  public void fail(io.grpc.Status status) {
    closed = true;
    out.fail(status);
  }

  @Override
  public synchronized Map<String, Set<String>> watchedNames() {
    Map<String, Set<String>> m = new HashMap<>();
    watches.forEach((k, v) -> m.put(k, v.wildcard ? Set.of("*") : Set.copyOf(v.names)));
    return m;
  }
}
