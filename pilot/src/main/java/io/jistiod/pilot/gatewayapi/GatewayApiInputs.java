package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one conversion reads, as an immutable snapshot: the Gateway API objects (with their
 * current status), the ServiceEntries routes may attach to, the namespaces with their labels, the
 * Kubernetes Services by {@code namespace/name}, Secrets, the service registry, istiod's settings,
 * and the time to stamp on conditions that change.
 *
 * @param kubernetesServices the Kubernetes Services that exist, as {@code namespace/name}; backend
 *     and parent references to Services are checked against these, as istiod checks its Service
 *     informer
 * @param configMaps the ConfigMaps BackendTLSPolicies take their CA certificates from
 */
public record GatewayApiInputs(
    List<Config> gatewayClasses,
    List<Config> gateways,
    List<Config> httpRoutes,
    List<Config> grpcRoutes,
    List<Config> tcpRoutes,
    List<Config> tlsRoutes,
    List<Config> listenerSets,
    List<Config> referenceGrants,
    List<Config> backendTlsPolicies,
    List<Config> backendTrafficPolicies,
    List<Config> serviceEntries,
    Map<String, Map<String, String>> namespaces,
    Set<String> kubernetesServices,
    CredentialSource secrets,
    ConfigMapSource configMaps,
    ServiceRegistryView registry,
    GatewayApiOptions options,
    Instant now) {

  public GatewayApiInputs {
    gatewayClasses = List.copyOf(gatewayClasses);
    gateways = List.copyOf(gateways);
    httpRoutes = List.copyOf(httpRoutes);
    grpcRoutes = List.copyOf(grpcRoutes);
    tcpRoutes = List.copyOf(tcpRoutes);
    tlsRoutes = List.copyOf(tlsRoutes);
    listenerSets = List.copyOf(listenerSets);
    referenceGrants = List.copyOf(referenceGrants);
    backendTlsPolicies = List.copyOf(backendTlsPolicies);
    backendTrafficPolicies = List.copyOf(backendTrafficPolicies);
    serviceEntries = List.copyOf(serviceEntries);
    namespaces = Map.copyOf(namespaces);
    kubernetesServices = Set.copyOf(kubernetesServices);
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(configMaps, "configMaps");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(now, "now");
  }

  /**
   * The Gateway API objects and ServiceEntries of {@code store} (kinds it does not hold are empty),
   * with the rest given, and no ConfigMaps.
   */
  public static GatewayApiInputs from(
      ConfigStore store,
      Map<String, Map<String, String>> namespaces,
      Set<String> kubernetesServices,
      CredentialSource secrets,
      ServiceRegistryView registry,
      GatewayApiOptions options,
      Instant now) {
    return from(
        store,
        namespaces,
        kubernetesServices,
        secrets,
        ConfigMapSource.NONE,
        registry,
        options,
        now);
  }

  /**
   * The Gateway API objects and ServiceEntries of {@code store} (kinds it does not hold are empty;
   * the alpha kinds only with {@link GatewayApiOptions#alpha}), with the rest given.
   */
  public static GatewayApiInputs from(
      ConfigStore store,
      Map<String, Map<String, String>> namespaces,
      Set<String> kubernetesServices,
      CredentialSource secrets,
      ConfigMapSource configMaps,
      ServiceRegistryView registry,
      GatewayApiOptions options,
      Instant now) {
    return new GatewayApiInputs(
        store.list(GatewayApiKinds.GATEWAY_CLASS, null),
        store.list(GatewayApiKinds.GATEWAY, null),
        store.list(GatewayApiKinds.HTTP_ROUTE, null),
        store.list(GatewayApiKinds.GRPC_ROUTE, null),
        options.alpha() ? store.list(GatewayApiKinds.TCP_ROUTE, null) : List.of(),
        options.alpha() ? store.list(GatewayApiKinds.TLS_ROUTE, null) : List.of(),
        options.alpha() ? store.list(GatewayApiKinds.X_LISTENER_SET, null) : List.of(),
        store.list(GatewayApiKinds.REFERENCE_GRANT, null),
        options.alpha() ? store.list(GatewayApiKinds.BACKEND_TLS_POLICY, null) : List.of(),
        options.alpha() ? store.list(GatewayApiKinds.X_BACKEND_TRAFFIC_POLICY, null) : List.of(),
        store.list(IstioKinds.SERVICE_ENTRY, null),
        namespaces,
        kubernetesServices,
        secrets,
        configMaps,
        registry,
        options,
        now);
  }
}
