package io.jistiod.pilot.security.authz;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.PolicyAttachment;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A push's AuthorizationPolicies indexed by namespace, with the mesh's trust domains and resolved
 * ext_authz providers: built once per push (the first time a proxy asks) and shared by all proxies
 * of that push.
 */
public final class PolicyIndex {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyIndex.class);
  private static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
  private static final String GATEWAY_API_GROUP = "gateway.networking.k8s.io";

  private final String rootNamespace;
  private final Map<String, List<Config>> byNamespace;
  private final TrustDomains trustDomains;
  private final ExtAuthzProviders providers;
  private final Set<String> logged = ConcurrentHashMap.newKeySet();
  private final Map<WorkloadKey, AuthzFilters> filters = new ConcurrentHashMap<>();

  /** What policy selection depends on: a workload's namespace and labels. */
  private record WorkloadKey(String namespace, Map<String, String> labels) {}

  PolicyIndex(
      String rootNamespace,
      List<Config> policies,
      MeshConfig mesh,
      java.util.function.Function<String, io.jistiod.pilot.model.Service> services) {
    this.rootNamespace = rootNamespace;
    Map<String, List<Config>> m = new TreeMap<>();
    for (Config c : policies) {
      m.computeIfAbsent(c.namespace(), k -> new ArrayList<>()).add(c);
    }
    this.byNamespace = m;
    this.trustDomains = TrustDomains.of(mesh.getTrustDomain(), mesh.getTrustDomainAliasesList());
    this.providers = ExtAuthzProviders.resolve(mesh, services);
  }

  /** The index of {@code push}, built on first use and shared by the push's proxies. */
  public static PolicyIndex of(PushContext push) {
    return push.index(
        PolicyIndex.class,
        p ->
            new PolicyIndex(
                p.rootNamespace(),
                p.security().authorizationPolicies(),
                p.meshConfig(),
                h -> p.service(h).orElse(null)));
  }

  TrustDomains trustDomains() {
    return trustDomains;
  }

  ExtAuthzProviders providers() {
    return providers;
  }

  /** Logs {@code message} at warn level once for this push. */
  void warnOnce(String message) {
    if (logged.add(message)) {
      LOG.warn(message);
    }
  }

  /** The authorization filters of {@code proxy}'s workload, built once per push. */
  AuthzFilters filtersFor(Proxy proxy) {
    WorkloadKey key = new WorkloadKey(proxy.configNamespace(), proxy.metadata().labels());
    AuthzFilters f = filters.get(key);
    if (f == null) {
      // built outside computeIfAbsent: building logs and may take a while; a duplicate is harmless
      f = new AuthzFilters(this, forProxy(proxy));
      AuthzFilters prev = filters.putIfAbsent(key, f);
      if (prev != null) {
        f = prev;
      }
    }
    return f;
  }

  /** What a waypoint's policy selection depends on. */
  private record WaypointKey(String namespace, String gateway, String serviceKey) {}

  private final Map<WaypointKey, AuthzFilters> waypointFilters = new ConcurrentHashMap<>();

  /** The authorization filters of a waypoint's chains for {@code service}, once per push. */
  AuthzFilters filtersForWaypoint(Proxy proxy, io.jistiod.pilot.model.Service service) {
    WaypointKey key =
        new WaypointKey(
            proxy.configNamespace(),
            proxy.metadata().labels().getOrDefault(GATEWAY_NAME_LABEL, ""),
            service == null ? "" : service.namespace() + "/" + service.hostname());
    AuthzFilters f = waypointFilters.get(key);
    if (f == null) {
      f = new AuthzFilters(this, forWaypoint(proxy, service), true);
      AuthzFilters prev = waypointFilters.putIfAbsent(key, f);
      if (prev != null) {
        f = prev;
      }
    }
    return f;
  }

  /**
   * The policies a waypoint applies to traffic for {@code service} (null: to a workload), by
   * action, as istiod selects them: from the root namespace, the waypoint's and the service's
   * namespace, those whose {@code targetRefs} name the waypoint's Gateway (its own namespace), the
   * Kubernetes Service or ServiceEntry (its namespace), or, from the root namespace, the {@code
   * istio-waypoint} GatewayClass. A waypoint never takes a selector policy.
   */
  public WorkloadPolicies forWaypoint(Proxy proxy, io.jistiod.pilot.model.Service service) {
    String gateway = proxy.metadata().labels().get(GATEWAY_NAME_LABEL);
    Set<String> namespaces = new LinkedHashSet<>();
    namespaces.add(rootNamespace);
    namespaces.add(proxy.configNamespace());
    if (service != null) {
      namespaces.add(service.namespace());
    }
    WorkloadPolicies.Builder out = new WorkloadPolicies.Builder();
    for (String ns : namespaces) {
      for (Config c : byNamespace.getOrDefault(ns, List.of())) {
        AuthorizationPolicy spec = c.spec(AuthorizationPolicy.class);
        if (gateway == null
            || !attachesToWaypoint(
                spec, c.namespace(), gateway, proxy.configNamespace(), service)) {
          continue;
        }
        switch (spec.getAction()) {
          case ALLOW -> out.allow.add(c);
          case DENY -> out.deny.add(c);
          case AUDIT -> out.audit.add(c);
          case CUSTOM -> out.custom.add(c);
          default ->
              warnOnce(
                  "ignored authorization policy "
                      + c.namespace()
                      + "."
                      + c.name()
                      + " with unsupported action");
        }
      }
    }
    return out.build();
  }

  private boolean attachesToWaypoint(
      AuthorizationPolicy spec,
      String policyNamespace,
      String gateway,
      String waypointNamespace,
      io.jistiod.pilot.model.Service service) {
    List<PolicyTargetReference> refs = new ArrayList<>(spec.getTargetRefsList());
    if (refs.isEmpty() && spec.hasTargetRef()) {
      refs.add(spec.getTargetRef());
    }
    for (PolicyTargetReference ref : refs) {
      String group = ref.getGroup();
      if (service != null && service.namespace().equals(policyNamespace)) {
        boolean kube =
            io.jistiod.pilot.model.ServiceAttributes.KUBERNETES.equals(
                service.attributes().registry());
        if (group.isEmpty()
            && "Service".equals(ref.getKind())
            && kube
            && ref.getName().equals(service.attributes().name())) {
          return true;
        }
        if ("networking.istio.io".equals(group)
            && "ServiceEntry".equals(ref.getKind())
            && !kube
            && ref.getName().equals(service.attributes().name())) {
          return true;
        }
      }
      if (policyNamespace.equals(rootNamespace)
          && GATEWAY_API_GROUP.equals(group)
          && "GatewayClass".equals(ref.getKind())
          && "istio-waypoint".equals(ref.getName())) {
        return true;
      }
      if (!waypointNamespace.equals(policyNamespace)
          || !(ref.getNamespace().isEmpty() || ref.getNamespace().equals(waypointNamespace))) {
        continue;
      }
      if (GATEWAY_API_GROUP.equals(group)
          && "Gateway".equals(ref.getKind())
          && gateway.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  /** The policies that apply to {@code proxy}, by action, as istiod selects them. */
  public WorkloadPolicies forProxy(Proxy proxy) {
    Map<String, String> labels = proxy.metadata().labels();
    Set<String> namespaces = new LinkedHashSet<>();
    namespaces.add(rootNamespace);
    namespaces.add(proxy.configNamespace());
    WorkloadPolicies.Builder out = new WorkloadPolicies.Builder();
    for (String ns : namespaces) {
      for (Config c : byNamespace.getOrDefault(ns, List.of())) {
        AuthorizationPolicy spec = c.spec(AuthorizationPolicy.class);
        if (!attaches(spec, c.namespace(), labels, proxy.configNamespace())) {
          continue;
        }
        switch (spec.getAction()) {
          case ALLOW:
            out.allow.add(c);
            break;
          case DENY:
            out.deny.add(c);
            break;
          case AUDIT:
            out.audit.add(c);
            break;
          case CUSTOM:
            out.custom.add(c);
            break;
          default:
            warnOnce(
                "ignored authorization policy "
                    + c.namespace()
                    + "."
                    + c.name()
                    + " with unsupported action");
        }
      }
    }
    return out.build();
  }

  /**
   * istiod's attachment rule for sidecars and gateways (not waypoints): a workload that is not a
   * Gateway API gateway uses {@code selector} and ignores policies with {@code targetRefs}; a
   * Gateway API gateway takes policies whose {@code targetRefs} name its Gateway (same namespace),
   * and selector-only policies.
   */
  static boolean attaches(
      AuthorizationPolicy spec,
      String policyNamespace,
      Map<String, String> labels,
      String workloadNamespace) {
    List<PolicyTargetReference> refs = new ArrayList<>(spec.getTargetRefsList());
    if (refs.isEmpty() && spec.hasTargetRef()) {
      refs.add(spec.getTargetRef());
    }
    return PolicyAttachment.attaches(
        policyNamespace,
        refs,
        spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : null,
        labels,
        workloadNamespace,
        false);
  }
}
