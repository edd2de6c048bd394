package io.jistiod.pilot.security.authz;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;

/**
 * The authorization filters of one workload (namespace + labels) in one push: built once, then
 * shared by every chain of every proxy of that workload, since a proxy asks for them once per
 * filter chain.
 */
public final class AuthzFilters {
  private final List<HttpFilter> customHttp;
  private final List<HttpFilter> localHttp;
  private final List<Filter> customTcp;
  private final List<Filter> localTcp;

  AuthzFilters(PolicyIndex index, WorkloadPolicies policies) {
    RbacFilterBuilder builder = new RbacFilterBuilder(index);
    this.customHttp = List.copyOf(builder.customHttp(policies));
    this.localHttp = List.copyOf(builder.localHttp(policies));
    this.customTcp = List.copyOf(builder.customTcp(policies));
    this.localTcp = List.copyOf(builder.localTcp(policies));
  }

  public static AuthzFilters of(PushContext push, Proxy proxy) {
    return PolicyIndex.of(push).filtersFor(proxy);
  }

  public List<HttpFilter> customHttp() {
    return customHttp;
  }

  public List<HttpFilter> localHttp() {
    return localHttp;
  }

  public List<Filter> customTcp() {
    return customTcp;
  }

  public List<Filter> localTcp() {
    return localTcp;
  }
}
