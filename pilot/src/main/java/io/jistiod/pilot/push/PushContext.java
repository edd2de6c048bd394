package io.jistiod.pilot.push;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable view of everything a push needs: services, endpoints, VirtualServices and
 * DestinationRules, resolved to fully qualified hosts and indexed ({@link PushIndex}) so that what
 * applies to a proxy is looked up, not scanned for. Built once per full push by {@link
 * PushContextBuilder}; generators only read it, from many threads at once.
 */
public final class PushContext {
  private final String version;
  private final String domainSuffix;
  private final PushIndex index;
  private final Map<String, Map<Integer, List<Endpoint>>> endpoints;
  private final String rootNamespace;
  private final MeshConfig meshConfig;
  private final List<Config> gateways;
  private final SecurityConfigs security;
  private final List<Config> telemetries;
  private final io.jistiod.pilot.gatewayapi.GatewayApiResult gatewayApi;
  private final Map<String, List<ServiceTarget>> targetsByAddress;
  private final io.jistiod.pilot.ambient.AddressIndex addresses;
  private final GenerationCache cache = new GenerationCache(this::scopeLabels);
  private final Map<Class<?>, Object> indexes = new java.util.concurrent.ConcurrentHashMap<>();

  PushContext(
      String version,
      String domainSuffix,
      PushIndex index,
      Map<String, Map<Integer, List<Endpoint>>> endpoints,
      MeshConfig meshConfig,
      List<Config> gateways,
      SecurityConfigs security,
      List<Config> telemetries,
      io.jistiod.pilot.gatewayapi.GatewayApiResult gatewayApi,
      io.jistiod.pilot.ambient.AddressIndex addresses) {
    this.version = version;
    this.addresses = addresses;
    this.domainSuffix = domainSuffix;
    this.index = index;
    this.endpoints = Collections.unmodifiableMap(endpoints);
    this.meshConfig = meshConfig;
    this.rootNamespace = meshConfig.getRootNamespace();
    this.gateways = List.copyOf(gateways);
    this.security = security;
    this.telemetries = List.copyOf(telemetries);
    this.gatewayApi = gatewayApi;
    this.targetsByAddress = indexTargets(index.services().byHost(), endpoints);
  }

  /**
   * One port of a service that a workload serves: what a sidecar builds inbound listeners and
   * clusters from.
   */
  public record ServiceTarget(Service service, ServicePort port, Endpoint endpoint) {}

  private static Map<String, List<ServiceTarget>> indexTargets(
      Map<String, Service> services, Map<String, Map<Integer, List<Endpoint>>> endpoints) {
    Map<String, List<ServiceTarget>> out = new HashMap<>();
    for (var byHost : endpoints.entrySet()) {
      Service s = services.get(byHost.getKey());
      if (s == null) {
        continue;
      }
      for (var byPort : byHost.getValue().entrySet()) {
        ServicePort port = s.port(byPort.getKey()).orElse(null);
        if (port == null) {
          continue;
        }
        for (Endpoint e : byPort.getValue()) {
          out.computeIfAbsent(e.address(), a -> new ArrayList<>())
              .add(new ServiceTarget(s, port, e));
        }
      }
    }
    return out;
  }

  /** A VirtualService with its hosts resolved to fully qualified names. */
  public record ResolvedVirtualService(Config config, List<String> hosts) {
    public VirtualService spec() {
      return config.spec(VirtualService.class);
    }
  }

  /**
   * A DestinationRule with its host resolved; or, as {@link DestinationRuleIndex} hands them out,
   * several rules for one host merged into one (istiod's {@code ConsolidatedDestRule}): then {@code
   * config} has the metadata of the first rule (what cluster metadata names) and the merged spec.
   *
   * @param from {@code namespace/name} of every rule merged into this one, in merge order: the
   *     first is the rule whose metadata {@code config} carries
   */
  public record ResolvedDestinationRule(Config config, String host, List<String> from) {
    public ResolvedDestinationRule {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(host, "host");
      from = List.copyOf(from);
      if (from.isEmpty()) {
        throw new IllegalArgumentException("from: empty for " + config.key());
      }
    }

    /** One rule as written. */
    public ResolvedDestinationRule(Config config, String host) {
      this(config, host, List.of(config.namespace() + "/" + config.name()));
    }

    public DestinationRule spec() {
      return config.spec(DestinationRule.class);
    }

    /**
     * Which (merged) rule this is, for cache keys of resources built from it: the rules it is
     * merged from, in order, which determine its spec within a push (a changed rule is a new push,
     * whose cache starts empty for what it affects). Two proxies that get different merges of the
     * same first rule get different keys.
     */
    public String key() {
      return from.size() == 1 ? from.get(0) : String.join(",", from);
    }
  }

