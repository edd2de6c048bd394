package io.jistiod.pilot.push;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable index of everything a push needs: services, endpoints, VirtualServices and
 * DestinationRules, resolved to fully qualified hosts. Built once per full push by {@link
 * PushContextBuilder}; generators only read it, from many threads at once.
 */
public final class PushContext {
  private final String version;
  private final String domainSuffix;
  private final Map<String, Service> services;
  private final Map<String, Map<Integer, List<Endpoint>>> endpoints;
  private final List<ResolvedVirtualService> virtualServices;
  private final List<ResolvedDestinationRule> destinationRules;
  private final List<Config> sidecars;
  private final String rootNamespace;
  private final MeshConfig meshConfig;
  private final List<Config> gateways;
  private final SecurityConfigs security;
  private final Map<String, List<ServiceTarget>> targetsByAddress;
  private final GenerationCache cache = new GenerationCache();
  private final Map<Class<?>, Object> indexes = new java.util.concurrent.ConcurrentHashMap<>();

  PushContext(
      String version,
      String domainSuffix,
      Map<String, Service> services,
      Map<String, Map<Integer, List<Endpoint>>> endpoints,
      List<ResolvedVirtualService> virtualServices,
      List<ResolvedDestinationRule> destinationRules,
      List<Config> sidecars,
      MeshConfig meshConfig,
      List<Config> gateways,
      SecurityConfigs security) {
    this.version = version;
    this.domainSuffix = domainSuffix;
    this.services = Collections.unmodifiableMap(services);
    this.endpoints = Collections.unmodifiableMap(endpoints);
    this.virtualServices = List.copyOf(virtualServices);
    this.destinationRules = List.copyOf(destinationRules);
    this.sidecars = List.copyOf(sidecars);
    this.meshConfig = meshConfig;
    this.rootNamespace = meshConfig.getRootNamespace();
    this.gateways = List.copyOf(gateways);
    this.security = security;
    this.targetsByAddress = indexTargets(services, endpoints);
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

  /** A DestinationRule with its host resolved. */
  public record ResolvedDestinationRule(Config config, String host) {
    public DestinationRule spec() {
      return config.spec(DestinationRule.class);
    }
  }

  /** This context with new endpoints and everything else reused: an endpoints-only push. */
  PushContext withEndpoints(
      String newVersion, Map<String, Map<Integer, List<Endpoint>>> newEndpoints) {
    return new PushContext(
        newVersion,
        domainSuffix,
        services,
        newEndpoints,
        virtualServices,
        destinationRules,
        sidecars,
        meshConfig,
        gateways,
        security);
  }

  // The parts a later push context may reuse when their kinds did not change (PushContextBuilder).

  Map<String, Service> servicesByHost() {
    return services;
  }

  Map<String, Map<Integer, List<Endpoint>>> endpointsByHost() {
    return endpoints;
  }

  List<Config> sidecars() {
    return sidecars;
  }

  /** The mesh-wide settings this push was built with. */
  public MeshConfig meshConfig() {
    return meshConfig;
  }

  /** Every Gateway, in namespace/name order. */
  public List<Config> gateways() {
    return gateways;
  }

  /**
   * Every PeerAuthentication, AuthorizationPolicy and RequestAuthentication, each list in
   * namespace/name order.
   */
  public SecurityConfigs security() {
    return security;
  }

  /**
   * The mesh's root namespace (MeshConfig {@code rootNamespace}): mesh-wide policies live there.
   */
  public String rootNamespace() {
    return rootNamespace;
  }

  /** Every VirtualService with resolved hosts, in namespace/name order. */
  public List<ResolvedVirtualService> virtualServices() {
    return virtualServices;
  }

  /** Every DestinationRule with its resolved host, in namespace/name order. */
  public List<ResolvedDestinationRule> destinationRules() {
    return destinationRules;
  }

  /** The Sidecar resource that applies to {@code proxy}, if any (Istio's selection order). */
  public Optional<Config> sidecarFor(Proxy proxy) {
    return SidecarScope.select(sidecars, rootNamespace, proxy).sidecar();
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
    return Optional.ofNullable(services.get(hostname));
  }

  /** Every service, sorted by hostname. */
  public List<Service> services() {
    return List.copyOf(services.values());
  }

  /**
   * The services a proxy may see, sorted by hostname: exported to its namespace, and in the scope
   * of the Sidecar resource that applies to it.
   */
  public List<Service> servicesVisibleTo(Proxy proxy) {
    SidecarScope scope = SidecarScope.select(sidecars, rootNamespace, proxy);
    List<Service> out = new ArrayList<>();
    for (Service s : services.values()) {
      if (s.visibleTo(proxy.configNamespace()) && scope.includes(s, proxy.configNamespace())) {
        out.add(s);
      }
    }
    return out;
  }

  /** The service {@code hostname} if {@code proxy} may see it (see {@link #servicesVisibleTo}). */
  public Optional<Service> serviceFor(Proxy proxy, String hostname) {
    Service s = services.get(hostname);
    if (s == null || !s.visibleTo(proxy.configNamespace())) {
      return Optional.empty();
    }
    SidecarScope scope = SidecarScope.select(sidecars, rootNamespace, proxy);
    return scope.includes(s, proxy.configNamespace()) ? Optional.of(s) : Optional.empty();
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
   * The VirtualService that routes {@code hostname} for a sidecar or proxyless client in the mesh:
   * the first, in namespace/name order, of those visible to the proxy that bind to the mesh and
   * name the host exactly; else the first whose wildcard host matches.
   */
  public Optional<ResolvedVirtualService> virtualServiceFor(Proxy proxy, String hostname) {
    ResolvedVirtualService wildcard = null;
    for (ResolvedVirtualService vs : virtualServices) {
      if (!appliesToMesh(vs.spec()) || !visible(vs.spec().getExportToList(), vs.config(), proxy)) {
        continue;
      }
      for (String h : vs.hosts()) {
        if (h.equalsIgnoreCase(hostname)) {
          return Optional.of(vs);
        }
        if (wildcard == null && h.startsWith("*") && Hosts.matches(h, hostname)) {
          wildcard = vs;
        }
      }
    }
    return Optional.ofNullable(wildcard);
  }

  /**
   * The DestinationRule for {@code hostname} as Istio picks it: one in the proxy's namespace first,
   * then one in the service's namespace, then any other visible one; exact hosts before wildcards.
   */
  public Optional<ResolvedDestinationRule> destinationRuleFor(Proxy proxy, String hostname) {
    String serviceNamespace = service(hostname).map(Service::namespace).orElse("");
    ResolvedDestinationRule best = null;
    int bestRank = Integer.MAX_VALUE;
    for (ResolvedDestinationRule dr : destinationRules) {
      if (!Hosts.matches(dr.host(), hostname)
          || !visible(dr.spec().getExportToList(), dr.config(), proxy)) {
        continue;
      }
      String ns = dr.config().namespace();
      int rank = ns.equals(proxy.configNamespace()) ? 0 : ns.equals(serviceNamespace) ? 2 : 4;
      if (!dr.host().equalsIgnoreCase(hostname)) {
        rank++; // a wildcard loses to an exact host in the same tier
      }
      if (rank < bestRank) {
        best = dr;
        bestRank = rank;
      }
    }
    return Optional.ofNullable(best);
  }

  private static boolean appliesToMesh(VirtualService vs) {
    return vs.getGatewaysCount() == 0 || vs.getGatewaysList().contains("mesh");
  }

  private static boolean visible(List<String> exportTo, Config config, Proxy proxy) {
    if (exportTo.isEmpty() || exportTo.contains("*")) {
      return true;
    }
    return exportTo.contains(proxy.configNamespace())
        || (exportTo.contains(".") && config.namespace().equals(proxy.configNamespace()));
  }
}
