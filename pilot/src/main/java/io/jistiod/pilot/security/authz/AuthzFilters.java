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
  // the local filters as a sidecar's HBONE chains apply them; built on first use (few proxies
  // accept HBONE), a benign race at worst building them twice
  private volatile List<HttpFilter> tunnelLocalHttp;
  private volatile List<Filter> tunnelLocalTcp;

  AuthzFilters(PolicyIndex index, WorkloadPolicies policies) {
    this(index, policies, false);
  }

  /**
   * @param filterState match source identities in the filter state the waypoint's HBONE termination
   *     fills, not on the connection (see {@link FilterStatePrincipals})
   */
  AuthzFilters(PolicyIndex index, WorkloadPolicies policies, boolean filterState) {
    RbacFilterBuilder builder = new RbacFilterBuilder(index);
    List<HttpFilter> ch = builder.customHttp(policies);
    List<HttpFilter> lh = builder.localHttp(policies);
    List<Filter> ct = builder.customTcp(policies);
    List<Filter> lt = builder.localTcp(policies);
    if (filterState) {
      ch = FilterStatePrincipals.http(ch);
      lh = FilterStatePrincipals.http(lh);
      ct = FilterStatePrincipals.network(ct);
      lt = FilterStatePrincipals.network(lt);
    }
    this.customHttp = List.copyOf(ch);
    this.localHttp = List.copyOf(lh);
    this.customTcp = List.copyOf(ct);
    this.localTcp = List.copyOf(lt);
  }

  public static AuthzFilters of(PushContext push, Proxy proxy) {
    return PolicyIndex.of(push).filtersFor(proxy);
  }

  /**
   * The filters of a waypoint's chains for {@code service} (null: the chains for traffic to a
   * workload): the policies whose {@code targetRefs} name the waypoint's Gateway, the service, or
   * the {@code istio-waypoint} GatewayClass (from the root namespace); selectors are ignored.
   */
  public static AuthzFilters forWaypoint(
      PushContext push, Proxy proxy, io.jistiod.pilot.model.Service service) {
    return PolicyIndex.of(push).filtersForWaypoint(proxy, service);
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

  /**
   * The AUDIT, DENY and ALLOW filters of a sidecar's chains behind HBONE termination: the client is
   * the tunnel's peer, whose identity {@code connect_terminate} put in the filter state, not the
   * connection's (which is internal). istiod rebuilds only these with the filter state; the CUSTOM
   * ones keep the connection's identity.
   */
  public List<HttpFilter> tunnelLocalHttp() {
    List<HttpFilter> f = tunnelLocalHttp;
    if (f == null) {
      f = List.copyOf(FilterStatePrincipals.http(localHttp));
      tunnelLocalHttp = f;
    }
    return f;
  }

  /** {@link #tunnelLocalHttp()} for TCP chains. */
  public List<Filter> tunnelLocalTcp() {
    List<Filter> f = tunnelLocalTcp;
    if (f == null) {
      f = List.copyOf(FilterStatePrincipals.network(localTcp));
      tunnelLocalTcp = f;
    }
    return f;
  }
}
