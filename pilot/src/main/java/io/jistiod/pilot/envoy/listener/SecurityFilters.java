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
 * Where the security filters go in a sidecar's inbound chains and a gateway's chains: istiod's
 * order is authentication (jwt_authn, then Istio's authn), then authorization (ext_authz for
 * CUSTOM, then RBAC), ahead of every other filter, so nothing runs for a request that is refused.
 */
final class SecurityFilters {
  private SecurityFilters() {}

  static List<HttpFilter> http(PushContext push, Proxy proxy) {
    List<HttpFilter> out = new ArrayList<>(RequestAuthentications.httpFilters(push, proxy));
    out.addAll(Authorizations.httpFilters(push, proxy));
    return out;
  }

  static List<Filter> network(PushContext push, Proxy proxy) {
    return Authorizations.networkFilters(push, proxy);
  }
}
