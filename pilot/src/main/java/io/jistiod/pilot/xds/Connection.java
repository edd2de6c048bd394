package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One state-of-the-world ADS stream: what the proxy watches, what it was sent, and what it
 * accepted.
 *
 * <p>Requests arrive on the gRPC thread of the stream and pushes on push workers; both go through
 * this object's lock, so responses are never written concurrently and each decision sees the latest
 * state.
 *
 * <p>A type's version is a digest of its content, so it changes exactly when the resources do; a
 * push whose content equals what the proxy already has is not sent.
 */
final class Connection implements ProxyConnection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  final String id;

  /** The proxy as its node describes it. */
  private final Proxy reported;

  /** As generators see it: the registry's locality applied (refreshed every push). */
  private volatile Proxy proxy;

  private final StreamSender<DiscoveryResponse> out;
  private final DiscoveryServer server;
  private final Map<String, WatchedResource> watched = new HashMap<>();
  private volatile boolean closed;

  /** The subscribed EDS names, readable without this connection's lock. */
  private volatile Set<String> endpointNames = Set.of();

  /** Per watched type, what was sent and acknowledged; readable without the lock. */
  private volatile List<SyncStatus.TypeState> syncStates = List.of();

  private final XdsCaller.Origin origin;

  Connection(
      String id,
      Proxy proxy,
      XdsCaller.Origin origin,
      StreamSender<DiscoveryResponse> out,
      DiscoveryServer server) {
    this.id = id;
    this.origin = origin;
    this.reported = proxy;
    this.proxy = server.localize(proxy);
    this.out = out;
    this.server = server;
  }

  /** Handles one request, following the xDS ACK/NACK rules, and answers it if it must. */
  synchronized void onRequest(DiscoveryRequest request) {
    try {
      handle(request);
    } finally {
      WatchedResource eds = watched.get(TypeUrls.ENDPOINT);
      // a watch's names are replaced, never changed in place: the same set needs no new copy
      endpointNames = eds == null ? Set.of() : eds.names;
      publishSyncStates();
    }
  }

  private void publishSyncStates() {
    List<SyncStatus.TypeState> states = new ArrayList<>(watched.size());
    for (WatchedResource w : watched.values()) {
      states.add(w.state());
    }
    syncStates = List.copyOf(states);
  }

  @Override
  public List<SyncStatus.TypeState> syncStates() {
    return syncStates;
  }

  private void handle(DiscoveryRequest request) {
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
      answerDebug(type, request.getResourceNamesList()); // every time, never watched, as istiod
      return;
    }
    Set<String> names = new HashSet<>(request.getResourceNamesList());
    WatchedResource w = watched.get(type);
    if (request.hasErrorDetail()) {
      // NACK: the client keeps its last good config; so do we. Nothing is resent until a change.
      server.metrics().rejected(type);
      if (w != null) {
        w.lastError = request.getErrorDetail().getMessage();
      }
      log.warn(
          "{}: {} rejected {}: {}",
          id,
          TypeUrls.shortName(type),
          request.getResponseNonce(),
          request.getErrorDetail().getMessage());
      return;
    }
    if (w == null || request.getResponseNonce().isEmpty()) {
      // A new watch, or the first request of a reconnect: always answered.
      boolean wildcard = TypeUrls.isWildcardType(type) && (names.isEmpty() || names.contains("*"));
      if (!TypeUrls.isWildcardType(type) && names.isEmpty() && w == null) {
        return; // subscribing to nothing
      }
      names.remove("*");
      w = new WatchedResource(type, SubscribedNames.setOf(names), wildcard);
      watched.put(type, w);
      send(w, server.current(), true);
      return;
    }
    if (!request.getResponseNonce().equals(w.nonceSent)) {
      server.metrics().expiredNonce(type);
      return; // stale: the client has not seen our latest response yet
    }
    w.nonceAcked = request.getResponseNonce();
    w.lastError = null;
    if (!TypeUrls.isWildcardType(type) && names.isEmpty()) {
      watched.remove(type); // unsubscribe
      return;
    }
    names.remove("*");
    if (names.equals(w.names)) {
      return; // plain ACK
    }
    // Only added names need an answer: the client already has the rest and forgets removed ones.
    // A wildcard watch narrowed to names is answered too, since its set of resources changed.
    Set<String> addedNames = new HashSet<>(names);
    addedNames.removeAll(w.names);
    boolean wasWildcard = w.wildcard;
    // kept: the shared copies (a plain ACK above is compared without interning)
    w.names = Set.copyOf(SubscribedNames.setOf(names));
    w.wildcard = false;
    w.resourceVersions.keySet().retainAll(w.names); // the client forgets what it unsubscribed
    if (!addedNames.isEmpty()
        && !wasWildcard
        && TypeUrls.ENDPOINT.equals(type)
        && w.versionSent != null) {
      // EDS may answer with the added load assignments alone (a partial sotw response): a gRPC
      // client that learns one new cluster asks again for all of its thousand
      sendEndpoints(w, server.current(), addedNames);
    } else if (!addedNames.isEmpty() || wasWildcard) {
      send(w, server.current(), true);
    }
  }

  private void answerDebug(String type, List<String> names) {
    DiscoveryResponse.Builder response =
        DiscoveryResponse.newBuilder()
            .setTypeUrl(type)
            .setVersionInfo(server.current().version())
            .setNonce(UUID.randomUUID().toString())
            .setControlPlane(server.controlPlane());
    try {
      server
          .debugRequests()
          .answer(type, names, origin.identity())
          .forEach(r -> response.addResources(r.getResource()));
    } catch (io.grpc.StatusRuntimeException e) {
      closed = true;
      out.fail(e.getStatus());
      return;
    }
    if (!server.send(this, out, response.build(), type)) {
      closed = true;
    }
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

  @Override
  public synchronized void push(PushContext push, PushRequest request) {
    if (closed) {
      return;
    }
    proxy = server.localize(reported);
    List<WatchedResource> types = new ArrayList<>(watched.values());
    types.sort(Comparator.comparingInt(t -> TypeUrls.pushRank(t.typeUrl)));
    boolean clustersSent = false;
    for (WatchedResource w : types) {
      // A resent cluster must see its endpoints again (Envoy warms clusters on EDS).
      boolean force = clustersSent && TypeUrls.ENDPOINT.equals(w.typeUrl);
      if (!force && !needsPush(w, push, request)) {
        continue; // nothing this type depends on changed
      }
      if (!force
          && TypeUrls.ENDPOINT.equals(w.typeUrl)
          && !w.wildcard
          && PushFilter.edsOnlyChangedServices(request)) {
        sendChangedEndpoints(w, push, request.servicesUpdated());
        continue;
      }
      boolean sent = send(w, push, force);
      clustersSent |= sent && TypeUrls.CLUSTER.equals(w.typeUrl);
    }
    publishSyncStates();
  }

  private boolean needsPush(WatchedResource w, PushContext push, PushRequest request) {
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

  /**
   * istiod's partial EDS push: only the load assignments of the services that changed. The xDS
   * protocol lets a state-of-the-world EDS (or RDS) response carry some of the subscribed resources
   * (the client keeps the others), unlike LDS and CDS; resending every assignment a gRPC client
   * watches after one endpoint moved cost a thousand times the bytes of the change.
   */
  private void sendChangedEndpoints(WatchedResource w, PushContext push, Set<String> hosts) {
    Set<String> changed = new HashSet<>();
    for (String name : w.names) {
      int bar = name.lastIndexOf('|');
      if (bar >= 0 && hosts.contains(name.substring(bar + 1))) {
        changed.add(name);
      }
    }
    sendEndpoints(w, push, changed);
  }

  /**
   * Sends the load assignments of {@code changed} (subscribed names) that the client does not hold
   * in their current version, and nothing else: a partial sotw EDS response.
   */
  private void sendEndpoints(WatchedResource w, PushContext push, Set<String> changed) {
    if (changed.isEmpty() || closed) {
      return;
    }
    Optional<XdsGenerator> generator = server.generators().find(proxy, w.typeUrl);
    if (generator.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    List<XdsResource> resources;
    try {
      resources = generator.get().generate(proxy, push, changed);
    } catch (RuntimeException e) {
      log.error("{}: generating {} failed; keeping what the proxy has", id, w.typeUrl, e);
      server.metrics().internalError();
      return;
    }
    Map<String, String> after = new java.util.TreeMap<>(w.resourceVersions);
    after.keySet().removeAll(changed); // a name no longer generated is gone from the whole set
    List<XdsResource> differing = new ArrayList<>();
    for (XdsResource r : resources) {
      if (changed.contains(r.name())) {
        after.put(r.name(), r.version());
        if (!r.version().equals(w.resourceVersions.get(r.name()))) {
          differing.add(r);
        }
      }
    }
    if (differing.isEmpty()) {
      return; // the client already has these assignments
    }
    String version = version(after);
    String nonce = UUID.randomUUID().toString();
    DiscoveryResponse.Builder response =
        DiscoveryResponse.newBuilder()
            .setTypeUrl(w.typeUrl)
            .setVersionInfo(version)
            .setNonce(nonce);
    differing.forEach(r -> response.addResources(r.body()));
    var built = response.build();
    if (!server.send(this, out, built, w.typeUrl)) {
      closed = true;
      return;
    }
    w.nonceSent = nonce;
    w.versionSent = version;
    w.resourceVersions.clear();
    w.resourceVersions.putAll(after);
    w.lastSentMillis = System.currentTimeMillis();
    server
        .metrics()
        .pushed(
            w.typeUrl,
            java.time.Duration.ofNanos(System.nanoTime() - started),
            built.getSerializedSize());
  }

  /**
   * Generates and sends one type. Returns whether a response went out; it does not when the content
   * is unchanged and {@code force} is false.
   */
  private boolean send(WatchedResource w, PushContext push, boolean force) {
    if (closed) {
      return false;
    }
    long started = System.nanoTime();
    Optional<XdsGenerator> generator = server.generators().find(proxy, w.typeUrl);
    if (generator.isEmpty()) {
      log.debug("{}: no generator for {}", id, w.typeUrl);
      return false;
    }
    List<XdsResource> resources;
    try {
      resources = generator.get().generate(proxy, push, w.wildcard ? Set.of() : w.names);
    } catch (RuntimeException e) {
      log.error("{}: generating {} failed; keeping what the proxy has", id, w.typeUrl, e);
      server.metrics().internalError();
      return false;
    }
    String version = version(resources);
    if (!force && version.equals(w.versionSent)) {
      return false;
    }
    String nonce = UUID.randomUUID().toString();
    DiscoveryResponse.Builder response =
        DiscoveryResponse.newBuilder()
            .setTypeUrl(w.typeUrl)
            .setVersionInfo(version)
            .setNonce(nonce);
    for (XdsResource r : resources) {
      response.addResources(r.body());
    }
    var built = response.build();
    if (!server.send(this, out, built, w.typeUrl)) {
      closed = true;
      return false;
    }
    w.nonceSent = nonce;
    w.versionSent = version;
    if (TypeUrls.ENDPOINT.equals(w.typeUrl)) {
      w.resourceVersions.clear();
      resources.forEach(r -> w.resourceVersions.put(r.name(), r.version()));
    }
    w.lastSentMillis = System.currentTimeMillis();
    server
        .metrics()
        .pushed(
            w.typeUrl,
            java.time.Duration.ofNanos(System.nanoTime() - started),
            built.getSerializedSize());
    return true;
  }

  /**
   * Stops serving the stream. Not synchronized: it must release a push that waits for a stalled
   * stream while holding this connection's lock.
   */
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

  /** What is watched, for debug endpoints and tests: type URL to subscribed names. */
  @Override
  public synchronized Map<String, Set<String>> watchedNames() {
    Map<String, Set<String>> m = new HashMap<>();
    watched.forEach((k, v) -> m.put(k, v.names));
    return m;
  }

  /** A digest of names and serialized bodies; equal content gives an equal version. */
  /**
   * The version of a whole response: a digest over its resources' own (memoised) versions, in name
   * order, so it changes exactly when one of them does.
   */
  static String version(List<XdsResource> resources) {
    Map<String, String> byName = new java.util.TreeMap<>();
    resources.forEach(r -> byName.put(r.name(), r.version()));
    return version(byName);
  }

  /** The version of a whole set of resources, from each one's version by name (sorted). */
  private static String version(Map<String, String> versionsByName) {
    MessageDigest sha = XdsResource.sha256();
    for (Map.Entry<String, String> e : versionsByName.entrySet()) {
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(e.getValue().getBytes(StandardCharsets.US_ASCII));
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 8);
  }
}
