package io.jistiod.pilot.security.authz;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.FilterStateMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * RBAC for a waypoint, where the peer is not the connection's TLS peer: the waypoint terminated the
 * client's HBONE tunnel in {@code connect_terminate}, which put the client's identity in the filter
 * state {@code io.istio.peer_principal}. istiod matches source principals, namespaces and service
 * accounts there instead of on the connection's certificate; this rewrites the
 * authenticated-principal matchers of finished RBAC filters accordingly.
 */
final class FilterStatePrincipals {
  static final String PEER_PRINCIPAL = "io.istio.peer_principal";

  private FilterStatePrincipals() {}

  static List<HttpFilter> http(List<HttpFilter> filters) {
    List<HttpFilter> out = new ArrayList<>(filters.size());
    for (HttpFilter f : filters) {
      if (!f.getName().equals(RbacFilterBuilder.HTTP_RBAC)) {
        out.add(f);
        continue;
      }
      var rbac =
          unpack(f.getTypedConfig(), io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
              .toBuilder();
      if (rbac.hasRules()) {
        rbac.setRules(rewrite(rbac.getRules()));
      }
      if (rbac.hasShadowRules()) {
        rbac.setShadowRules(rewrite(rbac.getShadowRules()));
      }
      out.add(f.toBuilder().setTypedConfig(Any.pack(rbac.build())).build());
    }
    return out;
  }

  static List<Filter> network(List<Filter> filters) {
    List<Filter> out = new ArrayList<>(filters.size());
    for (Filter f : filters) {
      if (!f.getName().equals(RbacFilterBuilder.TCP_RBAC)) {
        out.add(f);
        continue;
      }
      var rbac =
          unpack(
              f.getTypedConfig(), io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)
              .toBuilder();
      if (rbac.hasRules()) {
        rbac.setRules(rewrite(rbac.getRules()));
      }
      if (rbac.hasShadowRules()) {
        rbac.setShadowRules(rewrite(rbac.getShadowRules()));
      }
      out.add(f.toBuilder().setTypedConfig(Any.pack(rbac.build())).build());
    }
    return out;
  }

  private static RBAC rewrite(RBAC rules) {
    RBAC.Builder b = rules.toBuilder();
    for (var e : rules.getPoliciesMap().entrySet()) {
      Policy.Builder p = e.getValue().toBuilder().clearPrincipals();
      for (Principal principal : e.getValue().getPrincipalsList()) {
        p.addPrincipals(rewrite(principal));
      }
      b.putPolicies(e.getKey(), p.build());
    }
    return b.build();
  }

  /** {@code principal} with every authenticated-name matcher read from the filter state. */
  static Principal rewrite(Principal p) {
    return switch (p.getIdentifierCase()) {
      case AUTHENTICATED ->
          p.getAuthenticated().hasPrincipalName()
              ? Principal.newBuilder()
                  .setFilterState(
                      FilterStateMatcher.newBuilder()
                          .setKey(PEER_PRINCIPAL)
                          .setStringMatch(p.getAuthenticated().getPrincipalName()))
                  .build()
              : p;
      case AND_IDS -> Principal.newBuilder().setAndIds(rewrite(p.getAndIds())).build();
      case OR_IDS -> Principal.newBuilder().setOrIds(rewrite(p.getOrIds())).build();
      case NOT_ID -> Principal.newBuilder().setNotId(rewrite(p.getNotId())).build();
      default -> p;
    };
  }

  private static Principal.Set rewrite(Principal.Set s) {
    Principal.Set.Builder b = Principal.Set.newBuilder();
    for (Principal p : s.getIdsList()) {
      b.addIds(rewrite(p));
    }
    return b.build();
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      // we packed it ourselves a moment ago
      throw new IllegalStateException("RBAC filter config does not unpack as " + type, e);
    }
  }
}