  /** This context with new endpoints and everything else reused: an endpoints-only push. */
  PushContext withEndpoints(
      String newVersion,
      Map<String, Map<Integer, List<Endpoint>>> newEndpoints,
      io.jistiod.pilot.ambient.AddressIndex newAddresses) {
    return new PushContext(
        newVersion,
        domainSuffix,
        index,
        newEndpoints,
        meshConfig,
        gateways,
        security,
        telemetries,
        gatewayApi,
        newAddresses);
  }

  /** The workload API's workloads and services (empty unless ambient is on). */
  public io.jistiod.pilot.ambient.AddressIndex addresses() {
    return addresses;
  }

  // The parts a later push context may reuse when their kinds did not change (PushContextBuilder).

  Map<String, Service> servicesByHost() {
    return index.inputs().services();
  }

  Map<String, Map<Integer, List<Endpoint>>> endpointsByHost() {
    return endpoints;
  }

  List<Config> sidecars() {
    return index.inputs().sidecars();
  }

  /** The mesh-wide settings this push was built with. */
  public MeshConfig meshConfig() {
    return meshConfig;
  }

  /**
   * Every Gateway: the Istio ones in namespace/name order, then those generated from the Kubernetes
   * Gateway API.
   */
  public List<Config> gateways() {
    return gateways;
  }

  /**
   * What this push made of the Kubernetes Gateway API: the Istio Gateways and VirtualServices it
   * serves (already in {@link #gateways()} and the VirtualService index) and the status istiod
   * writes back.
   */
  public io.jistiod.pilot.gatewayapi.GatewayApiResult gatewayApi() {
    return gatewayApi;
  }

  /**
   * Every PeerAuthentication, AuthorizationPolicy and RequestAuthentication, each list in
   * namespace/name order.
   */
  public SecurityConfigs security() {
    return security;
  }

  /**
   * Every Telemetry resource, oldest first (by creation time, then name, then namespace): istiod's
   * order, in which the first namespace-wide resource of a namespace is the one that applies.
   */
  public List<Config> telemetries() {
    return telemetries;
  }

  /**
   * The mesh's root namespace (MeshConfig {@code rootNamespace}): mesh-wide policies live there.
   */
  public String rootNamespace() {
    return rootNamespace;
  }

  /** The index this push answers from: for rebuilding only what changed in the next one. */
  public PushIndex pushIndex() {
    return index;
  }

  /**
   * The VirtualServices bound to {@code gateway} ({@code mesh}, or a {@code ns/name} Gateway) that
   * a proxy in {@code namespace} sees, delegates merged, in istiod's order (see {@link
   * VirtualServiceIndex#forGateway}).
   */
  public List<ResolvedVirtualService> virtualServicesForGateway(String namespace, String gateway) {
    return index.virtualServices().forGateway(namespace, gateway);
  }

  /** The VirtualServices a sidecar or proxyless client sees: those bound to the mesh. */
  public List<ResolvedVirtualService> meshVirtualServices(Proxy proxy) {
    return virtualServicesForGateway(proxy.configNamespace(), VirtualServiceIndex.MESH);
  }

  /** Every DestinationRule with its resolved host, in namespace/name order. */
  public List<ResolvedDestinationRule> destinationRules() {
    return index.destinationRules().all();
  }

  /**
   * The Sidecar scope of {@code proxy}: the one object shared by every proxy of its namespace and
   * labels in this push.
   */
  public SidecarScope sidecarScope(Proxy proxy) {
    return index.sidecars().scope(proxy);
  }

  /** The Sidecar resource that applies to {@code proxy}, if any (Istio's selection order). */
  public Optional<Config> sidecarFor(Proxy proxy) {
    return sidecarScope(proxy).sidecar();
  }

  /**
   * The service ports the proxy's workload serves, found by its IP addresses among the endpoints,
   * sorted by service hostname then port.
   */
  public List<ServiceTarget> serviceTargets(Proxy proxy) {
    List<ServiceTarget> out = new ArrayList<>();
    for (String ip : proxy.ipAddresses()) {
      out.addAll(targetsByAddress.getOrDefault(ip, List.of()));
    }
    out.sort(
        Comparator.comparing((ServiceTarget t) -> t.service().hostname())
            .thenComparingInt(t -> t.port().port()));
    return out;
  }

  /**
   * What of a proxy's labels its generated config can depend on, for {@link GenerationCache}'s
   * scopes. A gateway's labels select Gateway resources and are kept whole. A sidecar's (or
   * proxyless client's) select a Sidecar resource, and match VirtualServices' {@code sourceLabels}:
   * without such a VirtualService, the Sidecar resource and the DestinationRules with a
   * workloadSelector they select are all that tells them apart.
   */
  private Map<String, String> scopeLabels(Proxy proxy) {
    if (proxy.type() != Proxy.NodeType.SIDECAR || index.virtualServices().matchesSourceLabels()) {
      return proxy.metadata().labels();
    }
    // a label key cannot hold a space, so this never equals a real label set
    Map<String, String> scope = new HashMap<>(2);
    sidecarFor(proxy).ifPresent(c -> scope.put(" sidecar", c.namespace() + "/" + c.name()));
    // DestinationRules with a workloadSelector tell apart proxies of one namespace
    String rules =
        index
            .destinationRules()
            .selectorsMatching(proxy.configNamespace(), proxy.metadata().labels());
    if (!rules.isEmpty()) {
      scope.put(" destination-rules", rules);
    }
    return scope;
  }

