package io.jistiod.pilot.security;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.authz.AuthzFilters;
import io.jistiod.pilot.security.authz.GrpcRbacFilters;
import io.jistiod.pilot.security.authz.PolicyIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * AuthorizationPolicy (ALLOW, DENY, AUDIT, CUSTOM) turned into Envoy's RBAC and ext_authz filters
 * for the workload or gateway {@code proxy}, as istiod 1.27 builds them.
 *
 * <p>istiod places the CUSTOM filters (shadow RBAC + ext_authz) before authentication and the
 * AUDIT/DENY/ALLOW RBAC filters after it: use {@link #customHttpFilters} and {@link
 * #localHttpFilters} around the authentication filters; {@link #httpFilters} is both, in order.
 */
public final class Authorizations {
  private Authorizations() {}

  /**
   * HTTP filters, in the order they must run (ext_authz, then RBAC), for an inbound/gateway HCM.
   */
  public static List<HttpFilter> httpFilters(PushContext push, Proxy proxy) {
    List<HttpFilter> out = new ArrayList<>(customHttpFilters(push, proxy));
    out.addAll(localHttpFilters(push, proxy));
    return out;
  }

  /** CUSTOM: the shadow RBAC naming matched rules, then ext_authz (or a fail-closed DENY RBAC). */
  public static List<HttpFilter> customHttpFilters(PushContext push, Proxy proxy) {
    return AuthzFilters.of(push, proxy).customHttp();
  }

  /** AUDIT, DENY, then ALLOW RBAC filters. */
  public static List<HttpFilter> localHttpFilters(PushContext push, Proxy proxy) {
    return AuthzFilters.of(push, proxy).localHttp();
  }

  /** Network filters to run before {@code tcp_proxy} on an inbound/gateway TCP chain. */
  public static List<Filter> networkFilters(PushContext push, Proxy proxy) {
    AuthzFilters f = AuthzFilters.of(push, proxy);
    List<Filter> out = new ArrayList<>(f.customTcp());
    out.addAll(f.localTcp());
    return out;
  }

  /** HTTP filters for a proxyless gRPC server listener (gRPC's RBAC: DENY, then ALLOW). */
  public static List<HttpFilter> grpcServerFilters(PushContext push, Proxy proxy) {
    PolicyIndex index = PolicyIndex.of(push);
    return GrpcRbacFilters.build(index, index.forProxy(proxy));
  }
}
