package io.jistiod.pilot.envoy.listener;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.Authorizations;
import io.jistiod.pilot.security.RequestAuthentications;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the security filters go in a sidecar's inbound chains and a gateway's chains, ahead of
 * every other filter so nothing runs for a request that is refused. istiod 1.27's order: CUSTOM
 * authorization (ext_authz) first, then authentication (jwt_authn), then RBAC (DENY/AUDIT/ALLOW).
 */
final class SecurityFilters {
  /** CUSTOM AuthorizationPolicy's filter, which istiod runs before JWT authentication. */
  static final String EXT_AUTHZ = "envoy.filters.http.ext_authz";

  private SecurityFilters() {}

  static List<HttpFilter> http(PushContext push, Proxy proxy) {
    List<HttpFilter> authz = Authorizations.httpFilters(push, proxy);
    List<HttpFilter> out = new ArrayList<>();
    for (HttpFilter f : authz) {
      if (f.getName().equals(EXT_AUTHZ)) {
        out.add(f);
      }
    }
    out.addAll(RequestAuthentications.httpFilters(push, proxy));
    for (HttpFilter f : authz) {
      if (!f.getName().equals(EXT_AUTHZ)) {
        out.add(f);
      }
    }
    return out;
  }

  static List<Filter> network(PushContext push, Proxy proxy) {
    return Authorizations.networkFilters(push, proxy);
  }
}
