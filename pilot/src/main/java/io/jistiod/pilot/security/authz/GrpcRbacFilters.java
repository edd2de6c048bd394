package io.jistiod.pilot.security.authz;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.List;

/**
 * gRPC's RBAC filters for a proxyless server listener, as istiod's grpcgen builds them: gRPC knows
 * only ALLOW and DENY, so AUDIT, CUSTOM and dry-run are not sent; DENY runs first. Rules are named
 * {@code NAMESPACE-NAME-INDEX}.
 *
 * <p>One deliberate difference: istiod sends no ALLOW filter when the workload's ALLOW policies
 * produce no rule (e.g. an ALLOW policy with empty {@code rules}), which lets every request in; an
 * ALLOW policy means "deny what is not allowed", so an empty ALLOW RBAC (deny all) is sent.
 */
public final class GrpcRbacFilters {
  static final String ALLOW_NAME = "envoy.filters.http.rbac";
  static final String DENY_NAME = "envoy.filters.http.rbac.DENY";

  private GrpcRbacFilters() {}

  public static List<HttpFilter> build(PolicyIndex index, WorkloadPolicies p) {
    List<HttpFilter> out = new ArrayList<>();
    if (p.deny().isEmpty() && p.allow().isEmpty()) {
      return out;
    }
    RBAC deny = rules(index, RBAC.Action.DENY, p.deny());
    if (deny.getPoliciesCount() > 0) {
      out.add(filter(DENY_NAME, deny));
    }
    RBAC allow = rules(index, RBAC.Action.ALLOW, p.allow());
    if (allow.getPoliciesCount() > 0 || !p.allow().isEmpty()) {
      out.add(filter(ALLOW_NAME, allow));
    }
    return out;
  }

  private static RBAC rules(PolicyIndex index, RBAC.Action action, List<Config> policies) {
    RBAC.Builder b = RBAC.newBuilder().setAction(action);
    for (Config c : policies) {
      AuthorizationPolicy spec = c.spec(AuthorizationPolicy.class);
      for (int i = 0; i < spec.getRulesCount(); i++) {
        String name = c.namespace() + "-" + c.name() + "-" + i;
        try {
          Policy generated =
              RuleTranslator.translate(
                  c.namespace(), spec.getRules(i), index.trustDomains(), false, action);
          b.putPolicies(name, generated);
        } catch (RuleTranslator.RuleDropped | RuntimeException e) {
          index.warnOnce("invalid rule " + name + " for proxyless gRPC: " + e.getMessage());
        }
      }
    }
    return b.build();
  }

  private static HttpFilter filter(String name, RBAC rules) {
    var rbac =
        io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules);
    return HttpFilter.newBuilder().setName(name).setTypedConfig(Any.pack(rbac.build())).build();
  }
}
