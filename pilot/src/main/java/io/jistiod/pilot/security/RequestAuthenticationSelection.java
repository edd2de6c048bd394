package io.jistiod.pilot.security;

import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which RequestAuthentications apply to a proxy, as istiod 1.27 attaches them: those in the proxy's
 * namespace, then those in the root namespace, each picked by {@code selector} (none: all
 * workloads) or, for a Kubernetes Gateway API gateway, by a {@code targetRef(s)} naming it.
 *
 * <p>One per push ({@link #of}): the policies by namespace, and the selection of each (namespace,
 * labels, proxy type) computed once, as every listener of every proxy asks.
 */
final class RequestAuthenticationSelection {
  /** The label a Gateway API deployment's pods carry with their Gateway's name. */
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

  private static final String GATEWAY_API_GROUP = "gateway.networking.k8s.io";

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;
  private final Map<Key, List<Config>> selected = new ConcurrentHashMap<>();

  /** What attachment depends on. */
  private record Key(String namespace, Map<String, String> labels, Proxy.NodeType type) {}

  /**
   * @param policies every RequestAuthentication, in namespace/name order
   */
  private RequestAuthenticationSelection(String rootNamespace, List<Config> policies) {
    this.rootNamespace = rootNamespace;
    Map<String, List<Config>> m = new HashMap<>();
    for (Config c : policies) {
      m.computeIfAbsent(c.namespace(), n -> new ArrayList<>()).add(c);
    }
    m.replaceAll((ns, list) -> List.copyOf(list));
    this.byNamespace = Map.copyOf(m);
  }

  /** The selection of {@code push}'s policies, built on first use and shared by its proxies. */
  static RequestAuthenticationSelection of(PushContext push) {
    return push.index(
        RequestAuthenticationSelection.class,
        p ->
            new RequestAuthenticationSelection(
                p.rootNamespace(), p.security().requestAuthentications()));
  }

  /** The policies that apply to {@code proxy}: its namespace's, then the root namespace's. */
  List<Config> select(Proxy proxy) {
    if (byNamespace.isEmpty()) {
      return List.of();
    }
    Key key = new Key(proxy.configNamespace(), proxy.metadata().labels(), proxy.type());
    List<Config> hit = selected.get(key);
    return hit != null ? hit : selected.computeIfAbsent(key, k -> scan(proxy));
  }

  private List<Config> scan(Proxy proxy) {
    List<Config> out = new ArrayList<>();
    String namespace = proxy.configNamespace();
    for (String ns :
        namespace.equals(rootNamespace) ? List.of(namespace) : List.of(namespace, rootNamespace)) {
      for (Config c : byNamespace.getOrDefault(ns, List.of())) {
        if (attaches(c, proxy)) {
          out.add(c);
        }
      }
    }
    return List.copyOf(out);
  }

  private static boolean attaches(Config c, Proxy proxy) {
    RequestAuthentication ra = c.spec(RequestAuthentication.class);
    Map<String, String> labels = proxy.metadata().labels();
    List<PolicyTargetReference> targetRefs = ra.getTargetRefsList();
    if (targetRefs.isEmpty() && ra.hasTargetRef()) {
      targetRefs = List.of(ra.getTargetRef());
    }
    String gatewayName = labels.get(GATEWAY_NAME_LABEL);
    if (gatewayName == null) {
      // A policy aimed by targetRef at something else never falls back to its selector here.
      return targetRefs.isEmpty() && selected(ra, labels);
    }
    if (targetRefs.isEmpty()) {
      // Selector-based policy on a Gateway API gateway (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY,
      // on by default); waypoints only ever take targetRef policies.
      return proxy.type() != Proxy.NodeType.WAYPOINT && selected(ra, labels);
    }
    for (PolicyTargetReference ref : targetRefs) {
      if (c.namespace().equals(proxy.configNamespace())
          && (ref.getNamespace().isEmpty() || ref.getNamespace().equals(proxy.configNamespace()))
          && GATEWAY_API_GROUP.equals(ref.getGroup())
          && "Gateway".equals(ref.getKind())
          && gatewayName.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  private static boolean selected(RequestAuthentication ra, Map<String, String> labels) {
    if (!ra.hasSelector()) {
      return true;
    }
    for (var e : ra.getSelector().getMatchLabelsMap().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
