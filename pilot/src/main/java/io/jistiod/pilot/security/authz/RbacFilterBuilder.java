package io.jistiod.pilot.security.authz;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the RBAC (and, for CUSTOM, ext_authz) filters of one workload's policies, as istiod's
 * authz builder: one RBAC filter per action in the order AUDIT, DENY, ALLOW; dry-run policies go to
 * {@code shadow_rules}; CUSTOM becomes a shadow RBAC naming the matched rules followed by
 * ext_authz, or, when its provider is unusable, a DENY RBAC for the same rules (fail closed).
 */
final class RbacFilterBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(RbacFilterBuilder.class);

  static final String HTTP_RBAC = "envoy.filters.http.rbac";
  static final String TCP_RBAC = "envoy.filters.network.rbac";
  static final String HTTP_EXT_AUTHZ = "envoy.filters.http.ext_authz";
  static final String TCP_EXT_AUTHZ = "envoy.filters.network.ext_authz";
  static final String TCP_STAT_PREFIX = "tcp.";
  static final String BAD_CUSTOM_SUFFIX = "-deny-due-to-bad-CUSTOM-action";
  private static final String DRY_RUN = "istio.io/dry-run";

  /** A policy with no rules: matches nothing (ALLOW: nothing is allowed by it). */
  private static final Policy MATCH_NEVER =
      Policy.newBuilder()
          .addPermissions(Permission.newBuilder().setNotRule(Permission.newBuilder().setAny(true)))
          .addPrincipals(Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)))
          .build();

  private record Built(RBAC rules, RBAC shadowRules, List<String> providers) {}

  private final PolicyIndex index;

  RbacFilterBuilder(PolicyIndex index) {
    this.index = index;
  }

  List<HttpFilter> localHttp(WorkloadPolicies p) {
    List<HttpFilter> out = new ArrayList<>();
    for (Built b : local(p, false)) {
      var rbac = httpRbac();
      if (b.rules() != null) {
        rbac.setRules(b.rules());
      }
      if (b.shadowRules() != null) {
        rbac.setShadowRules(b.shadowRules());
      }
      rbac.setShadowRulesStatPrefix(shadowPrefix(b.shadowRules()));
      out.add(http(HTTP_RBAC, Any.pack(rbac.build())));
    }
    return out;
  }

  List<Filter> localTcp(WorkloadPolicies p) {
    List<Filter> out = new ArrayList<>();
    for (Built b : local(p, true)) {
      var rbac = tcpRbac().setStatPrefix(TCP_STAT_PREFIX);
      if (b.rules() != null) {
        rbac.setRules(b.rules());
      }
      if (b.shadowRules() != null) {
        rbac.setShadowRules(b.shadowRules());
      }
      rbac.setShadowRulesStatPrefix(shadowPrefix(b.shadowRules()));
      out.add(tcp(TCP_RBAC, Any.pack(rbac.build())));
    }
    return out;
  }

  List<HttpFilter> customHttp(WorkloadPolicies p) {
    Built b = build(p.custom(), RBAC.Action.DENY, false, true);
    if (b == null) {
      return List.of();
    }
    ExtAuthzProviders.Resolved ext;
    try {
      ext = index.providers().forPolicies(b.providers());
    } catch (IllegalArgumentException e) {
      index.warnOnce(badCustomMessage(p.custom(), e));
      var rbac = httpRbac().setRules(badCustomDeny(b.rules()));
      return List.of(http(HTTP_RBAC, Any.pack(rbac.build())));
    }
    var rbac = httpRbac().setShadowRulesStatPrefix(ExtAuthzProviders.SHADOW_PREFIX);
    if (b.rules() != null) {
      rbac.setShadowRules(b.rules());
    }
    return List.of(
        http(HTTP_RBAC, Any.pack(rbac.build())), http(HTTP_EXT_AUTHZ, Any.pack(ext.http())));
  }

  List<Filter> customTcp(WorkloadPolicies p) {
    Built b = build(p.custom(), RBAC.Action.DENY, true, true);
    if (b == null) {
      return List.of();
    }
    ExtAuthzProviders.Resolved ext;
    try {
      ext = index.providers().forPolicies(b.providers());
    } catch (IllegalArgumentException e) {
      index.warnOnce(badCustomMessage(p.custom(), e));
      var rbac = tcpRbac().setRules(badCustomDeny(b.rules())).setStatPrefix(TCP_STAT_PREFIX);
      return List.of(tcp(TCP_RBAC, Any.pack(rbac.build())));
    }
    if (ext.tcp() == null) {
      // istiod: an HTTP provider cannot check raw TCP, so CUSTOM does not apply to TCP chains
      return List.of();
    }
    var rbac =
        tcpRbac()
            .setStatPrefix(TCP_STAT_PREFIX)
            .setShadowRulesStatPrefix(ExtAuthzProviders.SHADOW_PREFIX);
    if (b.rules() != null) {
      rbac.setShadowRules(b.rules());
    }
    return List.of(tcp(TCP_RBAC, Any.pack(rbac.build())), tcp(TCP_EXT_AUTHZ, Any.pack(ext.tcp())));
  }

  private List<Built> local(WorkloadPolicies p, boolean forTcp) {
    List<Built> out = new ArrayList<>();
    Built audit = build(p.audit(), RBAC.Action.LOG, forTcp, false);
    if (audit != null) {
      out.add(audit);
    }
    Built deny = build(p.deny(), RBAC.Action.DENY, forTcp, false);
    if (deny != null) {
      out.add(deny);
    }
    Built allow = build(p.allow(), RBAC.Action.ALLOW, forTcp, false);
    if (allow != null) {
      out.add(allow);
    }
    return out;
  }

  private Built build(List<Config> policies, RBAC.Action action, boolean forTcp, boolean custom) {
    if (policies.isEmpty()) {
      return null;
    }
    RBAC.Builder enforce = RBAC.newBuilder().setAction(action);
    RBAC.Builder shadow = RBAC.newBuilder().setAction(action);
    boolean hasEnforce = false;
    boolean hasDryRun = false;
    List<String> providers = new ArrayList<>();
    for (Config c : policies) {
      AuthorizationPolicy spec = c.spec(AuthorizationPolicy.class);
      RBAC.Builder current;
      if (dryRun(c)) {
        current = shadow;
        hasDryRun = true;
      } else {
        current = enforce;
        hasEnforce = true;
      }
      if (custom) {
        providers.add(spec.getProvider().getName());
      }
      for (int i = 0; i < spec.getRulesCount(); i++) {
        String name = policyName(c, i, custom);
        Rule rule = spec.getRules(i);
        try {
          current.putPolicies(
              name,
              RuleTranslator.translate(c.namespace(), rule, index.trustDomains(), forTcp, action));
        } catch (RuleTranslator.RuleDropped e) {
          if (forTcp) {
            LOG.debug("skipped rule {} on TCP filter chain: {}", name, e.getMessage());
          } else {
            index.warnOnce(
                "AuthorizationPolicy "
                    + c.namespace()
                    + "/"
                    + c.name()
                    + ": ALLOW rule "
                    + name
                    + " (spec.rules["
                    + i
                    + "]) dropped: "
                    + e.getMessage());
          }
        } catch (RuntimeException e) {
          // istiod skips a rule it cannot model (validation refuses such rules at admission);
          // one bad policy never stops the others' filters from being built
          index.warnOnce(
              "AuthorizationPolicy "
                  + c.namespace()
                  + "/"
                  + c.name()
                  + ": skipped invalid rule "
                  + name
                  + " (spec.rules["
                  + i
                  + "]): "
                  + e.getMessage());
        }
      }
      if (spec.getRulesCount() == 0) {
        current.putPolicies(policyName(c, 0, custom), MATCH_NEVER);
      }
    }
    return new Built(
        hasEnforce ? enforce.build() : null, hasDryRun ? shadow.build() : null, providers);
  }

  /** The annotation is parsed as Go's strconv.ParseBool; anything else means not dry-run. */
  private boolean dryRun(Config c) {
    String v = c.meta().annotations().get(DRY_RUN);
    if (v == null) {
      return false;
    }
    switch (v) {
      case "1":
      case "t":
      case "T":
      case "TRUE":
      case "true":
      case "True":
        return true;
      case "0":
      case "f":
      case "F":
      case "FALSE":
      case "false":
      case "False":
        return false;
      default:
        index.warnOnce(
            "failed to parse the value of "
                + DRY_RUN
                + " on AuthorizationPolicy "
                + c.namespace()
                + "/"
                + c.name()
                + ": \""
                + v
                + "\" is not a boolean; the policy is enforced");
        return false;
    }
  }

  static String policyName(Config c, int rule, boolean custom) {
    return (custom ? ExtAuthzProviders.MATCH_PREFIX + "-" : "")
        + "ns["
        + c.namespace()
        + "]-policy["
        + c.name()
        + "]-rule["
        + rule
        + "]";
  }

  /**
   * istiod reads the action of a missing shadow RBAC as ALLOW (proto default), so a filter with no
   * dry-run policy still carries the ALLOW dry-run prefix; kept for identical output.
   */
  private static String shadowPrefix(RBAC rules) {
    RBAC.Action action = rules == null ? RBAC.Action.ALLOW : rules.getAction();
    switch (action) {
      case ALLOW:
        return "istio_dry_run_allow_";
      case DENY:
        return "istio_dry_run_deny_";
      default:
        return "";
    }
  }

  /** The CUSTOM rules enforced as DENY: a broken provider must not open what it guarded. */
  private static RBAC badCustomDeny(RBAC rules) {
    RBAC.Builder b = RBAC.newBuilder().setAction(RBAC.Action.DENY);
    if (rules != null) {
      rules.getPoliciesMap().forEach((k, v) -> b.putPolicies(k + BAD_CUSTOM_SUFFIX, v));
    }
    return b.build();
  }

  private static String badCustomMessage(List<Config> policies, IllegalArgumentException e) {
    List<String> names = new ArrayList<>();
    for (Config c : policies) {
      names.add(c.namespace() + "/" + c.name());
    }
    return String.format(
        Locale.ROOT,
        "AuthorizationPolicy %s: failed to process CUSTOM action (spec.provider.name), will generate"
            + " deny configs for the specified rules: %s",
        String.join(", ", names),
        e.getMessage());
  }

  private static io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.Builder httpRbac() {
    return io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder();
  }

  private static io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.Builder tcpRbac() {
    return io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder();
  }

  private static HttpFilter http(String name, Any config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(config).build();
  }

  private static Filter tcp(String name, Any config) {
    return Filter.newBuilder().setName(name).setTypedConfig(config).build();
  }
}
