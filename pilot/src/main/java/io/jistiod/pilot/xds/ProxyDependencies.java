package io.jistiod.pilot.xds;

import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a push can change anything a proxy holds, as istiod's {@code DefaultProxyNeedsPush} and
 * {@code ConfigAffectsProxy} judge it: a change is weighed against the push context before and
 * after it, so a config that moves out of a proxy's view still reaches it once. When unsure, the
 * proxy is pushed; a skipped push must never leave a proxy stale.
 *
 * <p>Built once per push (the changed VirtualServices and DestinationRules are looked up once),
 * then asked per connected proxy.
 */
public final class ProxyDependencies {
  /** Kinds that apply to a sidecar from its own namespace or the root namespace only. */
  private static final Set<Kind> NAMESPACE_SCOPED =
      EnumSet.of(
          Kind.SIDECAR,
          Kind.ENVOY_FILTER,
          Kind.AUTHORIZATION_POLICY,
          Kind.REQUEST_AUTHENTICATION,
          Kind.WASM_PLUGIN,
          Kind.TELEMETRY);

  private final PushRequest request;
  private final PushContext before;
  private final PushContext after;
  private final List<Config> changedVirtualServices = new ArrayList<>();
  private final List<Config> changedDestinationRules = new ArrayList<>();

  /**
   * @param before the push context the proxies were last pushed from (null: none)
   * @param after the one this push sends
   */
  public ProxyDependencies(PushRequest request, PushContext before, PushContext after) {
    this.request = request;
    this.before = before;
    this.after = after;
    for (PushContext push : contexts()) {
      // the VirtualServices as written (delegates too), not as merged for the index
      for (var vs : push.pushIndex().inputs().virtualServices()) {
        if (changed(Kind.VIRTUAL_SERVICE, vs.config())) {
          changedVirtualServices.add(vs.config());
        }
      }
      for (var dr : push.pushIndex().inputs().destinationRules()) {
        if (changed(Kind.DESTINATION_RULE, dr.config())) {
          changedDestinationRules.add(dr.config());
        }
      }
    }
  }

  /** Whether any change of the request may affect what {@code proxy} is sent. */
  public boolean affects(Proxy proxy) {
    if (request.forced() || before == null || !request.full()) {
      // endpoints-only pushes are filtered per resource by EDS itself
      return true;
    }
    if (proxy.type() != Proxy.NodeType.SIDECAR && proxy.type() != Proxy.NodeType.ROUTER) {
      return true; // waypoints and ztunnels scope config differently (istiod does not filter
      // either)
    }
    for (ConfigKey key : request.configsUpdated()) {
      if (dependsOn(proxy, key)) {
        return true;
      }
    }
    return false;
  }

  private boolean dependsOn(Proxy proxy, ConfigKey key) {
    boolean router = proxy.type() == Proxy.NodeType.ROUTER;
    switch (key.kind()) {
      case SIDECAR:
        // istiod never applies a Sidecar to a gateway (UnAffectedConfigKinds); our push context
        // still scopes a gateway by the Sidecar of its namespace, so gateways are judged alike
        return inScope(proxy, key);
      case GATEWAY:
        return router;
      case SERVICE_ENTRY:
        return serviceVisible(proxy, key.name());
      case VIRTUAL_SERVICE:
        return router || anyVirtualServiceApplies(proxy, key);
      case DESTINATION_RULE:
        return router || anyDestinationRuleVisible(proxy, key);
      case PEER_AUTHENTICATION:
        // a destination namespace's mTLS mode shapes clusters to it: any namespace may matter
        return true;
      default:
        if (!router && NAMESPACE_SCOPED.contains(key.kind())) {
          return inScope(proxy, key);
        }
        return true;
    }
  }

