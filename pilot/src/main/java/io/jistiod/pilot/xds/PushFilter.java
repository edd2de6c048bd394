package io.jistiod.pilot.xds;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which xDS types a push must regenerate for a proxy, from the kinds that changed: istiod's {@code
 * cdsNeedsPush}, {@code ldsNeedsPush}, {@code rdsNeedsPush}, {@code edsNeedsPush} and {@code
 * sdsNeedsPush} with their sets of kinds that cannot affect a type. A forced request pushes every
 * type; an incremental one ({@code full} false) only EDS and SDS.
 */
public final class PushFilter {
  // Kinds that cannot change clusters (istiod's skippedCdsConfigs). Unlike istiod, a Gateway change
  // still pushes a gateway's clusters (istiod compares auto-passthrough SNI hosts there instead).
  // A VirtualService cannot change a gateway's clusters, nor those of a sidecar without a Sidecar
  // resource (every visible service is in its scope); a Sidecar's scope imports the destinations
  // of the VirtualServices its egress hosts name, so those it can change (cdsSkipped), and so can a
  // waypoint's: it gets outbound clusters for the destinations of its services' routes.
  private static final Set<Kind> SKIPPED_CDS =
      EnumSet.of(
          Kind.VIRTUAL_SERVICE,
          Kind.WORKLOAD_ENTRY,
          Kind.WORKLOAD_GROUP,
          Kind.AUTHORIZATION_POLICY,
          Kind.REQUEST_AUTHENTICATION,
          Kind.SECRET,
          Kind.CONFIG_MAP,
          Kind.TELEMETRY,
          Kind.WASM_PLUGIN,
          Kind.PROXY_CONFIG);

  private static final Set<Kind> SKIPPED_LDS =
      EnumSet.of(
          Kind.WORKLOAD_GROUP,
          Kind.WORKLOAD_ENTRY,
          Kind.SECRET,
          Kind.CONFIG_MAP,
          Kind.PROXY_CONFIG);

  private static final Set<Kind> SKIPPED_RDS =
      EnumSet.of(
          Kind.WORKLOAD_ENTRY,
          Kind.WORKLOAD_GROUP,
          Kind.AUTHORIZATION_POLICY,
          Kind.REQUEST_AUTHENTICATION,
          Kind.PEER_AUTHENTICATION,
          Kind.SECRET,
          Kind.CONFIG_MAP,
          Kind.WASM_PLUGIN,
          Kind.TELEMETRY,
          Kind.PROXY_CONFIG);

  private static final Set<Kind> SKIPPED_EDS = Kind.NOT_IN_ENDPOINTS;

  /**
   * Kinds the workload API's addresses are built from (pods, Services, nodes for locality,
   * namespaces through discovery selectors, the mesh config's trust domain). istiod pushes an
   * address when it changes, full push or not.
   */
  private static final Set<Kind> ADDRESS_INPUTS =
      EnumSet.of(
          Kind.POD,
          Kind.SERVICE_ENTRY,
          Kind.NODE,
          Kind.NAMESPACE,
          Kind.MESH_CONFIG,
          Kind.ENDPOINT_SLICE,
          Kind.AUTHORIZATION_POLICY,
          Kind.PEER_AUTHENTICATION,
          Kind.WORKLOAD_ENTRY,
          Kind.UNKNOWN);

  /** What ztunnel's authorization policies are built from (the root namespace: mesh config). */
  private static final Set<Kind> POLICY_INPUTS =
      EnumSet.of(
          Kind.AUTHORIZATION_POLICY,
          Kind.PEER_AUTHENTICATION,
          Kind.NAMESPACE,
          Kind.MESH_CONFIG,
          Kind.UNKNOWN);

  private PushFilter() {}

