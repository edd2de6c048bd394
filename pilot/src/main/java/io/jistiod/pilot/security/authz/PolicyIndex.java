package io.jistiod.pilot.security.authz;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.type.v1beta1.PolicyTargetReference;
import io.jistiod.galley.config.Config;
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
    String gatewayName = labels.get(GATEWAY_NAME_LABEL);
    if (gatewayName == null || refs.isEmpty()) {
      return refs.isEmpty() && selected(spec, labels);
    }
    if (!workloadNamespace.equals(policyNamespace)) {
      return false;
    }
    for (PolicyTargetReference ref : refs) {
      if (!(ref.getNamespace().isEmpty() || ref.getNamespace().equals(workloadNamespace))) {
        continue;
      }
      if (GATEWAY_API_GROUP.equals(ref.getGroup())
          && "Gateway".equals(ref.getKind())
          && gatewayName.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  private static boolean selected(AuthorizationPolicy spec, Map<String, String> labels) {
    if (!spec.hasSelector()) {
      return true;
    }
    for (Map.Entry<String, String> e : spec.getSelector().getMatchLabelsMap().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
