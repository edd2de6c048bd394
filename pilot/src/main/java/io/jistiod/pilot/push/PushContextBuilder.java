package io.jistiod.pilot.push;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.ambient.AddressIndex;
import io.jistiod.pilot.ambient.AmbientInputs;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.ambient.AmbientSettings;
import io.jistiod.pilot.ambient.AmbientStatus;
import io.jistiod.pilot.ambient.ZtunnelPolicies;
import io.jistiod.pilot.envoy.patch.EnvoyFilterIndex;
import io.jistiod.pilot.gatewayapi.GatewayApiConverter;
import io.jistiod.pilot.gatewayapi.GatewayApiInputs;
import io.jistiod.pilot.gatewayapi.GatewayApiResult;
import io.jistiod.pilot.gatewayapi.GatewayApiSources;
import io.jistiod.pilot.gatewayapi.RegistrySnapshot;
import io.jistiod.pilot.ingress.IngressConverter;
import io.jistiod.pilot.ingress.IngressOptions;
import io.jistiod.pilot.ingress.IngressProblem;
import io.jistiod.pilot.ingress.IngressResult;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.security.JwksSource;
import io.jistiod.pilot.xds.PushContextFactory;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link PushContext}s from the config store and the service registries: resolves short host
 * names once, indexes endpoints by host and port, and orders config deterministically so the same
 * input always yields the same output.
 */
public final class PushContextBuilder implements PushContextFactory {
  private static final Logger log = LoggerFactory.getLogger(PushContextBuilder.class);

  /** The last push's EnvoyFilters, whose unchanged conversions the next push reuses. */
  private volatile EnvoyFilterIndex lastEnvoyFilters;

  private final ConfigStore store;
  private final List<ServiceDiscovery> registries;
  private final String domainSuffix;

  private final Supplier<MeshConfig> meshConfig;

  private final AtomicLong counter = new AtomicLong();

  private volatile JwksSource jwks = JwksSource.NONE;

  /** Where the Gateway API conversion reads the rest of its inputs; null: it is off. */
  private volatile GatewayApiSources gatewayApi;

  private final List<Consumer<GatewayApiResult>> gatewayApiListeners = new CopyOnWriteArrayList<>();

  /** Settings of the Kubernetes Ingress conversion; null: Ingresses are not served. */
  private volatile IngressOptions ingress;

  private final List<Consumer<IngressResult>> ingressListeners = new CopyOnWriteArrayList<>();

  /** The problems last logged, so an unchanged bad Ingress is reported once, not every push. */
  private volatile List<IngressProblem> loggedIngressProblems = List.of();

  private final List<Consumer<AmbientStatus>> ambientStatusListeners = new CopyOnWriteArrayList<>();

  /** Where the workload API's inputs come from, and its settings; null: ambient is off. */
  private volatile AmbientInputs.Source ambientSource;

  private volatile AmbientSettings ambientSettings;

  public PushContextBuilder(
      ConfigStore store, List<ServiceDiscovery> registries, String domainSuffix) {
    this(store, registries, domainSuffix, MeshConfigs::defaults);
  }

  /**
   * @param meshConfig read at every full push, so a changed mesh config takes effect with the next
   *     one
   */
  public PushContextBuilder(
      ConfigStore store,
      List<ServiceDiscovery> registries,
      String domainSuffix,
      Supplier<MeshConfig> meshConfig) {
    this.store = store;
    this.registries = List.copyOf(registries);
    this.domainSuffix = domainSuffix;
    this.meshConfig = meshConfig;
  }

  /**
   * Where pushes find the key sets of RequestAuthentication {@code jwksUri}s (istiod's JWKS
   * resolver); without one, every remote JWKS is replaced by one that rejects every token.
   */
  public PushContextBuilder jwks(JwksSource source) {
    this.jwks = java.util.Objects.requireNonNull(source, "source");
    return this;
  }

  /**
   * Turns the Kubernetes Gateway API objects of the store into Istio Gateways, VirtualServices and
   * DestinationRules at every push that may change them (as istiod's gateway controller does),
   * reading namespaces, Secrets and settings from {@code sources}.
   */
  public PushContextBuilder gatewayApi(GatewayApiSources sources) {
    this.gatewayApi = java.util.Objects.requireNonNull(sources, "sources");
    return this;
  }

