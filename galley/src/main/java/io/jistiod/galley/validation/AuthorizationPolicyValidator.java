package io.jistiod.galley.validation;

import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy;
import io.jistiod.galley.api.security.v1beta1.AuthorizationPolicy.Action;
import io.jistiod.galley.api.security.v1beta1.Condition;
import io.jistiod.galley.api.security.v1beta1.Operation;
import io.jistiod.galley.api.security.v1beta1.Rule;
import io.jistiod.galley.api.security.v1beta1.Source;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for AuthorizationPolicy. */
final class AuthorizationPolicyValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    AuthorizationPolicy ap = config.spec(AuthorizationPolicy.class);
    Findings f = new Findings();
    Common.oneSelectorKind(ap.hasSelector(), ap.hasTargetRef(), ap.getTargetRefsCount(), "spec", f);
    Common.workloadSelector(ap.hasSelector(), ap.getSelector(), "spec.selector", f);
    Common.targetRefs(ap.hasTargetRef(), ap.getTargetRef(), ap.getTargetRefsList(), "spec", f);
    Action action = ap.getAction();
    if (action == Action.CUSTOM) {
      if (ap.getRulesCount() == 0) {
        f.error(
            "spec.rules",
            "a CUSTOM policy without rules never triggers; add an empty rule {} to apply it to"
                + " every request");
      } else if (!ap.hasProvider() || ap.getProvider().getName().isEmpty()) {
        f.error("spec.provider.name", "a CUSTOM policy needs provider.name");
      }
      for (int i = 0; i < ap.getRulesCount(); i++) {
        Deadline.check();
        customRule(ap.getRules(i), "spec.rules[" + i + "]", f);
      }
    }
    if (ap.hasProvider() && action != Action.CUSTOM) {
      f.error("spec.provider", "provider is only allowed with action CUSTOM, not " + action);
    }
    if (action == Action.DENY && ap.getRulesCount() == 0) {
      f.error(
          "spec.rules",
          "a DENY policy without rules never triggers; add an empty rule {} to apply it to every"
              + " request");
    }
    for (int i = 0; i < ap.getRulesCount(); i++) {
      Deadline.check();
      rule(ap.getRules(i), action, "spec.rules[" + i + "]", f);
    }
    return f.messages();
  }

  private static void customRule(Rule rule, String path, Findings f) {
    for (int j = 0; j < rule.getFromCount(); j++) {
      Deadline.check();
      if (!rule.getFrom(j).hasSource()) {
        continue;
      }
      Source s = rule.getFrom(j).getSource();
      String sp = path + ".from[" + j + "].source";
      unsupported(s.getNamespacesCount(), sp + ".namespaces", f);
      unsupported(s.getNotNamespacesCount(), sp + ".notNamespaces", f);
      unsupported(s.getServiceAccountsCount(), sp + ".serviceAccounts", f);
      unsupported(s.getNotServiceAccountsCount(), sp + ".notServiceAccounts", f);
      unsupported(s.getTrustDomainsCount(), sp + ".trustDomains", f);
      unsupported(s.getNotTrustDomainsCount(), sp + ".notTrustDomains", f);
      unsupported(s.getPrincipalsCount(), sp + ".principals", f);
      unsupported(s.getNotPrincipalsCount(), sp + ".notPrincipals", f);
      unsupported(s.getRequestPrincipalsCount(), sp + ".requestPrincipals", f);
      unsupported(s.getNotRequestPrincipalsCount(), sp + ".notRequestPrincipals", f);
    }
    for (int j = 0; j < rule.getWhenCount(); j++) {
      Deadline.check();
      String key = rule.getWhen(j).getKey();
      if (key.equals("source.namespace")
          || key.equals("source.serviceAccount")
          || key.equals("source.trustDomain")
          || key.equals("source.principal")
          || key.startsWith("request.auth.")) {
        f.error(
            path + ".when[" + j + "].key",
            "\"" + key + "\" is not supported with action CUSTOM yet");
      }
    }
  }

  private static void unsupported(int count, String path, Findings f) {
    if (count > 0) {
      f.error(path, "this field is not supported with action CUSTOM yet");
    }
  }

  private static void rule(Rule rule, Action action, String path, Findings f) {
    boolean tcpInFrom = false;
    boolean tcpInTo = false;
    boolean fromExists = false;
    boolean toExists = false;
    for (int j = 0; j < rule.getFromCount(); j++) {
      Deadline.check();
      String fp = path + ".from[" + j + "]";
      if (!rule.getFrom(j).hasSource()) {
        f.error(fp + ".source", "from.source is required");
        continue;
      }
      fromExists = true;
      Source s = rule.getFrom(j).getSource();
      String sp = fp + ".source";
      if (s.getPrincipalsCount()
                  + s.getNotPrincipalsCount()
                  + s.getNamespacesCount()
                  + s.getNotNamespacesCount()
              > 0
          && s.getServiceAccountsCount() + s.getNotServiceAccountsCount() > 0) {
        f.error(sp, "serviceAccounts cannot be combined with namespaces or principals");
      }
      if (s.equals(Source.getDefaultInstance())) {
        f.error(sp, "from.source must not be empty");
      }
      Security.ips(s.getIpBlocksList(), sp + ".ipBlocks", f);
      Security.ips(s.getNotIpBlocksList(), sp + ".notIpBlocks", f);
      Security.ips(s.getRemoteIpBlocksList(), sp + ".remoteIpBlocks", f);
      Security.ips(s.getNotRemoteIpBlocksList(), sp + ".notRemoteIpBlocks", f);
      Security.nonEmpty(s.getPrincipalsList(), sp + ".principals", f);
      Security.nonEmpty(s.getRequestPrincipalsList(), sp + ".requestPrincipals", f);
      Security.nonEmpty(s.getNamespacesList(), sp + ".namespaces", f);
      Security.serviceAccounts(s.getServiceAccountsList(), sp + ".serviceAccounts", f);
      Security.trustDomains(s.getTrustDomainsList(), sp + ".trustDomains", f);
      Security.nonEmpty(s.getNotPrincipalsList(), sp + ".notPrincipals", f);
      Security.nonEmpty(s.getNotRequestPrincipalsList(), sp + ".notRequestPrincipals", f);
      Security.nonEmpty(s.getNotNamespacesList(), sp + ".notNamespaces", f);
      Security.serviceAccounts(s.getNotServiceAccountsList(), sp + ".notServiceAccounts", f);
      Security.trustDomains(s.getNotTrustDomainsList(), sp + ".notTrustDomains", f);
      if (s.getNotPrincipalsCount() > 0
          || s.getPrincipalsCount() > 0
          || s.getIpBlocksCount() > 0
          || s.getNotIpBlocksCount() > 0
          || s.getNamespacesCount() > 0
          || s.getNotNamespacesCount() > 0
          || s.getRemoteIpBlocksCount() > 0
          || s.getNotRemoteIpBlocksCount() > 0
          || s.getServiceAccountsCount() > 0
          || s.getNotServiceAccountsCount() > 0) {
        tcpInFrom = true;
      }
    }
    for (int j = 0; j < rule.getToCount(); j++) {
      Deadline.check();
      String tp = path + ".to[" + j + "]";
      if (!rule.getTo(j).hasOperation()) {
        f.error(tp + ".operation", "to.operation is required");
        continue;
      }
      toExists = true;
      Operation op = rule.getTo(j).getOperation();
      String op0 = tp + ".operation";
      if (op.equals(Operation.getDefaultInstance())) {
        f.error(op0, "to.operation must not be empty");
      }
      Security.ports(op.getPortsList(), op0 + ".ports", f);
      Security.ports(op.getNotPortsList(), op0 + ".notPorts", f);
      Security.nonEmpty(op.getMethodsList(), op0 + ".methods", f);
      Security.nonEmpty(op.getPathsList(), op0 + ".paths", f);
      Security.nonEmpty(op.getHostsList(), op0 + ".hosts", f);
      Security.nonEmpty(op.getNotMethodsList(), op0 + ".notMethods", f);
      Security.nonEmpty(op.getNotPathsList(), op0 + ".notPaths", f);
      Security.nonEmpty(op.getNotHostsList(), op0 + ".notHosts", f);
      Security.pathTemplates(op.getPathsList(), op0 + ".paths", f);
      Security.pathTemplates(op.getNotPathsList(), op0 + ".notPaths", f);
      if (op.getPortsCount() > 0 || op.getNotPortsCount() > 0) {
        tcpInTo = true;
      }
    }
    for (int j = 0; j < rule.getWhenCount(); j++) {
      Deadline.check();
      Condition c = rule.getWhen(j);
      String cp = path + ".when[" + j + "]";
      if (c.getKey().isEmpty()) {
        f.error(cp + ".key", "key is required");
      } else if (c.getValuesCount() == 0 && c.getNotValuesCount() == 0) {
        f.error(cp, "values or notValues is required for key \"" + c.getKey() + "\"");
      } else {
        f.errorIf(cp + ".values", Security.attributeProblem(c.getKey(), c.getValuesList()));
        f.errorIf(cp + ".notValues", Security.attributeProblem(c.getKey(), c.getNotValuesList()));
      }
    }
    if (action == Action.DENY
        && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo))) {
      f.warning(
          path,
          "this DENY rule uses only HTTP attributes, so it denies all traffic to TCP ports in its"
              + " scope; name the ports explicitly");
    }
  }
}
