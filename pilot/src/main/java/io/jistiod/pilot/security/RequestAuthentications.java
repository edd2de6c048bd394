package io.jistiod.pilot.security;

import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;

/**
 * RequestAuthentication turned into Envoy's {@code envoy.filters.http.jwt_authn} and Istio's
 * authentication filter for the workload or gateway {@code proxy}.
 *
 * <p>Integration point (issue #12): today no filter is built.
 */
public final class RequestAuthentications {
  private RequestAuthentications() {}

  /** HTTP filters, in the order they must run, placed before the authorization filters. */
  public static List<HttpFilter> httpFilters(PushContext push, Proxy proxy) {
    return List.of();
  }
}