  /**
   * Serves Kubernetes Ingresses of the store (those the mesh config's ingress class settings
   * select) as the Istio Gateways and VirtualServices istiod generates for them.
   */
  public PushContextBuilder ingress(IngressOptions options) {
    this.ingress = java.util.Objects.requireNonNull(options, "options");
    return this;
  }

  /** Called with each new Ingress conversion (to write the status of the Ingresses served). */
  public void onIngressResult(Consumer<IngressResult> listener) {
    ingressListeners.add(listener);
  }

  /**
   * The Ingress conversion over this push's services; empty when Ingresses are not served. A
   * failure is logged and leaves the Ingresses unserved for this push, nothing else.
   */
  private IngressResult convertIngress(MeshConfig mesh, Map<String, Service> services) {
    IngressOptions options = ingress;
    if (options == null) {
      return IngressResult.EMPTY;
    }
    IngressResult result;
    try {
      result =
          IngressConverter.convert(
              store.list(IngressKinds.INGRESS, null),
              store.list(IngressKinds.INGRESS_CLASS, null),
              mesh,
              (namespace, name) -> {
                Service s = services.get(name + "." + namespace + ".svc." + domainSuffix);
                return s != null && ServiceAttributes.KUBERNETES.equals(s.attributes().registry())
                    ? java.util.Optional.of(s.ports())
                    : java.util.Optional.empty();
              },
              options);
    } catch (RuntimeException e) {
      log.error("converting the Ingresses failed; they are not served this push", e);
      return IngressResult.EMPTY;
    }
    if (!result.problems().equals(loggedIngressProblems)) {
      loggedIngressProblems = result.problems();
      for (IngressProblem p : result.problems()) {
        log.warn("{}", p);
      }
    }
    for (Consumer<IngressResult> l : ingressListeners) {
      l.accept(result);
    }
    return result;
  }

  /**
   * Builds the workload API's addresses (ztunnel's {@code istio.workload.Address}) at every push
   * whose changes may move them, from {@code source}: istiod's {@code PILOT_ENABLE_AMBIENT}.
   */
  public PushContextBuilder ambient(AmbientInputs.Source source, AmbientSettings settings) {
    this.ambientSettings = java.util.Objects.requireNonNull(settings, "settings");
    this.ambientSource = java.util.Objects.requireNonNull(source, "source");
    return this;
  }

  /** Kinds the addresses are built from; any other change keeps the previous ones. */
  private static final Set<Kind> ADDRESS_INPUTS =
      EnumSet.of(
          Kind.POD,
          Kind.SERVICE_ENTRY,
          Kind.NODE,
          Kind.ENDPOINT_SLICE,
          Kind.AUTHORIZATION_POLICY,
          Kind.PEER_AUTHENTICATION,
          Kind.WORKLOAD_ENTRY);

  /**
   * The addresses for the next context: rebuilt from the source when {@code rebuild}, else the
   * previous context's.
   */
  private AddressIndex addresses(
      PushContext previous,
      boolean rebuild,
      MeshConfig mesh,
      ZtunnelPolicies policies,
      SecurityConfigs security) {
    AmbientInputs.Source source = ambientSource;
    AddressIndex before = previous == null ? AddressIndex.EMPTY : previous.addresses();
    if (source == null) {
      return AddressIndex.EMPTY;
    }
    if (!rebuild && previous != null) {
      return before;
    }
    // waypoints are Gateway API Gateways: from the config store, as the rest of their config
    AmbientInputs inputs =
        source
            .snapshot()
            .withConfig(
                store.list(GatewayApiKinds.GATEWAY, null),
                store.list(GatewayApiKinds.GATEWAY_CLASS, null),
                store.list(IstioKinds.SERVICE_ENTRY, null),
                store.list(IstioKinds.WORKLOAD_ENTRY, null));
    reportAmbientStatus(inputs, security, mesh);
    return AddressIndex.build(
        inputs, ambientSettings, mesh.getTrustDomain(), policies, mesh.getRootNamespace(), before);
  }

