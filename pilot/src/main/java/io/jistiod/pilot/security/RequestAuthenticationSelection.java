package io.jistiod.pilot.security;

import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.PolicyAttachment;
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

  /** What a waypoint chain's attachment depends on: the waypoint and the chain's service. */
  private record WaypointKey(String namespace, String gateway, String serviceKey) {}

  private final Map<WaypointKey, List<Config>> waypointSelected = new ConcurrentHashMap<>();

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

  /**
   * The policies a waypoint applies on its chains for {@code service} (null: its direct workload
   * chains), as istiod 1.27 attaches them there: from the waypoint's namespace, the root namespace
   * and the service's namespace, those whose {@code targetRefs} name the waypoint's Gateway (its
   * own namespace), the chain's Kubernetes Service or ServiceEntry (the policy in the service's
   * namespace), or, from the root namespace, the {@code istio-waypoint} GatewayClass. Never by
   * selector.
   */
  List<Config> selectForWaypoint(Proxy proxy, io.jistiod.pilot.model.Service service) {
    if (byNamespace.isEmpty()) {
      return List.of();
    }
    WaypointKey key =
        new WaypointKey(
            proxy.configNamespace(),
            proxy.metadata().labels().getOrDefault(GATEWAY_NAME_LABEL, ""),
            service == null ? "" : service.namespace() + "/" + service.hostname());
    return waypointSelected.computeIfAbsent(key, k -> scanForWaypoint(proxy, service));
  }

  private List<Config> scanForWaypoint(Proxy proxy, io.jistiod.pilot.model.Service service) {
    String gatewayName = proxy.metadata().labels().get(GATEWAY_NAME_LABEL);
    if (gatewayName == null) {
      return List.of();
    }
    java.util.LinkedHashSet<String> namespaces = new java.util.LinkedHashSet<>();
    namespaces.add(proxy.configNamespace());
    namespaces.add(rootNamespace);
    if (service != null) {
      namespaces.add(service.namespace());
    }
    List<Config> out = new ArrayList<>();
    for (String ns : namespaces) {
      for (Config c : byNamespace.getOrDefault(ns, List.of())) {
        if (attachesToWaypoint(c, proxy.configNamespace(), gatewayName, service)) {
          out.add(c);
        }
      }
    }
    return List.copyOf(out);
  }

  private boolean attachesToWaypoint(
      Config c, String waypointNamespace, String gatewayName, io.jistiod.pilot.model.Service s) {
    for (PolicyTargetReference ref : targetRefs(c.spec(RequestAuthentication.class))) {
      if (s != null && c.namespace().equals(s.namespace())) {
        boolean kube =
            io.jistiod.pilot.model.ServiceAttributes.KUBERNETES.equals(s.attributes().registry());
        boolean service = ref.getGroup().isEmpty() && "Service".equals(ref.getKind()) && kube;
        boolean entry =
            "networking.istio.io".equals(ref.getGroup())
                && "ServiceEntry".equals(ref.getKind())
                && !kube;
        if ((service || entry) && ref.getName().equals(s.attributes().name())) {
          return true;
        }
      }
      if (c.namespace().equals(rootNamespace)
          && GATEWAY_API_GROUP.equals(ref.getGroup())
          && "GatewayClass".equals(ref.getKind())
          && "istio-waypoint".equals(ref.getName())) {
        return true;
      }
      if (c.namespace().equals(waypointNamespace)
          && (ref.getNamespace().isEmpty() || ref.getNamespace().equals(waypointNamespace))
          && GATEWAY_API_GROUP.equals(ref.getGroup())
          && "Gateway".equals(ref.getKind())
          && gatewayName.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  private static List<PolicyTargetReference> targetRefs(RequestAuthentication ra) {
    if (ra.getTargetRefsCount() == 0 && ra.hasTargetRef()) {
      return List.of(ra.getTargetRef());
    }
    return ra.getTargetRefsList();
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
    List<PolicyTargetReference> targetRefs = ra.getTargetRefsList();
    if (targetRefs.isEmpty() && ra.hasTargetRef()) {
      targetRefs = List.of(ra.getTargetRef());
    }
    return PolicyAttachment.attaches(
        c.namespace(),
        targetRefs,
        ra.hasSelector() ? ra.getSelector().getMatchLabelsMap() : null,
        proxy.metadata().labels(),
        proxy.configNamespace(),
        proxy.type() == Proxy.NodeType.WAYPOINT);
  }
}
