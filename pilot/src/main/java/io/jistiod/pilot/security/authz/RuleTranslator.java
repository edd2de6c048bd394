package io.jistiod.pilot.security.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.jistiod.galley.api.security.v1beta1.Condition;
import io.jistiod.galley.api.security.v1beta1.Operation;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.api.security.v1beta1.Source;
import java.util.ArrayList;
import java.util.List;

/**
 * One AuthorizationPolicy rule as an Envoy RBAC {@link Policy}: each {@code from} becomes an and-ed
 * principal, each {@code to} an and-ed permission; the {@code when} conditions are added to every
 * one of them. Within a field, values are or-ed and {@code not*} values are a negated or.
 *
 * <p>A value that cannot be expressed (an HTTP-only field on a TCP chain, a malformed IP or port)
 * follows istiod's safe direction: for ALLOW the whole rule is dropped (less is allowed); for DENY,
 * AUDIT and CUSTOM only that value is dropped (the rule matches more, so more is denied).
 */
final class RuleTranslator {
  /** Thrown when an ALLOW rule cannot be expressed and must be left out. */
  static final class RuleDropped extends Exception {
    RuleDropped(String message) {
      super(message, null, false, false);
    }
  }

  private record Cond(Attribute attr, String key, List<String> values, List<String> notValues) {}

  private final List<List<Cond>> principals = new ArrayList<>();
  private final List<List<Cond>> permissions = new ArrayList<>();
  private final String policyNamespace;

  private RuleTranslator(String policyNamespace) {
    this.policyNamespace = policyNamespace;
  }

  /**
   * The RBAC policy for {@code rule}.
   *
   * @throws IllegalArgumentException for a {@code when} key istiod does not know (the rule is
   *     skipped whatever the action; validation refuses such policies)
   * @throws RuleDropped for an ALLOW rule that cannot be expressed on this chain
   */
  static Policy translate(
      String policyNamespace,
      Rule rule,
      TrustDomains trustDomains,
      boolean forTcp,
      RBAC.Action action)
      throws RuleDropped {
    RuleTranslator t = new RuleTranslator(policyNamespace);
    t.model(rule, trustDomains);
    return t.generate(forTcp, action);
  }

  private void model(Rule r, TrustDomains td) {
    List<Cond> basePermission = new ArrayList<>();
    List<Cond> basePrincipal = new ArrayList<>();
    for (Condition when : r.getWhenList()) {
      Attribute a = Attribute.forWhenKey(when.getKey());
      if (a == null) {
        throw new IllegalArgumentException("unknown attribute " + when.getKey());
      }
      List<Cond> target = a.permission ? basePermission : basePrincipal;
      add(target, false, a, when.getKey(), when.getValuesList(), when.getNotValuesList());
    }
    for (Rule.From from : r.getFromList()) {
      List<Cond> merged = new ArrayList<>(basePrincipal);
      if (from.hasSource()) {
        Source s = from.getSource();
        // each insert goes to the front, so the final order is the reverse of these calls
        add(
            merged,
            true,
            Attribute.SRC_IP,
            "source.ip",
            s.getIpBlocksList(),
            s.getNotIpBlocksList());
        add(
            merged,
            true,
            Attribute.REMOTE_IP,
            "remote.ip",
            s.getRemoteIpBlocksList(),
            s.getNotRemoteIpBlocksList());
        add(
            merged,
            true,
            Attribute.TRUST_DOMAIN,
            "source.trustDomains",
            s.getTrustDomainsList(),
            s.getNotTrustDomainsList());
        add(
            merged,
            true,
            Attribute.SRC_NAMESPACE,
            "source.namespace",
            s.getNamespacesList(),
            s.getNotNamespacesList());
        add(
            merged,
            true,
            Attribute.SRC_SERVICE_ACCOUNT,
            "source.serviceAccount",
            s.getServiceAccountsList(),
            s.getNotServiceAccountsList());
        add(
            merged,
            true,
            Attribute.REQUEST_PRINCIPAL,
            "request.auth.principal",
            s.getRequestPrincipalsList(),
            s.getNotRequestPrincipalsList());
        add(
            merged,
            true,
            Attribute.SRC_PRINCIPAL,
            "source.principal",
            s.getPrincipalsList(),
            s.getNotPrincipalsList());
      }
      principals.add(merged);
    }
    if (r.getFromCount() == 0) {
      principals.add(basePrincipal);
    }
    for (Rule.To to : r.getToList()) {
      List<Cond> merged = new ArrayList<>(basePermission);
      if (to.hasOperation()) {
        Operation o = to.getOperation();
        add(
            merged,
            true,
            Attribute.DEST_PORT,
            "destination.port",
            o.getPortsList(),
            o.getNotPortsList());
        add(merged, true, Attribute.PATH, "paths", o.getPathsList(), o.getNotPathsList());
        add(merged, true, Attribute.METHOD, ":method", o.getMethodsList(), o.getNotMethodsList());
        add(merged, true, Attribute.HOST, ":authority", o.getHostsList(), o.getNotHostsList());
      }
      permissions.add(merged);
    }
    if (r.getToCount() == 0) {
      permissions.add(basePermission);
    }
    // source principals name trust domains: widen them to the mesh's aliases
    for (List<Cond> p : principals) {
      for (int i = 0; i < p.size(); i++) {
        Cond c = p.get(i);
        if (c.attr() == Attribute.SRC_PRINCIPAL) {
          p.set(i, new Cond(c.attr(), c.key(), td.expand(c.values()), td.expand(c.notValues())));
        }
      }
    }
  }