  /**
   * The policies ztunnel enforces, converted once: for the workloads' policy lists here, and kept
   * as the push's {@link ZtunnelPolicies} for the Authorization generator. None when ambient is
   * off.
   */
  private ZtunnelPolicies ztunnelPolicies(SecurityConfigs security, MeshConfig mesh) {
    return ambientSource == null
        ? ZtunnelPolicies.convert(List.of(), mesh.getRootNamespace())
        : ZtunnelPolicies.convert(
            security.authorizationPolicies(),
            security.peerAuthentications(),
            mesh.getRootNamespace());
  }

  private PushContext withPolicies(PushContext push, ZtunnelPolicies policies) {
    push.index(ZtunnelPolicies.class, p -> policies);
    // EnvoyFilters: listed for every push, converted only when they changed (see the index)
    EnvoyFilterIndex filters =
        new EnvoyFilterIndex(
            push.rootNamespace(), sorted(IstioKinds.ENVOY_FILTER), lastEnvoyFilters);
    lastEnvoyFilters = filters;
    push.index(EnvoyFilterIndex.class, p -> filters);
    // sidecars and gateways next to ambient workloads: only with ambient on
    AmbientSettings settings = ambientSettings;
    if (ambientSource != null && settings != null) {
      push.index(AmbientInterop.class, p -> AmbientInterop.of(settings, p.addresses()));
    }
    return push;
  }

  /**
   * Computes the ambient status from the inputs the addresses are built from, for the listeners
   * (the status writer); a failure is logged and costs only the status, never the push.
   */
  private void reportAmbientStatus(
      AmbientInputs inputs, SecurityConfigs security, MeshConfig mesh) {
    if (ambientStatusListeners.isEmpty()) {
      return;
    }
    AmbientStatus status;
    try {
      status = AmbientStatus.of(inputs, security.authorizationPolicies(), mesh.getRootNamespace());
    } catch (RuntimeException e) {
      log.error("computing the ambient status failed; none is written this push", e);
      return;
    }
    for (Consumer<AmbientStatus> l : ambientStatusListeners) {
      l.accept(status);
    }
  }

  /** Called with the ambient status each rebuild of the addresses computes (to write it). */
  public void onAmbientStatus(Consumer<AmbientStatus> listener) {
    ambientStatusListeners.add(listener);
  }

  /** Called with each new conversion result (to write the status it computed). */
  public void onGatewayApiResult(Consumer<GatewayApiResult> listener) {
    gatewayApiListeners.add(listener);
  }

  /**
   * The conversion over this push's services and endpoints, or the empty result when the Gateway
   * API is off. A conversion that fails is logged and leaves the Gateway API objects unserved for
   * this push; the Istio config is pushed regardless.
   */
  private GatewayApiResult convertGatewayApi(
      java.util.Map<String, Service> services,
      Map<String, Map<Integer, List<Endpoint>>> endpoints) {
    GatewayApiSources sources = gatewayApi;
    if (sources == null) {
      return GatewayApiResult.EMPTY;
    }
    if (GatewayApiKinds.ALL.stream().allMatch(k -> store.list(k, null).isEmpty())) {
      return GatewayApiResult.EMPTY; // nothing to convert nor any status to write
    }
    GatewayApiResult result;
    try {
      java.util.Set<String> kubernetesServices = new java.util.HashSet<>();
      for (Service s : services.values()) {
        if (ServiceAttributes.KUBERNETES.equals(s.attributes().registry())) {
          kubernetesServices.add(s.namespace() + "/" + s.attributes().name());
        }
      }
      result =
          GatewayApiConverter.convert(
              GatewayApiInputs.from(
                  store,
                  sources.namespaces().get(),
                  kubernetesServices,
                  sources.secrets(),
                  sources.configMaps(),
                  new RegistrySnapshot(services, endpoints),
                  sources.options(),
                  sources.clock().instant()));
    } catch (RuntimeException e) {
      log.error("converting the Gateway API objects failed; they are not served this push", e);
      return GatewayApiResult.EMPTY;
    }
    for (Consumer<GatewayApiResult> l : gatewayApiListeners) {
      l.accept(result);
    }
    return result;
  }

  private Map<String, Map<Integer, List<Endpoint>>> endpointIndex() {
    Map<String, Map<Integer, List<Endpoint>>> endpoints = new TreeMap<>();
    for (ServiceDiscovery registry : registries) {
      index(endpoints, registry.endpoints());
    }
    return endpoints;
  }

