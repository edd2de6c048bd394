package io.jistiod.pilot.security;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.security.v1beta1.RequestAuthentication;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * RequestAuthentication turned into Envoy's {@code envoy.filters.http.jwt_authn} for the workload
 * or gateway {@code proxy}, as istiod 1.27 builds it.
 *
 * <p>istiod 1.27 has no separate Istio authentication filter any more: the JWT filter itself keeps
 * the verified payload in its dynamic metadata (key {@code payload}), where AuthorizationPolicy's
 * RBAC matchers read {@code iss}, {@code sub} and claims.
 */
public final class RequestAuthentications {
  /** The filter's name, which is also the metadata namespace RBAC matchers name. */
  public static final String JWT_FILTER_NAME = "envoy.filters.http.jwt_authn";

  /** The metadata key under {@link #JWT_FILTER_NAME} that holds the verified JWT payload. */
  public static final String PAYLOAD_METADATA_KEY = JwtAuthnConfigBuilder.PAYLOAD_METADATA_KEY;

  private RequestAuthentications() {}

  /** HTTP filters, in the order they must run, placed before the authorization filters. */
  public static List<HttpFilter> httpFilters(PushContext push, Proxy proxy) {
    return filters(push, proxy, rulesFor(push, proxy));
  }

  /**
   * The authentication filters of a waypoint's chain for {@code service} (null: its direct workload
   * chains): the policies attached to the waypoint, and to the service by {@code targetRefs}.
   */
  public static List<HttpFilter> waypointHttpFilters(
      PushContext push, Proxy proxy, io.jistiod.pilot.model.Service service) {
    return filters(
        push,
        proxy,
        rules(RequestAuthenticationSelection.of(push).selectForWaypoint(proxy, service)));
  }

  private static List<HttpFilter> filters(PushContext push, Proxy proxy, List<SourcedRule> rules) {
    if (rules.isEmpty()) {
      return List.of();
    }
    // Gateways route on claims (VirtualService header matches on @request.auth.claims), so the
    // route must be picked again once the token is verified; sidecars route before authn.
    boolean clearRouteCache = proxy.type() != Proxy.NodeType.SIDECAR;
    var config = new JwtAuthnConfigBuilder(push.security().jwks()).build(rules, clearRouteCache);
    return List.of(
        HttpFilter.newBuilder().setName(JWT_FILTER_NAME).setTypedConfig(Any.pack(config)).build());
  }

  /** Every rule of every policy that applies, in issuer order (stable, as policies are found). */
  static List<SourcedRule> rulesFor(PushContext push, Proxy proxy) {
    return rules(RequestAuthenticationSelection.of(push).select(proxy));
  }

  private static List<SourcedRule> rules(List<Config> policies) {
    List<SourcedRule> rules = new ArrayList<>();
    for (Config c : policies) {
      RequestAuthentication ra = c.spec(RequestAuthentication.class);
      for (int i = 0; i < ra.getJwtRulesCount(); i++) {
        rules.add(new SourcedRule(ra.getJwtRules(i), c, i));
      }
    }
    rules.sort(Comparator.comparing(r -> r.rule().getIssuer()));
    return rules;
  }
}