  /** In the proxy's namespace or the root namespace; an unnamed namespace may be any. */
  private boolean inScope(Proxy proxy, ConfigKey key) {
    return key.namespace().isEmpty()
        || key.namespace().equals(proxy.configNamespace())
        || key.namespace().equals(after.rootNamespace());
  }

  private boolean serviceVisible(Proxy proxy, String hostname) {
    for (PushContext push : contexts()) {
      if (push.serviceFor(proxy, hostname).isPresent()) {
        return true;
      }
      // the proxy's own service: its inbound listeners and clusters
      for (var target : push.serviceTargets(proxy)) {
        if (target.service().hostname().equals(hostname)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean anyVirtualServiceApplies(Proxy proxy, ConfigKey key) {
    boolean found = false;
    for (Config c : changedVirtualServices) {
      if (!matches(c, key)) {
        continue;
      }
      found = true;
      var vs = c.spec(io.jistiod.galley.api.networking.v1alpha3.VirtualService.class);
      boolean mesh = VirtualServiceIndex.includesMesh(vs.getGatewaysList());
      if (vs.getHostsCount() == 0) {
        return true; // a delegate: it applies wherever its parent does
      }
      if (mesh
          && exported(
              vs.getExportToList(), meshDefaults().getDefaultVirtualServiceExportToList(), c, proxy)
          && imported(proxy, c, vs.getHostsList())) {
        return true;
      }
    }
    return !found; // not in either context: cannot tell what it was
  }

  private boolean anyDestinationRuleVisible(Proxy proxy, ConfigKey key) {
    boolean found = false;
    for (Config c : changedDestinationRules) {
      if (!matches(c, key)) {
        continue;
      }
      found = true;
      var dr = c.spec(io.jistiod.galley.api.networking.v1alpha3.DestinationRule.class);
      if (exported(
          dr.getExportToList(), meshDefaults().getDefaultDestinationRuleExportToList(), c, proxy)) {
        return true;
      }
    }
    return !found;
  }

  /**
   * Whether the Sidecar that applies to the proxy (before or after) imports a host of the config's
   * namespace; with no Sidecar every namespace is imported.
   */
  private boolean imported(Proxy proxy, Config config, List<String> hosts) {
    for (PushContext push : contexts()) {
      Config sidecar = push.sidecarFor(proxy).orElse(null);
      if (sidecar == null) {
        return true;
      }
      for (var egress : sidecar.spec(Sidecar.class).getEgressList()) {
        for (String h : egress.getHostsList()) {
          int slash = h.indexOf('/');
          if (slash <= 0) {
            return true; // a form we do not parse: assume imported
          }
          String ns = h.substring(0, slash);
          String pattern = h.substring(slash + 1);
          boolean namespaceMatches =
              ns.equals("*")
                  || ns.equals(config.namespace())
                  || (ns.equals(".") && config.namespace().equals(proxy.configNamespace()));
          if (!namespaceMatches) {
            continue;
          }
          for (String host : hosts) {
            String fqdn = Hosts.resolveShortName(host, config.namespace(), after.domainSuffix());
            if (Hosts.matches(pattern, fqdn) || Hosts.matches(fqdn, pattern)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /** Visible to the proxy in the push before or after (the mesh defaults may have changed). */
  private static boolean exported(
      List<String> exportTo, List<String> meshDefault, Config config, Proxy proxy) {
    return ExportTo.of(exportTo, meshDefault)
        .visibleTo(config.namespace(), proxy.configNamespace());
  }

  private io.jistiod.galley.api.mesh.v1alpha1.MeshConfig meshDefaults() {
    return after.meshConfig();
  }

  private boolean changed(Kind kind, Config c) {
    for (ConfigKey key : request.configsUpdated()) {
      if (key.kind() == kind && matches(c, key)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(Config c, ConfigKey key) {
    return c.namespace().equals(key.namespace()) && c.name().equals(key.name());
  }

  private List<PushContext> contexts() {
    return before == null ? List.of(after) : List.of(before, after);
  }
}