  private static void add(
      List<Cond> list,
      boolean front,
      Attribute a,
      String key,
      List<String> values,
      List<String> notValues) {
    if (values.isEmpty() && notValues.isEmpty()) {
      return;
    }
    Cond c = new Cond(a, key, List.copyOf(values), List.copyOf(notValues));
    if (front) {
      list.add(0, c);
    } else {
      list.add(c);
    }
  }

  private Policy generate(boolean forTcp, RBAC.Action action) throws RuleDropped {
    Policy.Builder p = Policy.newBuilder();
    for (List<Cond> conds : permissions) {
      List<Permission> and = new ArrayList<>();
      for (Cond c : conds) {
        and.addAll(permission(c, forTcp, action));
      }
      if (and.isEmpty()) {
        and.add(Permission.newBuilder().setAny(true).build());
      }
      p.addPermissions(
          Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(and)));
    }
    for (List<Cond> conds : principals) {
      List<Principal> and = new ArrayList<>();
      for (Cond c : conds) {
        and.addAll(principal(c, forTcp, action));
      }
      if (and.isEmpty()) {
        and.add(Principal.newBuilder().setAny(true).build());
      }
      p.addPrincipals(Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(and)));
    }
    return p.build();
  }

  private List<Permission> permission(Cond c, boolean forTcp, RBAC.Action action)
      throws RuleDropped {
    List<Permission> out = new ArrayList<>();
    if (c.attr().extended) {
      Permission p = extendedPermission(c, c.values(), forTcp, action);
      if (p != null) {
        out.add(p);
      }
      Permission n = extendedPermission(c, c.notValues(), forTcp, action);
      if (n != null) {
        out.add(Permission.newBuilder().setNotRule(n).build());
      }
      return out;
    }
    Permission p = orPermission(c, c.values(), forTcp, action);
    if (p != null) {
      out.add(p);
    }
    Permission n = orPermission(c, c.notValues(), forTcp, action);
    if (n != null) {
      out.add(Permission.newBuilder().setNotRule(n).build());
    }
    return out;
  }

  private Permission extendedPermission(
      Cond c, List<String> values, boolean forTcp, RBAC.Action action) throws RuleDropped {
    if (values.isEmpty()) {
      return null;
    }
    try {
      return Generators.extendedPermission(c.attr(), c.key(), values, forTcp);
    } catch (IllegalArgumentException e) {
      return unsupported(action, e);
    }
  }

  private Permission orPermission(Cond c, List<String> values, boolean forTcp, RBAC.Action action)
      throws RuleDropped {
    List<Permission> or = new ArrayList<>();
    for (String v : values) {
      try {
        or.add(Generators.permission(c.attr(), c.key(), v, forTcp));
      } catch (IllegalArgumentException e) {
        unsupported(action, e);
      }
    }
    return or.isEmpty()
        ? null
        : Permission.newBuilder().setOrRules(Permission.Set.newBuilder().addAllRules(or)).build();
  }

  private List<Principal> principal(Cond c, boolean forTcp, RBAC.Action action) throws RuleDropped {
    List<Principal> out = new ArrayList<>();
    if (c.attr().extended) {
      Principal p = extendedPrincipal(c, c.values(), forTcp, action);
      if (p != null) {
        out.add(p);
      }
      Principal n = extendedPrincipal(c, c.notValues(), forTcp, action);
      if (n != null) {
        out.add(Principal.newBuilder().setNotId(n).build());
      }
      return out;
    }
    Principal p = orPrincipal(c, c.values(), forTcp, action);
    if (p != null) {
      out.add(p);
    }
    Principal n = orPrincipal(c, c.notValues(), forTcp, action);
    if (n != null) {
      out.add(Principal.newBuilder().setNotId(n).build());
    }
    return out;
  }

  private Principal extendedPrincipal(
      Cond c, List<String> values, boolean forTcp, RBAC.Action action) throws RuleDropped {
    if (values.isEmpty()) {
      return null;
    }
    try {
      return Generators.extendedPrincipal(c.attr(), c.key(), values, forTcp);
    } catch (IllegalArgumentException e) {
      return unsupported(action, e);
    }
  }

  private Principal orPrincipal(Cond c, List<String> values, boolean forTcp, RBAC.Action action)
      throws RuleDropped {
    List<Principal> or = new ArrayList<>();
    for (String v : values) {
      try {
        or.add(Generators.principal(c.attr(), c.key(), v, forTcp, policyNamespace));
      } catch (IllegalArgumentException e) {
        unsupported(action, e);
      }
    }
    return or.isEmpty()
        ? null
        : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(or)).build();
  }

  /** ALLOW: the rule goes; otherwise the value is left out (the rule matches more). */
  private static <T> T unsupported(RBAC.Action action, IllegalArgumentException e)
      throws RuleDropped {
    if (action == RBAC.Action.ALLOW) {
      throw new RuleDropped(e.getMessage());
    }
    return null;
  }
}
