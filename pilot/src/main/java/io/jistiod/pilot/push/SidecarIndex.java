package io.jistiod.pilot.push;

import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One push's Sidecar resources by namespace, and the {@link SidecarScope} of each (namespace,
 * labels) a proxy has asked for, computed once and shared. Istio's choice of Sidecar: the first (in
 * namespace/name order) in the proxy's namespace whose workloadSelector matches its labels, else
 * the first in its namespace without a selector, else the first in the root namespace without one;
 * with none, every service exported to the namespace is in scope. Gateways take no Sidecar.
 *
 * <p>Depends on Sidecar config, the services ({@link ServiceIndex}) and the mesh config ({@code
 * rootNamespace}). Immutable apart from its memoised scopes.
 */
public final class SidecarIndex {
  /** What the index is built from; a change to any other kind leaves it valid. */
  public static final Set<IndexInput> INPUTS =
      Set.of(
          IndexInput.SIDECAR,
          IndexInput.SERVICES,
          IndexInput.VIRTUAL_SERVICE,
          IndexInput.MESH_CONFIG);

  private final String rootNamespace;
  private final ServiceIndex services;
  private final VirtualServiceIndex virtualServices;
  private final String domainSuffix;
  private final Map<String, List<Config>> selecting; // with a non-empty workloadSelector
  private final Map<String, Config> namespaceDefault; // the first without one
  private final Map<ScopeKey, SidecarScope> scopes = new ConcurrentHashMap<>();
  private final Map<String, SidecarScope> gatewayScopes = new ConcurrentHashMap<>();

  /** What a proxy's scope depends on. */
  private record ScopeKey(String namespace, Map<String, String> labels) {}

  private SidecarIndex(
      String rootNamespace,
      ServiceIndex services,
      VirtualServiceIndex virtualServices,
      String domainSuffix,
      Map<String, List<Config>> selecting,
      Map<String, Config> namespaceDefault) {
    this.rootNamespace = rootNamespace;
    this.services = services;
    this.virtualServices = virtualServices;
    this.domainSuffix = domainSuffix;
    this.selecting = selecting;
    this.namespaceDefault = namespaceDefault;
  }

  /**
   * @param sidecars every Sidecar, in namespace/name order
   * @param virtualServices the mesh VirtualServices whose destinations a Sidecar's egress hosts
   *     also import (null: none)
   */
  public static SidecarIndex of(
      List<Config> sidecars,
      String rootNamespace,
      ServiceIndex services,
      VirtualServiceIndex virtualServices,
      String domainSuffix) {
    Map<String, List<Config>> selecting = new HashMap<>();
    Map<String, Config> defaults = new HashMap<>();
    for (Config c : sidecars) {
      if (hasSelector(c.spec(Sidecar.class))) {
        selecting.computeIfAbsent(c.namespace(), n -> new ArrayList<>()).add(c);
      } else {
        defaults.putIfAbsent(c.namespace(), c);
      }
    }
    selecting.replaceAll((ns, list) -> List.copyOf(list));
    return new SidecarIndex(
        rootNamespace,
        services,
        virtualServices,
        domainSuffix,
        Map.copyOf(selecting),
        Map.copyOf(defaults));
  }

  private static boolean hasSelector(Sidecar s) {
    return s.hasWorkloadSelector() && !s.getWorkloadSelector().getLabelsMap().isEmpty();
  }

  /**
   * The scope of {@code proxy}: the same object for every proxy of its namespace and labels. A
   * gateway ignores Sidecar resources, as in istiod: its scope is every service exported to its
   * namespace.
   */
  public SidecarScope scope(Proxy proxy) {
    if (proxy.type() == Proxy.NodeType.ROUTER) {
      return gatewayScopes.computeIfAbsent(
          proxy.configNamespace(),
          ns -> SidecarScope.of(ns, null, services.exportedToGateway(ns), List.of(), domainSuffix));
    }
    return scope(proxy.configNamespace(), proxy.metadata().labels());
  }

  /** The scope of proxies in {@code namespace} with {@code labels}. */
  public SidecarScope scope(String namespace, Map<String, String> labels) {
    ScopeKey key = new ScopeKey(namespace, labels);
    SidecarScope s = scopes.get(key);
    if (s != null) {
      return s;
    }
    return scopes.computeIfAbsent(
        new ScopeKey(namespace, Map.copyOf(labels)),
        k ->
            SidecarScope.of(
                namespace,
                select(namespace, labels),
                services.exportedTo(namespace),
                virtualServices == null
                    ? List.of()
                    : virtualServices.forGateway(namespace, VirtualServiceIndex.MESH),
                domainSuffix));
  }

  private Config select(String namespace, Map<String, String> labels) {
    for (Config c : selecting.getOrDefault(namespace, List.of())) {
      Map<String, String> selector = c.spec(Sidecar.class).getWorkloadSelector().getLabelsMap();
      if (labels.entrySet().containsAll(selector.entrySet())) {
        return c;
      }
    }
    Config own = namespaceDefault.get(namespace);
    if (own != null) {
      return own;
    }
    return namespaceDefault.get(rootNamespace);
  }
}
