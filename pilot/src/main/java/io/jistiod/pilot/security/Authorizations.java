package io.jistiod.pilot.security;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;

/**
 * AuthorizationPolicy (ALLOW, DENY, AUDIT, CUSTOM) turned into Envoy's RBAC and ext_authz filters
 * for the workload or gateway {@code proxy}.
 *
 * <p>Integration point (issue #12): today no filter is built.
 */
public final class Authorizations {
  private Authorizations() {}

  /**
   * HTTP filters, in the order they must run (ext_authz, then RBAC), for an inbound/gateway HCM.
   */
  public static List<HttpFilter> httpFilters(PushContext push, Proxy proxy) {
    return List.of();
  }

  /** Network filters to run before {@code tcp_proxy} on an inbound/gateway TCP chain. */
  public static List<Filter> networkFilters(PushContext push, Proxy proxy) {
    return List.of();
  }

  /** HTTP filters for a proxyless gRPC server listener (gRPC's RBAC: DENY, then ALLOW). */
  public static List<HttpFilter> grpcServerFilters(PushContext push, Proxy proxy) {
    return List.of();
  }
}