  private static void index(
      Map<String, Map<Integer, List<Endpoint>>> endpoints, List<Endpoint> found) {
    for (Endpoint e : found) {
      endpoints
          .computeIfAbsent(e.hostname(), h -> new TreeMap<>())
          .computeIfAbsent(e.servicePort(), p -> new ArrayList<>())
          .add(e);
    }
  }

  /** The first locality a registry knows for the proxy's workload. */
  @Override
  public java.util.Optional<io.jistiod.pilot.model.Locality> workloadLocality(
      io.jistiod.pilot.model.Proxy proxy) {
    for (ServiceDiscovery registry : registries) {
      var l = registry.workloadLocality(proxy);
      if (l.isPresent()) {
        return l;
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * Kinds after which nothing of the previous context can be trusted: discovery namespaces decide
   * which config and services are seen at all, and a kind we do not know may feed any part.
   */
  private static final Set<Kind> REBUILD_ALL =
      EnumSet.of(Kind.NAMESPACE, Kind.MESH_CONFIG, Kind.UNKNOWN);

  /** Kinds that move endpoints of services they do not name (by hostname). */
  private static final Set<Kind> ALL_ENDPOINTS =
      EnumSet.of(Kind.POD, Kind.NODE, Kind.WORKLOAD_ENTRY, Kind.ENDPOINT_SLICE);

  /**
   * The next push context. With no previous one, or a forced request, everything is built from the
   * sources; otherwise each part is rebuilt only if a kind it is made of changed and reused from
   * {@code previous} if not, and endpoints are recomputed only for the services that changed. A new
   * context is returned every time, so its generation cache starts empty.
   */
  @Override
  public PushContext build(PushContext previous, PushRequest request) {
    String version = Long.toString(counter.incrementAndGet());
    if (previous == null || request.forced() || containsAny(request.kinds(), REBUILD_ALL)) {
      return buildAll(version, previous);
    }
    Set<Kind> kinds = request.kinds();
    Map<String, Map<Integer, List<Endpoint>>> endpoints = updatedEndpoints(previous, request);
    PushContext next = incremental(previous, request, version, kinds, endpoints);
    retainEndpoints(previous, next, request);
    retainClusters(previous, next, request);
    return next;
  }

  /**
   * When only services changed (added, removed or edited: {@link Kind#SERVICE_ENTRY} keys name
   * their hosts), the outbound clusters of every other host are what they were: a cluster is built
   * from its own service, the DestinationRule and PeerAuthentication that apply to it and the mesh
   * config, none of which changed. They are carried over, so a new service costs the clusters of
   * that service, not every sidecar's whole CDS (istiod's XdsCache clears clusters by the keys of a
   * push in the same way).
   */
  private static void retainClusters(PushContext previous, PushContext next, PushRequest request) {
    if (!request.full() || !request.kinds().equals(EnumSet.of(Kind.SERVICE_ENTRY))) {
      return;
    }
    Set<String> changed = request.servicesUpdated();
    next.cache()
        .retain(
            previous.cache(),
            type -> type.startsWith(CDS_CACHE_TYPE_PREFIX) || type.equals(GRPC_CDS_CACHE_TYPE),
            name -> isOutbound(name) && !changed.contains(host(name)));
  }

  /** The cache types of the Envoy (per proxy type and IP family) and gRPC cluster generators. */
  static final String CDS_CACHE_TYPE_PREFIX = "envoy-cds|";

  static final String GRPC_CDS_CACHE_TYPE = "grpc-cds";

  private static boolean isOutbound(String clusterName) {
    return clusterName.startsWith("outbound|") || clusterName.startsWith("outbound_.");
  }

  /**
   * Load assignments of services the change does not touch are reused from the previous push's
   * cache (istiod's XdsCache clears by config key), so an endpoint change of one service does not
   * rebuild every other service's for proxies that watch them.
   */
  private static void retainEndpoints(PushContext previous, PushContext next, PushRequest request) {
    for (Kind k : request.kinds()) {
      // ServiceEntry keys name their hosts: only those hosts' assignments change
      if (k != Kind.SERVICE_ENTRY && !Kind.NOT_IN_ENDPOINTS.contains(k)) {
        return;
      }
    }
    Set<String> changed = request.servicesUpdated();
    if (AmbientInterop.of(next).routesIngressThroughAny(changed)) {
      return; // a gateway's endpoints of other services are this waypoint's
    }
    next.cache().retain(previous.cache(), EDS_CACHE_TYPE, name -> !changed.contains(host(name)));
  }

  /** The cache type of the EDS generator's entries. */
  static final String EDS_CACHE_TYPE = "eds";

  /** The host of {@code outbound|PORT|SUBSET|HOST} or {@code outbound_.PORT_.SUBSET_.HOST}. */
  private static String host(String clusterName) {
    int bar = clusterName.lastIndexOf('|');
    if (bar >= 0) {
      return clusterName.substring(bar + 1);
    }
    int sni = clusterName.lastIndexOf("_.");
    return sni >= 0 ? clusterName.substring(sni + 2) : clusterName;
  }

  private PushContext incremental(
      PushContext previous,
      PushRequest request,
      String version,
      Set<Kind> kinds,
      Map<String, Map<Integer, List<Endpoint>>> endpoints) {
    SecurityConfigs security =
        request.full() && containsAny(kinds, SECURITY) ? security() : previous.security();
    ZtunnelPolicies policies =
        security == previous.security()
            ? ZtunnelPolicies.of(previous) // the same policies: converted already
            : ztunnelPolicies(security, previous.meshConfig());
    AddressIndex addresses =
        addresses(
            previous,
            containsAny(kinds, ADDRESS_INPUTS),
            previous.meshConfig(),
            policies,
            security);
    if (!request.full()) {
      return withPolicies(previous.withEndpoints(version, endpoints, addresses), policies);
    }
    PushIndex.Inputs before = previous.pushIndex().inputs();
    MeshConfig mesh = meshConfig.get();
    RegistryServices registered =
        kinds.contains(Kind.SERVICE_ENTRY)
            ? services()
            : new RegistryServices(before.services(), before.sharedHosts());
    java.util.SortedMap<String, Service> services = registered.byHost();
    // Services decide which backends and gateway Services exist: the Gateway API is converted
    // again with them (every other kind that feeds it is a full rebuild: UNKNOWN, NAMESPACE)
    boolean reconverted = gatewayApi != null && kinds.contains(Kind.SERVICE_ENTRY);
    GatewayApiResult gatewayApiResult =
        reconverted ? convertGatewayApi(services, endpoints) : previous.gatewayApi();
    // Ingress backends may name Service ports: converted again when services change, if there is
    // any Ingress (else a service change would cost every VirtualService's index for nothing);
    // every kind an Ingress is made of (Ingress, IngressClass: UNKNOWN; MESH_CONFIG) is a full
    // rebuild
    boolean ingressChanged =
        ingress != null
            && kinds.contains(Kind.SERVICE_ENTRY)
            && !store.list(IngressKinds.INGRESS, null).isEmpty();
    boolean virtualServicesChanged =
        reconverted || ingressChanged || kinds.contains(Kind.VIRTUAL_SERVICE);
    boolean gatewaysChanged = kinds.contains(Kind.GATEWAY) || reconverted;
    IngressResult ingressResult =
        virtualServicesChanged || gatewaysChanged
            ? convertIngress(mesh, services)
            : IngressResult.EMPTY; // not used: both lists are the previous push's
    PushIndex.Inputs inputs =
        new PushIndex.Inputs(
            domainSuffix,
            mesh,
            services,
            registered.shared(),
            virtualServicesChanged
                ? withGenerated(virtualServices(), gatewayApiResult, ingressResult)
                : before.virtualServices(),
            kinds.contains(Kind.DESTINATION_RULE) || reconverted
                ? withGeneratedRules(destinationRules(), gatewayApiResult)
                : before.destinationRules(),
            kinds.contains(Kind.SIDECAR) ? sorted(IstioKinds.SIDECAR) : before.sidecars());
    Set<IndexInput> changed = EnumSet.noneOf(IndexInput.class);
    for (Kind k : kinds) {
      changed.addAll(IndexInput.forKind(k.istioName()));
    }
    if (reconverted) {
      changed.addAll(IndexInput.forKind(Kind.VIRTUAL_SERVICE.istioName()));
      changed.addAll(IndexInput.forKind(Kind.DESTINATION_RULE.istioName()));
    }
    if (ingressChanged) {
      changed.addAll(IndexInput.forKind(Kind.VIRTUAL_SERVICE.istioName()));
    }
    return withPolicies(
        new PushContext(
            version,
            domainSuffix,
            PushIndex.update(previous.pushIndex(), changed, inputs),
            endpoints,
            mesh,
            gatewaysChanged
                ? generatedGateways(gatewayApiResult, ingressResult)
                : previous.gateways(),
            security,
            kinds.contains(Kind.TELEMETRY) ? telemetries() : previous.telemetries(),
            gatewayApiResult,
            addresses),
        policies);
  }

  private static final Set<Kind> SECURITY =
      EnumSet.of(Kind.PEER_AUTHENTICATION, Kind.AUTHORIZATION_POLICY, Kind.REQUEST_AUTHENTICATION);

  private PushContext buildAll(String version, PushContext previous) {
    MeshConfig mesh = meshConfig.get();
    RegistryServices registered = services();
    java.util.SortedMap<String, Service> services = registered.byHost();
    Map<String, Map<Integer, List<Endpoint>>> endpoints = endpointIndex();
    GatewayApiResult gatewayApiResult = convertGatewayApi(services, endpoints);
    IngressResult ingressResult = convertIngress(mesh, services);
    PushIndex index =
        PushIndex.build(
            new PushIndex.Inputs(
                domainSuffix,
                mesh,
                services,
                registered.shared(),
                withGenerated(virtualServices(), gatewayApiResult, ingressResult),
                withGeneratedRules(destinationRules(), gatewayApiResult),
                sorted(IstioKinds.SIDECAR)));
    SecurityConfigs security = security();
    ZtunnelPolicies policies = ztunnelPolicies(security, mesh);
    return withPolicies(
        new PushContext(
            version,
            domainSuffix,
            index,
            endpoints,
            mesh,
            generatedGateways(gatewayApiResult, ingressResult),
            security,
            telemetries(),
            gatewayApiResult,
            addresses(previous, true, mesh, policies, security)),
        policies);
  }

  /**
   * The store's VirtualServices, then those generated from the Gateway API, then those from
   * Ingresses (istiod's aggregate store lists its sources in that order).
   */
  private List<PushContext.ResolvedVirtualService> withGenerated(
      List<PushContext.ResolvedVirtualService> fromStore,
      GatewayApiResult result,
      IngressResult ingresses) {
    if (result.virtualServices().isEmpty() && ingresses.virtualServices().isEmpty()) {
      return fromStore;
    }
    List<PushContext.ResolvedVirtualService> out = new ArrayList<>(fromStore);
    for (Config c : result.virtualServices()) {
      out.add(resolve(c));
    }
    for (Config c : ingresses.virtualServices()) {
      out.add(resolve(c));
    }
    return out;
  }

  /** The store's Gateways, then those generated from the Gateway API, then those from Ingresses. */
  private List<Config> generatedGateways(GatewayApiResult result, IngressResult ingresses) {
    return withGenerated(
        withGenerated(sorted(IstioKinds.GATEWAY), result.gateways()), ingresses.gateways());
  }

  /**
   * The store's DestinationRules with those generated from the Gateway API's backend policies, all
   * in namespace/name order as the store's are: istiod lists both through one aggregate store.
   */
  private List<PushContext.ResolvedDestinationRule> withGeneratedRules(
      List<PushContext.ResolvedDestinationRule> fromStore, GatewayApiResult result) {
    if (result.destinationRules().isEmpty()) {
      return fromStore;
    }
    List<PushContext.ResolvedDestinationRule> out = new ArrayList<>(fromStore);
    for (Config c : result.destinationRules()) {
      out.add(resolveRule(c));
    }
    out.sort((a, b) -> a.config().key().compareTo(b.config().key()));
    return out;
  }

  private static List<Config> withGenerated(List<Config> fromStore, List<Config> generated) {
    if (generated.isEmpty()) {
      return fromStore;
    }
    List<Config> out = new ArrayList<>(fromStore);
    out.addAll(generated);
    return out;
  }

  /**
   * The previous endpoints with those of the changed services recomputed; all of them when a change
   * does not say which services it moves.
   */
  private Map<String, Map<Integer, List<Endpoint>>> updatedEndpoints(
      PushContext previous, PushRequest request) {
    if (containsAny(request.kinds(), ALL_ENDPOINTS)) {
      return endpointIndex();
    }
    Set<String> hosts = request.servicesUpdated();
    if (hosts.isEmpty()) {
      return previous.endpointsByHost();
    }
    Map<String, Map<Integer, List<Endpoint>>> endpoints = new TreeMap<>(previous.endpointsByHost());
    endpoints.keySet().removeAll(hosts);
    for (ServiceDiscovery registry : registries) {
      index(endpoints, registry.endpoints(hosts));
    }
    return endpoints;
  }

  /**
   * Every registry's services: by hostname the one a viewer with no namespace sees, and for each
   * hostname several services define, all of them in istiod's order ({@link ServiceChoice}).
   */
  private RegistryServices services() {
    Map<String, List<Service>> byHost = new HashMap<>();
    for (ServiceDiscovery registry : registries) {
      for (Service s : registry.services()) {
        byHost.computeIfAbsent(s.hostname(), h -> new ArrayList<>(1)).add(s);
      }
    }
    java.util.SortedMap<String, Service> chosen = new TreeMap<>();
    Map<String, List<Service>> shared = new HashMap<>();
    byHost.forEach(
        (host, candidates) -> {
          if (candidates.size() == 1) {
            chosen.put(host, candidates.get(0));
            return;
          }
          candidates.sort(ServiceChoice.ISTIO_ORDER);
          chosen.put(host, ServiceChoice.global(candidates));
          shared.put(host, List.copyOf(candidates));
          log.debug("service {} is defined {} times", host, candidates.size());
        });
    return new RegistryServices(ServiceAliases.resolve(chosen), shared);
  }

  /** The registries' services (see {@link #services()}). */
  private record RegistryServices(
      java.util.SortedMap<String, Service> byHost, Map<String, List<Service>> shared) {}

  private List<PushContext.ResolvedVirtualService> virtualServices() {
    List<PushContext.ResolvedVirtualService> virtualServices = new ArrayList<>();
    for (Config c : store.list(IstioKinds.VIRTUAL_SERVICE, null)) {
      virtualServices.add(resolve(c));
    }
    virtualServices.sort((a, b) -> a.config().key().compareTo(b.config().key()));
    return virtualServices;
  }

  private PushContext.ResolvedVirtualService resolve(Config c) {
    List<String> hosts = new ArrayList<>();
    for (String h : c.spec(VirtualService.class).getHostsList()) {
      hosts.add(Hosts.resolveShortName(h, c.namespace(), domainSuffix));
    }
    return new PushContext.ResolvedVirtualService(c, hosts);
  }

  private List<PushContext.ResolvedDestinationRule> destinationRules() {
    List<PushContext.ResolvedDestinationRule> destinationRules = new ArrayList<>();
    for (Config c : store.list(IstioKinds.DESTINATION_RULE, null)) {
      destinationRules.add(resolveRule(c));
    }
    destinationRules.sort((a, b) -> a.config().key().compareTo(b.config().key()));
    return destinationRules;
  }

  private PushContext.ResolvedDestinationRule resolveRule(Config c) {
    String host =
        Hosts.resolveShortName(
            c.spec(DestinationRule.class).getHost(), c.namespace(), domainSuffix);
    return new PushContext.ResolvedDestinationRule(c, host);
  }

  private SecurityConfigs security() {
    return new SecurityConfigs(
        sorted(IstioKinds.PEER_AUTHENTICATION),
        sorted(IstioKinds.AUTHORIZATION_POLICY),
        sorted(IstioKinds.REQUEST_AUTHENTICATION),
        JwksSource.perPush(jwks));
  }

  /** Every Telemetry, in istiod's order: creation time, then name, then namespace. */
  private List<Config> telemetries() {
    List<Config> out = new ArrayList<>(store.list(IstioKinds.TELEMETRY, null));
    out.sort(
        java.util.Comparator.comparing((Config c) -> c.meta().creationTimestamp())
            .thenComparing(Config::name)
            .thenComparing(Config::namespace));
    return out;
  }

  private static boolean containsAny(Set<Kind> kinds, Set<Kind> any) {
    for (Kind k : kinds) {
      if (any.contains(k)) {
        return true;
      }
    }
    return false;
  }

  private List<Config> sorted(io.jistiod.galley.config.ConfigKind kind) {
    List<Config> out = new ArrayList<>(store.list(kind, null));
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out;
  }
}