  /** Resources built for this push, shared across proxies. */
  public GenerationCache cache() {
    return cache;
  }

  /**
   * An index derived from this push's config, built once (by the first caller) and shared by every
   * proxy of the push: keyed by the index's own class, so each builder owns its entry.
   */
  public <T> T index(Class<T> type, java.util.function.Function<PushContext, T> build) {
    Object built = indexes.get(type);
    if (built == null) {
      // built outside the map's lock: an index may read another index
      built = indexes.putIfAbsent(type, build.apply(this));
      built = built == null ? indexes.get(type) : built;
    }
    return type.cast(built);
  }

  public String version() {
    return version;
  }

  /** The cluster DNS suffix, e.g. {@code cluster.local}. */
  public String domainSuffix() {
    return domainSuffix;
  }

  public Optional<Service> service(String hostname) {
    return index.services().get(hostname);
  }

  /** Every service, sorted by hostname. */
  public List<Service> services() {
    return index.services().all();
  }

  /**
   * The service {@code hostname} if it is exported to {@code namespace}, Sidecar scopes aside: what
   * a gateway in that namespace may route to.
   */
  public Optional<Service> serviceExportedTo(String namespace, String hostname) {
    return index.services().visible(namespace, hostname);
  }

  /**
   * The services a proxy may see, sorted by hostname: exported to its namespace, and in the scope
   * of the Sidecar resource that applies to it.
   */
  public List<Service> servicesVisibleTo(Proxy proxy) {
    return sidecarScope(proxy).services();
  }

  /** The service {@code hostname} if {@code proxy} may see it (see {@link #servicesVisibleTo}). */
  public Optional<Service> serviceFor(Proxy proxy, String hostname) {
    return sidecarScope(proxy).service(hostname);
  }

  /** Every endpoint of a service, all ports, healthy or not. */
  public List<Endpoint> endpoints(String hostname) {
    List<Endpoint> out = new ArrayList<>();
    endpoints.getOrDefault(hostname, Map.of()).values().forEach(out::addAll);
    return out;
  }

  /** The endpoints of one service port, healthy or not. */
  public List<Endpoint> endpoints(String hostname, int port) {
    return endpoints.getOrDefault(hostname, Map.of()).getOrDefault(port, List.of());
  }

  /**
   * Every endpoint of {@code service}, all ports. When several services define its hostname, only
   * those of its namespace (istiod keeps endpoints per hostname and namespace).
   */
  public List<Endpoint> endpoints(Service service) {
    return ofNamespace(service, endpoints(service.hostname()));
  }

  /** The endpoints of one port of {@code service} (see {@link #endpoints(Service)}). */
  public List<Endpoint> endpoints(Service service, int port) {
    return ofNamespace(service, endpoints(service.hostname(), port));
  }

  private List<Endpoint> ofNamespace(Service service, List<Endpoint> all) {
    if (!index.services().isShared(service.hostname())) {
      return all;
    }
    List<Endpoint> out = new ArrayList<>(all.size());
    for (Endpoint e : all) {
      if (e.namespace().equals(service.namespace())) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * The VirtualService that routes {@code hostname} for a sidecar or proxyless client in the mesh:
   * the first of those it sees bound to the mesh that names the host exactly; else the first whose
   * wildcard host matches.
   */
  public Optional<ResolvedVirtualService> virtualServiceFor(Proxy proxy, String hostname) {
    return index
        .virtualServices()
        .forHost(proxy.configNamespace(), VirtualServiceIndex.MESH, hostname);
  }

  /**
   * The DestinationRule for {@code hostname} as istiod picks it for {@code proxy} (see {@link
   * DestinationRuleIndex}).
   */
  public Optional<ResolvedDestinationRule> destinationRuleFor(Proxy proxy, String hostname) {
    return destinationRuleFor(proxy, hostname, true);
  }

  /**
   * The DestinationRule whose traffic policy shapes {@code proxy}'s inbound clusters for its
   * service {@code hostname}: as {@link #destinationRuleFor}, but no rule is chosen by a
   * workloadSelector (istiod honours selectors for outbound traffic only).
   */
  public Optional<ResolvedDestinationRule> inboundDestinationRuleFor(Proxy proxy, String hostname) {
    return destinationRuleFor(proxy, hostname, false);
  }

  private Optional<ResolvedDestinationRule> destinationRuleFor(
      Proxy proxy, String hostname, boolean outbound) {
    String serviceNamespace = service(hostname).map(Service::namespace).orElse("");
    return index
        .destinationRules()
        .forProxy(
            proxy.configNamespace(),
            proxy.metadata().labels(),
            outbound,
            hostname,
            serviceNamespace);
  }
}