  /**
   * Whether {@code typeUrl} must be regenerated for {@code proxy} by {@code request}.
   *
   * @param sidecarScoped whether a Sidecar resource scopes the proxy: its clusters then include the
   *     destinations of the VirtualServices its egress hosts import, so a VirtualService change may
   *     change them (without one the scope is every visible service, whatever the VirtualServices)
   */
  public static boolean needsPush(
      String typeUrl, Proxy proxy, PushRequest request, boolean sidecarScoped) {
    if (TypeUrls.AUTHORIZATION.equals(typeUrl)) {
      return request.forced()
          || request.configsUpdated().stream().anyMatch(k -> POLICY_INPUTS.contains(k.kind()));
    }
    if (TypeUrls.ADDRESS.equals(typeUrl)) {
      return request.forced()
          || request.configsUpdated().stream().anyMatch(k -> ADDRESS_INPUTS.contains(k.kind()));
    }
    if (request.forced()) {
      // an endpoints-only request that does not say which services: every load assignment
      return request.full() || TypeUrls.ENDPOINT.equals(typeUrl);
    }
    if (proxy.type() == Proxy.NodeType.WAYPOINT
        && (TypeUrls.CLUSTER.equals(typeUrl) || TypeUrls.LISTENER.equals(typeUrl))
        && request.configsUpdated().stream().anyMatch(k -> ADDRESS_INPUTS.contains(k.kind()))) {
      // a waypoint's chains match the IPs of the workloads it serves and its clusters follow the
      // services that use it: an address change reaches both, full push or not (istiod's
      // waypointNeedsPush)
      return true;
    }
    switch (typeUrl) {
      case TypeUrls.ENDPOINT:
        return anyNotIn(request.configsUpdated(), SKIPPED_EDS);
      case TypeUrls.SECRET:
        return request.has(Kind.SECRET) || request.has(Kind.CONFIG_MAP);
      case TypeUrls.CLUSTER:
        return request.full()
            && (grpc(proxy) || anyNotIn(request, cdsSkipped(proxy, sidecarScoped)));
      case TypeUrls.LISTENER:
        return request.full() && (grpc(proxy) || anyNotIn(request, ldsSkipped(proxy)));
      case TypeUrls.ROUTE:
        return request.full() && (grpc(proxy) || anyNotIn(request, SKIPPED_RDS));
      default:
        return request.full(); // types with no declared dependencies: every full push
    }
  }

  /**
   * Whether EDS may send only the load assignments of the changed services (istiod's {@code
   * canSendPartialFullPushes}): every change that affects endpoints names a service.
   */
  public static boolean edsOnlyChangedServices(PushRequest request) {
    if (request.forced()) {
      return false;
    }
    for (ConfigKey k : request.configsUpdated()) {
      if (!SKIPPED_EDS.contains(k.kind()) && k.kind() != Kind.SERVICE_ENTRY) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether an SDS resource name refers to one of the Secrets that changed (istiod's {@code
   * relevantSecret}): {@code kubernetes://NAME}, {@code kubernetes://NAMESPACE/NAME}, and the
   * {@code -cacert} form, which falls back to NAME's own CA.
   */
  public static boolean secretRelevant(
      String resourceName, String proxyNamespace, PushRequest request) {
    if (request.forced()) {
      return true;
    }
    String prefix = "kubernetes://";
    if (!resourceName.startsWith(prefix)) {
      return false;
    }
    String ref = resourceName.substring(prefix.length());
    String namespace = proxyNamespace;
    int slash = ref.indexOf('/');
    if (slash >= 0) {
      namespace = ref.substring(0, slash);
      ref = ref.substring(slash + 1);
    }
    Set<String> names = new TreeSet<>(Set.of(ref));
    if (ref.endsWith("-cacert")) {
      names.add(ref.substring(0, ref.length() - "-cacert".length()));
    }
    for (ConfigKey k : request.configsUpdated()) {
      if (k.kind() == Kind.SECRET && k.namespace().equals(namespace) && names.contains(k.name())) {
        return true;
      }
    }
    return false;
  }

  private static Set<Kind> cdsSkipped(Proxy proxy, boolean sidecarScoped) {
    if (proxy.type() == Proxy.NodeType.ROUTER
        || (!sidecarScoped && proxy.type() != Proxy.NodeType.WAYPOINT)) {
      return SKIPPED_CDS;
    }
    Set<Kind> s = EnumSet.copyOf(SKIPPED_CDS);
    s.remove(Kind.VIRTUAL_SERVICE);
    return s;
  }

  private static Set<Kind> ldsSkipped(Proxy proxy) {
    if (proxy.type() == Proxy.NodeType.ROUTER) {
      return SKIPPED_LDS;
    }
    Set<Kind> s = EnumSet.copyOf(SKIPPED_LDS);
    s.add(Kind.GATEWAY);
    return s;
  }

  /** istiod's proxyless gRPC generator regenerates on every full push, whatever changed. */
  private static boolean grpc(Proxy proxy) {
    return "grpc".equals(proxy.generator());
  }

  private static boolean anyNotIn(PushRequest request, Set<Kind> skipped) {
    return anyNotIn(request.configsUpdated(), skipped);
  }

  private static boolean anyNotIn(Set<ConfigKey> keys, Set<Kind> skipped) {
    for (ConfigKey k : keys) {
      if (!skipped.contains(k.kind())) {
        return true;
      }
    }
    return false;
  }
}
