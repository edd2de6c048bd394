package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.Authorizations;
import io.jistiod.pilot.security.RequestAuthentications;
import io.jistiod.pilot.security.authz.AuthzFilters;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the security filters go in a sidecar's inbound chains and a gateway's chains, ahead of
 * every other filter so nothing runs for a request that is refused. istiod 1.27's order
 * (listener_builder.go) is CUSTOM authorization (shadow RBAC + ext_authz), then authentication
 * (jwt_authn; 1.27 has no separate Istio authn filter), then AUDIT/DENY/ALLOW RBAC; on TCP chains
 * CUSTOM then RBAC.
 */
final class SecurityFilters {
  private SecurityFilters() {}

  static List<HttpFilter> http(PushContext push, Proxy proxy) {
    List<HttpFilter> out = new ArrayList<>(Authorizations.customHttpFilters(push, proxy));
    out.addAll(RequestAuthentications.httpFilters(push, proxy));
    out.addAll(Authorizations.localHttpFilters(push, proxy));
    return out;
  }

  static List<Filter> network(PushContext push, Proxy proxy) {
    return Authorizations.networkFilters(push, proxy);
  }

  /**
   * {@link #http} for the chains of a sidecar's {@code main_internal} listener (HBONE): the local
   * RBAC matches the tunnel peer's identity from the filter state.
   */
  static List<HttpFilter> httpBehindTunnel(PushContext push, Proxy proxy) {
    AuthzFilters authz = AuthzFilters.of(push, proxy);
    List<HttpFilter> out = new ArrayList<>(authz.customHttp());
    out.addAll(RequestAuthentications.httpFilters(push, proxy));
    out.addAll(authz.tunnelLocalHttp());
    return out;
  }

  /** {@link #network} for the chains of a sidecar's {@code main_internal} listener (HBONE). */
  static List<Filter> networkBehindTunnel(PushContext push, Proxy proxy) {
    AuthzFilters authz = AuthzFilters.of(push, proxy);
    List<Filter> out = new ArrayList<>(authz.customTcp());
    out.addAll(authz.tunnelLocalTcp());
    return out;
  }
}
