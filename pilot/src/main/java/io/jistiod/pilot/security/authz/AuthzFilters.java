package io.jistiod.pilot.security.authz;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.List;

/** The authorization filters of one proxy in one push (its policies selected once). */
public final class AuthzFilters {
  private final RbacFilterBuilder builder;
  private final WorkloadPolicies policies;

  private AuthzFilters(PolicyIndex index, WorkloadPolicies policies) {
    this.builder = new RbacFilterBuilder(index);
    this.policies = policies;
  }

  public static AuthzFilters of(PushContext push, Proxy proxy) {
    PolicyIndex index = PolicyIndex.of(push);
    return new AuthzFilters(index, index.forProxy(proxy));
  }

  public List<HttpFilter> customHttp() {
    return builder.customHttp(policies);
  }

  public List<HttpFilter> localHttp() {
    return builder.localHttp(policies);
  }

  public List<Filter> customTcp() {
    return builder.customTcp(policies);
  }

  public List<Filter> localTcp() {
    return builder.localTcp(policies);
  }
}
