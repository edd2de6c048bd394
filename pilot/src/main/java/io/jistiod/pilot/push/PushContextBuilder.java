package io.jistiod.pilot.push;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.security.JwksSource;
import io.jistiod.pilot.xds.PushContextFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
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

  private final ConfigStore store;
  private final List<ServiceDiscovery> registries;
  private final String domainSuffix;

  private final Supplier<MeshConfig> meshConfig;

  private final AtomicLong counter = new AtomicLong();

  private volatile JwksSource jwks = JwksSource.NONE;

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

  private Map<String, Map<Integer, List<Endpoint>>> endpointIndex() {
    Map<String, Map<Integer, List<Endpoint>>> endpoints = new TreeMap<>();
    for (ServiceDiscovery registry : registries) {
      for (Endpoint e : registry.endpoints()) {
        endpoints
            .computeIfAbsent(e.hostname(), h -> new TreeMap<>())
            .computeIfAbsent(e.servicePort(), p -> new ArrayList<>())
            .add(e);
      }
    }
    return endpoints;
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

  @Override
  public PushContext build(PushContext previous, PushRequest request) {
    if (previous != null && !request.full()) {
      // Endpoints changed and nothing else: reuse every other index.
      return previous.withEndpoints(Long.toString(counter.incrementAndGet()), endpointIndex());
    }
    java.util.SortedMap<String, Service> services = new TreeMap<>();
    for (ServiceDiscovery registry : registries) {
      for (Service s : registry.services()) {
        Service first = services.putIfAbsent(s.hostname(), s);
        if (first != null && first != s) {
          log.debug("service {} is defined more than once; using the first", s.hostname());
        }
      }
    }
    Map<String, Map<Integer, List<Endpoint>>> endpoints = endpointIndex();
    List<PushContext.ResolvedVirtualService> virtualServices = new ArrayList<>();
    for (Config c : store.list(IstioKinds.VIRTUAL_SERVICE, null)) {
      List<String> hosts = new ArrayList<>();
      for (String h : c.spec(VirtualService.class).getHostsList()) {
        hosts.add(Hosts.resolveShortName(h, c.namespace(), domainSuffix));
      }
      virtualServices.add(new PushContext.ResolvedVirtualService(c, hosts));
    }
    List<PushContext.ResolvedDestinationRule> destinationRules = new ArrayList<>();
    for (Config c : store.list(IstioKinds.DESTINATION_RULE, null)) {
      String host =
          Hosts.resolveShortName(
              c.spec(DestinationRule.class).getHost(), c.namespace(), domainSuffix);
      destinationRules.add(new PushContext.ResolvedDestinationRule(c, host));
    }
    virtualServices.sort((a, b) -> a.config().key().compareTo(b.config().key()));
    destinationRules.sort((a, b) -> a.config().key().compareTo(b.config().key()));
    List<Config> sidecars = new ArrayList<>(store.list(IstioKinds.SIDECAR, null));
    sidecars.sort((a, b) -> a.key().compareTo(b.key()));
    List<Config> gateways = new ArrayList<>(store.list(IstioKinds.GATEWAY, null));
    gateways.sort((a, b) -> a.key().compareTo(b.key()));
    SecurityConfigs security =
        new SecurityConfigs(
            sorted(IstioKinds.PEER_AUTHENTICATION),
            sorted(IstioKinds.AUTHORIZATION_POLICY),
            sorted(IstioKinds.REQUEST_AUTHENTICATION),
            JwksSource.perPush(jwks));
    MeshConfig mesh = meshConfig.get();
    PushIndex index =
        PushIndex.build(
            new PushIndex.Inputs(
                domainSuffix, mesh, services, virtualServices, destinationRules, sidecars));
    return new PushContext(
        Long.toString(counter.incrementAndGet()),
        domainSuffix,
        index,
        endpoints,
        mesh,
        gateways,
        security);
  }

  private List<Config> sorted(io.jistiod.galley.config.ConfigKind kind) {
    List<Config> out = new ArrayList<>(store.list(kind, null));
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out;
  }
}
